//! Microsoft's flow: `GET /login/microsoft` (a sign-in) or `POST
//! /account/link/microsoft` (a link, for the signed-in account only) to
//! the provider, and `/auth/microsoft/callback`, which signs in or links
//! as the flow it ends was started for, and nothing else.

use axum::{
    extract::{Path, Query, State},
    http::{
        HeaderMap, StatusCode,
        header::{LOCATION, ORIGIN, SET_COOKIE},
    },
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{App, MICROSOFT, Shared, entra, links::Account};
use crate::{
    s01::{COOKIE_NAME, same_bytes, session_cookie},
    s02::origin_of,
    s05::{
        cookie_value, error_page, lock,
        oidc::{Failed, Identity},
        pending::{self, Pending},
    },
};

/// The cookie naming the browser's pending Microsoft flow (Google's is
/// step 05's, on its own callback).
const PENDING: &str = "ms_pending";
const CALLBACK: &str = "/auth/microsoft/callback";

fn provider_failed(why: &str) -> Response {
    eprintln!("mutant: Microsoft failed: {why}");
    error_page(
        StatusCode::BAD_GATEWAY,
        "Microsoft is not answering",
        "Signing in with Microsoft did not work this time. Please try again later.",
    )
}

fn went_wrong(what: &str, error: &dyn std::fmt::Display) -> Response {
    eprintln!("mutant: {what}: {error}");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.")
}

impl App {
    fn redirect_uri(&self) -> String {
        let path =
            if self.has("microsoft-wrong-redirect-uri") { "/auth/callback" } else { CALLBACK };
        format!("{}{path}", self.config.public_url.trim_end_matches('/'))
    }

    /// The way to Microsoft for `pending`, whose cookie the browser gets.
    async fn to_microsoft(&self, pending: Pending) -> Response {
        let discovery = match self.microsoft.discovery().await {
            Ok(discovery) => discovery.clone(),
            Err(Failed::Provider(why) | Failed::Token(why)) => return provider_failed(&why),
        };
        let query = [
            ("response_type", "code".to_owned()),
            ("client_id", self.microsoft.client_id.clone()),
            ("redirect_uri", self.redirect_uri()),
            ("scope", "openid email profile".to_owned()),
            ("state", pending.state.clone()),
            ("nonce", pending.nonce.clone()),
            ("code_challenge", pending.challenge()),
            ("code_challenge_method", "S256".to_owned()),
        ];
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        let location = format!("{}?{}", discovery.authorization_endpoint, query.join("&"));
        let mut response = (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response();
        if let Some(key) = self.pending.keep(pending) {
            let cookie = format!(
                "{PENDING}={key}; HttpOnly; SameSite=Lax; Path={CALLBACK}; Max-Age={}",
                pending::LIFETIME.as_secs()
            );
            response.headers_mut().append(SET_COOKIE, self.cookie(&cookie));
        }
        response
    }
}

pub(super) async fn login(State(app): State<Shared>) -> Response {
    app.to_microsoft(Pending::new(mutants::NONE)).await
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
    if provider != MICROSOFT {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such provider",
            "Only a Microsoft account can be linked here.",
        );
    }
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
                "Sign in to the account you want to link Microsoft to, then link it.",
            );
        }
        None => {}
        Some(user) if app.has("link-unbound") => {
            let session = session.unwrap_or_default().to_owned();
            lock(&app.intents).insert(session, user);
        }
        Some(user) => pending.link_to = Some(user),
    }
    app.to_microsoft(pending).await
}

#[derive(Deserialize)]
pub(super) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// Logged, never shown.
    error_description: Option<String>,
}

pub(super) async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let mut response = finish(&app, &headers, params).await;
    // The pending flow is over, whatever happened.
    let forget = format!("{PENDING}=; Max-Age=0; HttpOnly; SameSite=Lax; Path={CALLBACK}");
    response.headers_mut().append(SET_COOKIE, app.cookie(&forget));
    response
}

fn refused(words: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, "Sign-in refused", words)
}

