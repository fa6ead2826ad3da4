//! Each provider's flow: `GET /login/<provider>` (a sign-in) or `POST
//! /account/link/<provider>` (a link, for the signed-in account only) to
//! the provider, and its callback, which signs in or links as the flow it
//! ends was started for, and nothing else.

use axum::{
    extract::{Path, Query, State},
    http::{
        HeaderMap, StatusCode,
        header::{LOCATION, ORIGIN, SET_COOKIE},
    },
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{App, MICROSOFT, Shared, entra, leg::Leg, links::Account};
use crate::{
    s01::{COOKIE_NAME, same_bytes, session_cookie},
    s02::origin_of,
    s05::{
        cookie_value, error_page, lock,
        oidc::{Failed, Identity},
        pending::Pending,
    },
};

fn went_wrong(what: &str, error: &dyn std::fmt::Display) -> Response {
    eprintln!("mutant: {what}: {error}");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.")
}

pub(super) async fn login_google(State(app): State<Shared>) -> Response {
    app.to_provider(&app.google, Pending::new(mutants::NONE)).await
}

pub(super) async fn login_microsoft(State(app): State<Shared>) -> Response {
    app.to_provider(&app.microsoft, Pending::new(mutants::NONE)).await
}

/// `POST /account/link/<provider>`: the signed-in account's link.
pub(super) async fn link(
    State(app): State<Shared>,
    Path(provider): Path<String>,
    headers: HeaderMap,
) -> Response {
    let foreign = headers.get(ORIGIN).is_some_and(|o| {
        o.to_str().map_or(true, |o| origin_of(o) != origin_of(&app.config.public_url))
    });
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    if foreign || cross_site {
        return error_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Requests from other sites are refused.",
        );
    }
    let Some(leg) = app.leg(&provider) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such provider",
            "Google or Microsoft can be linked, nothing else.",
        );
    };
    let session = session_cookie(&headers);
    let user = match app.links.session_user(session).await {
        Ok(user) => user,
        Err(error) => return went_wrong("cannot read the session", &error),
    };
    let mut pending = Pending::new(mutants::NONE);
    match user {
        None if !app.has("link-anonymous") => {
            return error_page(
                StatusCode::UNAUTHORIZED,
                "Sign in first",
                &format!("Sign in to the account you want to link {} to, then link it.", leg.label),
            );
        }
        None => {}
        Some(user) if app.has("link-unbound") => {
            let session = session.unwrap_or_default().to_owned();
            lock(&app.intents).insert(session, user);
        }
        Some(user) => pending.link_to = Some(user),
    }
    app.to_provider(leg, pending).await
}

#[derive(Deserialize)]
pub(super) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// Logged, never shown.
    error_description: Option<String>,
}

pub(super) async fn callback_google(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    callback(&app, &app.google, &headers, params).await
}

pub(super) async fn callback_microsoft(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    callback(&app, &app.microsoft, &headers, params).await
}

async fn callback(app: &App, leg: &Leg, headers: &HeaderMap, params: CallbackParams) -> Response {
    let mut response = finish(app, leg, headers, params).await;
    // The pending flow is over, whatever happened.
    let forget = format!("{}=; Max-Age=0; {}", leg.cookie, leg.cookie_attributes());
    response.headers_mut().append(SET_COOKIE, app.cookie(&forget));
    response
}

fn refused(words: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, "Sign-in refused", words)
}

async fn finish(app: &App, leg: &Leg, headers: &HeaderMap, params: CallbackParams) -> Response {
    let pending = leg.pending.take(cookie_value(headers, leg.cookie), params.state.as_deref());
    if let Some(error) = &params.error {
        // Anyone can write a callback URL: its description goes to the log
        // only, never onto our page.
        eprintln!("mutant: {} answered {error:?}: {:?}", leg.label, params.error_description);
        let words = match error.as_str() {
            "access_denied" => format!("You declined to sign in with {}.", leg.label),
            _ => format!("{} did not sign you in.", leg.label),
        };
        return error_page(StatusCode::BAD_REQUEST, "You were not signed in", &words);
    }
    let Some(pending) = pending else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in was not started in this browser, or took too long. Please start again.",
        );
    };
    let state_matches = params
        .state
        .as_deref()
        .is_some_and(|state| same_bytes(state.as_bytes(), pending.state.as_bytes()));
    if !state_matches {
        return refused("This answer does not belong to the sign-in this browser started.");
    }
    let Some(code) = params.code.filter(|code| !code.is_empty()) else {
        return refused("The provider sent no code.");
    };
    let redirect_uri = app.redirect_uri(leg);
    let token = match leg.provider.redeem(&code, &redirect_uri, &pending.verifier).await {
        Ok(token) => token,
        Err(Failed::Provider(why) | Failed::Token(why)) => return leg.failed(&why),
    };
    let who = match leg.provider.validate(&token, &pending.nonce).await {
        Ok(who) if leg.name == MICROSOFT => entra::keyed(who, app.flaw),
        Ok(who) => Some(who),
        Err(Failed::Provider(why)) => return leg.failed(&why),
        Err(Failed::Token(why)) => {
            eprintln!("mutant: {}'s ID token refused: {why}", leg.label);
            None
        }
    };
    let Some(who) = who else {
        return refused(&format!(
            "{}'s answer could not be verified. Please try again.",
            leg.label
        ));
    };
    let session = session_cookie(headers);
    let signed_in_as = match app.links.session_user(session).await {
        Ok(user) => user,
        Err(error) => return went_wrong("cannot read the session", &error),
    };
    let unbound = app.has("link-unbound").then(|| lock(&app.intents).remove(session?)).flatten();
    match pending.link_to.or(unbound) {
        Some(user) if Some(user) == signed_in_as => add_link(app, leg, user, &who).await,
        Some(_) => refused("The account that asked for this link is no longer signed in here."),
        None => sign_in(app, leg, headers, &who, signed_in_as).await,
    }
}

