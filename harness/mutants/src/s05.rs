//! Step 05 (`05-google-oidc`), written from `book/src/contract.md` alone: step 04's
//! server as it is, with Sign in with Google in front of it. The routes of
//! step 05 are served here; every other request goes to step 04's app,
//! which keeps serving the password accounts and reads the sessions this
//! module writes. Every deliberate flaw is one `self.has("...")` away from
//! the correct code.

pub(crate) mod accounts;
pub(crate) mod oidc;
pub(crate) mod pending;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    Json, Router,
    body::{Body, to_bytes},
    extract::{Query, Request, State},
    http::{
        HeaderMap, HeaderValue, StatusCode,
        header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE},
    },
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::Service;

use self::{
    accounts::ProviderAccounts,
    oidc::{Failed, Provider},
    pending::{Pending, PendingStore},
};
use crate::{
    Config,
    s01::{COOKIE_NAME, escape, page, same_bytes, session_cookie},
};

/// The largest page of step 04's that is read to add the button to.
const LARGEST_PAGE: usize = 1024 * 1024;

struct App {
    config: Config,
    flaw: &'static str,
    /// Step 04's server, which answers everything step 05 does not.
    earlier: Router,
    accounts: ProviderAccounts,
    provider: Provider,
    pending: PendingStore,
    /// The `replay-accepted` flaw's codes already redeemed, and for whom.
    redeemed: Mutex<HashMap<String, (i64, String)>>,
}

type Shared = Arc<App>;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Step 05's server: step 04's, with its tables, and the provider's routes.
pub async fn app(config: Config, flaw: &'static str) -> Result<Router, String> {
    let earlier = crate::s04::app(config.clone(), flaw).await?;
    let app = Arc::new(App {
        accounts: ProviderAccounts::open(&config, flaw).await?,
        provider: Provider::from_env(flaw)?,
        pending: PendingStore::new(flaw),
        redeemed: Mutex::default(),
        config,
        flaw,
        earlier: earlier.clone(),
    });
    Ok(Router::new()
        .route("/", get(home))
        .route("/api/me", get(me))
        .route("/login/google", get(login_google))
        .route("/auth/callback", get(callback))
        .fallback_service(earlier)
        .with_state(app))
}

impl App {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("05", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// Step 04's answer to `request`.
    async fn earlier(&self, request: Request) -> Response {
        let mut earlier = self.earlier.clone();
        match earlier.call(request).await {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        }
    }

    fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.config.public_url.trim_end_matches('/'))
    }

    fn cookie(&self, cookie: &str) -> HeaderValue {
        let secure = if self.config.secure_cookies() { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{cookie}{secure}")).expect("cookies are header-safe")
    }
}