async fn finish(app: &App, headers: &HeaderMap, params: CallbackParams) -> Response {
    let pending = app.pending.take(cookie_value(headers, PENDING), params.state.as_deref());
    if let Some(error) = &params.error {
        eprintln!("mutant: Microsoft answered {error:?}: {:?}", params.error_description);
        let words = match error.as_str() {
            "access_denied" => "You declined to sign in with Microsoft.",
            _ => "Microsoft did not sign you in.",
        };
        return error_page(StatusCode::BAD_REQUEST, "You were not signed in", words);
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
        return refused("Microsoft sent no code.");
    };
    let token = match app.microsoft.redeem(&code, &app.redirect_uri(), &pending.verifier).await {
        Ok(token) => token,
        Err(Failed::Provider(why) | Failed::Token(why)) => return provider_failed(&why),
    };
    let who = match app.microsoft.validate(&token, &pending.nonce).await {
        Ok(who) => entra::keyed(who, app.flaw),
        Err(Failed::Provider(why)) => return provider_failed(&why),
        Err(Failed::Token(why)) => {
            eprintln!("mutant: Microsoft's ID token refused: {why}");
            None
        }
    };
    let Some(who) = who else {
        return refused("Microsoft's answer could not be verified. Please try again.");
    };
    let session = session_cookie(headers);
    let signed_in_as = match app.links.session_user(session).await {
        Ok(user) => user,
        Err(error) => return went_wrong("cannot read the session", &error),
    };
    let unbound = app.has("link-unbound").then(|| lock(&app.intents).remove(session?)).flatten();
    match pending.link_to.or(unbound) {
        Some(user) if Some(user) == signed_in_as => add_link(app, user, &who).await,
        Some(_) => refused("The account that asked for this link is no longer signed in here."),
        None => sign_in(app, headers, &who, signed_in_as).await,
    }
}

/// The end of a link flow: `who` joins account `user`, unless it signs in
/// to an account already.
async fn add_link(app: &App, user: i64, who: &Identity) -> Response {
    if app.has("no-linking") {
        return to_cabinet();
    }
    let owner = match app.links.owner(MICROSOFT, &who.sub).await {
        Ok(owner) => owner,
        Err(error) => return went_wrong("cannot look the identity up", &error),
    };
    match owner {
        Some((id, _)) if id == user => return to_cabinet(),
        Some((_, username)) if !app.has("link-moves") => {
            eprintln!("mutant: refused to link an identity of {username:?} to account {user}");
            return error_page(
                StatusCode::CONFLICT,
                "Already in use",
                "This Microsoft account signs in to another account here: it cannot be linked to yours.",
            );
        }
        Some(_) => {
            if let Err(error) = app.links.unlink_everywhere(MICROSOFT, &who.sub).await {
                return went_wrong("cannot move the identity", &error);
            }
        }
        None => {}
    }
    match app.links.link(user, MICROSOFT, &who.sub).await {
        Ok(true) => to_cabinet(),
        Ok(false) => error_page(
            StatusCode::CONFLICT,
            "Already in use",
            "This Microsoft account signs in to another account here: it cannot be linked to yours.",
        ),
        Err(error) => went_wrong("cannot link", &error),
    }
}

fn to_cabinet() -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, "/cabinet")]).into_response()
}

/// A plain sign-in: the account of `who`, made if new, and a new session.
async fn sign_in(
    app: &App,
    headers: &HeaderMap,
    who: &Identity,
    signed_in_as: Option<i64>,
) -> Response {
    let found = match app.links.owner(MICROSOFT, &who.sub).await {
        Ok(found) => found,
        Err(error) => return went_wrong("cannot look the identity up", &error),
    };
    let adopted = match &found {
        Some(_) => Ok(None),
        None => adopter(app, who, signed_in_as).await,
    };
    let adopted = match adopted {
        Ok(adopted) => adopted,
        Err(error) => return went_wrong("cannot look an account up", &error),
    };
    let account = match (found, adopted) {
        (Some(account), _) => account,
        (None, Some(account)) => match app.links.link(account.0, MICROSOFT, &who.sub).await {
            Ok(_) => account,
            Err(error) => return went_wrong("cannot link", &error),
        },
        (None, None) => match app.accounts.find_or_create(MICROSOFT, who).await {
            Ok(account) => account,
            Err(error) => return went_wrong("cannot find or make the account", &error),
        },
    };
    let (user_id, username) = account;
    let old = session_cookie(headers);
    let id = match app.accounts.start_session(user_id, old, app.config.session_ttl).await {
        Ok(id) => id,
        Err(error) => return went_wrong("cannot start a session", &error),
    };
    eprintln!("mutant: {username} signed in with Microsoft");
    let cookie = app.cookie(&format!("{COOKIE_NAME}={id}; HttpOnly; SameSite=Lax; Path=/"));
    (StatusCode::SEE_OTHER, [(LOCATION, "/cabinet")], [(SET_COOKIE, cookie)]).into_response()
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