/// The end of a link flow: `who` joins account `user`, unless it signs in
/// to an account already.
async fn add_link(app: &App, leg: &Leg, user: i64, who: &Identity) -> Response {
    let taken = format!(
        "This {} account signs in to another account here: it cannot be linked to yours.",
        leg.label
    );
    if app.has("no-linking") {
        return to_cabinet();
    }
    let owner = match app.links.owner(leg.name, &who.sub).await {
        Ok(owner) => owner,
        Err(error) => return went_wrong("cannot look the identity up", &error),
    };
    match owner {
        Some((id, _)) if id == user => return to_cabinet(),
        Some((_, username)) if !app.has("link-moves") => {
            eprintln!("mutant: refused to link an identity of {username:?} to account {user}");
            return error_page(StatusCode::CONFLICT, "Already in use", &taken);
        }
        Some(_) => {
            if let Err(error) = app.links.unlink_everywhere(leg.name, &who.sub).await {
                return went_wrong("cannot move the identity", &error);
            }
        }
        None => {}
    }
    match app.links.link(user, leg.name, &who.sub).await {
        Ok(true) => to_cabinet(),
        Ok(false) => error_page(StatusCode::CONFLICT, "Already in use", &taken),
        Err(error) => went_wrong("cannot link", &error),
    }
}

fn to_cabinet() -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, "/cabinet")]).into_response()
}

/// A plain sign-in: the account of `who`, made if new, and a new session.
async fn sign_in(
    app: &App,
    leg: &Leg,
    headers: &HeaderMap,
    who: &Identity,
    signed_in_as: Option<i64>,
) -> Response {
    let (user_id, username) = match account_of(app, leg, who, signed_in_as).await {
        Ok(account) => account,
        Err(error) => return went_wrong("cannot find or make the account", &error),
    };
    let old = session_cookie(headers);
    let id = match app.accounts.start_session(user_id, old, app.config.session_ttl).await {
        Ok(id) => id,
        Err(error) => return went_wrong("cannot start a session", &error),
    };
    eprintln!("mutant: {username} signed in with {}", leg.label);
    let cookie = app.cookie(&format!("{COOKIE_NAME}={id}; HttpOnly; SameSite=Lax; Path=/"));
    (StatusCode::SEE_OTHER, [(LOCATION, "/cabinet")], [(SET_COOKIE, cookie)]).into_response()
}

/// The account `who` signs in to: the one it is linked to, or the one made
/// with it (its email and name brought up to date), made now if none is.
async fn account_of(
    app: &App,
    leg: &Leg,
    who: &Identity,
    signed_in_as: Option<i64>,
) -> std::io::Result<Account> {
    if let Some(linked) = app.links.linked_owner(leg.name, &who.sub).await? {
        return Ok(linked);
    }
    if app.links.owner(leg.name, &who.sub).await?.is_none()
        && let Some(adopter) = adopter(app, who, signed_in_as).await?
    {
        app.links.link(adopter.0, leg.name, &who.sub).await?;
        return Ok(adopter);
    }
    app.accounts.find_or_create(leg.name, who).await
}

/// The flaws that link an identity nobody asked to link: the account they
/// give a new identity to.
async fn adopter(
    app: &App,
    who: &Identity,
    signed_in_as: Option<i64>,
) -> std::io::Result<Option<Account>> {
    if app.has("link-on-sign-in")
        && let Some(id) = signed_in_as
    {
        return app.links.account(id).await;
    }
    if app.has("links-by-email")
        && let Some(email) = &who.email
    {
        return app.links.by_email(email).await;
    }
    Ok(None)
}