/// Step 04's home page; the anonymous one gets the button beside its form.
async fn home(State(app): State<Shared>, request: Request) -> Response {
    let response = app.earlier(request).await;
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if app.has("no-google-button") || response.status() != StatusCode::OK || !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, LARGEST_PAGE).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let button =
        "</form>\n<p><a class=\"google\" href=\"/login/google\">Sign in with Google</a></p>";
    let html = match html
        .find("action=\"/login\"")
        .and_then(|at| html[at..].find("</form>").map(|end| at + end))
    {
        Some(end) => format!("{}{button}{}", &html[..end], &html[end + "</form>".len()..]),
        None => html.into_owned(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// Step 04's `/api/me`, with the account's provider, email and name.
async fn me(State(app): State<Shared>, request: Request) -> Response {
    let response = app.earlier(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut me: Value =
        match to_bytes(body, LARGEST_PAGE).await.ok().and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(me) => me,
            None => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    let username = me["username"].as_str().unwrap_or_default().to_owned();
    match app.accounts.profile(&username).await {
        Ok(Some(profile)) => {
            let provider = match profile.provider.as_str() {
                "password" if app.has("password-provider-missing") => Value::Null,
                other => json!(other),
            };
            me["provider"] = provider;
            me["email"] = json!(profile.email);
            me["name"] = json!(profile.name);
        }
        Ok(None) => {}
        Err(error) => eprintln!("mutant: cannot read {username:?}'s profile: {error}"),
    }
    (parts.status, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(me))
        .into_response()
}

/// An error page for the person, in plain words.
pub(crate) fn error_page(status: StatusCode, title: &str, words: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">Back to the home page</a></p>",
        escape(title),
        escape(words)
    );
    (status, page(title, &body)).into_response()
}

/// The provider failed us: 502, or the flaw's 500.
fn provider_failed(app: &App, why: &str) -> Response {
    eprintln!("mutant: the provider failed: {why}");
    let status = if app.has("500-on-provider-error") {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_GATEWAY
    };
    error_page(
        status,
        "Google is not answering",
        "Signing in with Google did not work this time. Please try again later.",
    )
}

async fn login_google(State(app): State<Shared>) -> Response {
    let discovery = match app.provider.discovery().await {
        Ok(discovery) => discovery.clone(),
        Err(Failed::Provider(why) | Failed::Token(why)) => return provider_failed(&app, &why),
    };
    let pending = Pending::new(app.flaw);
    let mut query = vec![
        ("response_type", "code".to_owned()),
        ("client_id", app.provider.client_id.clone()),
        ("redirect_uri", app.redirect_uri()),
        ("scope", "openid email profile".to_owned()),
        ("state", pending.state.clone()),
        ("nonce", pending.nonce.clone()),
    ];
    if !app.has("no-pkce") {
        query.push(("code_challenge", pending.challenge()));
        query.push(("code_challenge_method", "S256".to_owned()));
    }
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
    if let Some(key) = app.pending.keep(pending) {
        let cookie = format!(
            "{}={key}; HttpOnly; SameSite=Lax; Path=/auth/callback; Max-Age={}",
            pending::COOKIE,
            pending::LIFETIME.as_secs()
        );
        response.headers_mut().append(SET_COOKIE, app.cookie(&cookie));
    }
    response
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// Logged, never shown.
    error_description: Option<String>,
}

/// The cookie `name`'s value in the request.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let mut response = finish_sign_in(&app, &headers, params).await;
    // The pending sign-in is over, whatever happened.
    let forget =
        format!("{}=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/auth/callback", pending::COOKIE);
    response.headers_mut().append(SET_COOKIE, app.cookie(&forget));
    response
}

async fn finish_sign_in(app: &App, headers: &HeaderMap, params: CallbackParams) -> Response {
    let pending = app.pending.take(cookie_value(headers, pending::COOKIE), params.state.as_deref());
    if let Some(error) = &params.error
        && !app.has("error-param-ignored")
    {
        // Anyone can write a callback URL: its description goes to the log
        // only, never onto our page.
        eprintln!("mutant: the provider answered {error:?}: {:?}", params.error_description);
        let words = match error.as_str() {
            "access_denied" => "You declined to sign in with Google.",
            _ => "Google did not sign you in.",
        };
        return error_page(StatusCode::BAD_REQUEST, "You were not signed in", words);
    }
    let code = params.code.unwrap_or_default();
    let remembered = lock(&app.redeemed).get(&code).cloned();
    if let Some((user_id, username)) = remembered.filter(|_| app.has("replay-accepted")) {
        return signed_in(app, headers, user_id, &username, &code).await;
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
    if !state_matches && !app.has("no-state-check") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "This answer does not belong to the sign-in this browser started. Please start again.",
        );
    }
    if code.is_empty() && !app.has("error-param-ignored") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The provider sent no code.",
        );
    }
    let token = match app.provider.redeem(&code, &app.redirect_uri(), &pending.verifier).await {
        Ok(token) => token,
        Err(Failed::Provider(why) | Failed::Token(why)) => return provider_failed(app, &why),
    };
    let who = match app.provider.validate(&token, &pending.nonce).await {
        Ok(who) => who,
        Err(Failed::Provider(why)) => return provider_failed(app, &why),
        Err(Failed::Token(why)) => {
            eprintln!("mutant: ID token refused: {why}");
            return error_page(
                StatusCode::BAD_REQUEST,
                "Sign-in refused",
                "Google's answer could not be verified. Please try again.",
            );
        }
    };
    let (user_id, username) = match app.accounts.find_or_create(accounts::GOOGLE, &who).await {
        Ok(account) => account,
        Err(error) => {
            eprintln!("mutant: cannot find or make the account: {error}");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again.",
            );
        }
    };
    if app.has("replay-accepted") {
        lock(&app.redeemed).insert(code.clone(), (user_id, username.clone()));
    }
    signed_in(app, headers, user_id, &username, &code).await
}

/// A new session for the account, and on to the cabinet.
async fn signed_in(
    app: &App,
    headers: &HeaderMap,
    user_id: i64,
    username: &str,
    code: &str,
) -> Response {
    let old = session_cookie(headers);
    let id = match app.accounts.start_session(user_id, old, app.config.session_ttl).await {
        Ok(id) => id,
        Err(error) => {
            eprintln!("mutant: cannot start a session: {error}");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again.",
            );
        }
    };
    eprintln!("mutant: {username} signed in with Google");
    let location = if app.has("code-in-landing-url") {
        format!("/cabinet?code={code}")
    } else {
        "/cabinet".to_owned()
    };
    let same_site = if app.has("session-strict") { "Strict" } else { "Lax" };
    let cookie = app.cookie(&format!("{COOKIE_NAME}={id}; HttpOnly; SameSite={same_site}; Path=/"));
    (
        StatusCode::SEE_OTHER,
        [(
            LOCATION,
            HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/cabinet")),
        )],
        [(SET_COOKIE, cookie)],
    )
        .into_response()
}
