//! Step 06 (`06-microsoft-identity`), written from `book/src/contract.md`
//! alone: step 05's server as it is, with Sign in with Microsoft beside
//! Google's, linking a second provider to an account, and `/api/prices`
//! through a managed identity. Both providers' flows are served here
//! (Google's at step 05's addresses, so that its callback can link too);
//! every other request goes to step 05's app (run without flaws), which
//! goes on serving the home page, `/api/me` and the password accounts. Every deliberate flaw is one
//! `app.has("...")` away from the correct code.

mod entra;
mod flow;
mod leg;
mod links;
mod prices;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{
        HeaderValue, StatusCode,
        header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE},
    },
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use tower::Service;

use self::{leg::Leg, links::Links, prices::Prices};
use crate::{
    Config,
    s05::{
        accounts::{GOOGLE, ProviderAccounts},
        oidc::Provider,
        pending,
    },
};

/// The largest page of step 05's that is read to add to.
const LARGEST_PAGE: usize = 1024 * 1024;
/// The provider name of Microsoft's accounts and links.
const MICROSOFT: &str = "microsoft";

struct App {
    config: Config,
    flaw: &'static str,
    /// Step 05's server, which answers everything step 06 does not.
    earlier: Router,
    accounts: ProviderAccounts,
    links: Links,
    google: Leg,
    microsoft: Leg,
    /// The `link-unbound` flaw's link intents, by session id.
    intents: Mutex<HashMap<String, i64>>,
    prices: Prices,
}

type Shared = Arc<App>;

/// Step 06's server: step 05's, with Microsoft's routes and the prices.
pub async fn app(config: Config, flaw: &'static str) -> Result<Router, String> {
    // Step 05's own flaws are not this step's: its server runs flawless.
    let earlier = crate::s05::app(config.clone(), mutants::NONE).await?;
    let app = Arc::new(App {
        accounts: ProviderAccounts::open(&config, mutants::NONE).await?,
        links: Links::open(&config).await?,
        // Step 05's addresses: its own routes are overridden here, so that
        // Google can be linked too.
        google: Leg::new(
            GOOGLE,
            "Google",
            Provider::from_env(mutants::NONE)?,
            pending::COOKIE,
            "/auth/callback",
        ),
        microsoft: Leg::new(
            MICROSOFT,
            "Microsoft",
            entra::provider(&config, flaw)?,
            "ms_pending",
            "/auth/microsoft/callback",
        ),
        intents: Mutex::default(),
        prices: Prices::from_env(flaw)?,
        config,
        flaw,
        earlier: earlier.clone(),
    });
    Ok(Router::new()
        .route("/", get(home))
        .route("/api/me", get(me))
        .route("/login/google", get(flow::login_google))
        .route("/auth/callback", get(flow::callback_google))
        .route("/login/microsoft", get(flow::login_microsoft))
        .route("/auth/microsoft/callback", get(flow::callback_microsoft))
        .route("/account/link/{provider}", post(flow::link))
        .route("/api/prices", get(prices::route))
        .fallback_service(earlier)
        .with_state(app))
}

impl App {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("06", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// Step 05's answer to `request`.
    async fn earlier(&self, request: Request) -> Response {
        let mut earlier = self.earlier.clone();
        match earlier.call(request).await {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        }
    }

    /// The flow of the provider named `name` in `/account/link/<name>`.
    fn leg(&self, name: &str) -> Option<&Leg> {
        [&self.google, &self.microsoft].into_iter().find(|leg| leg.name == name)
    }

    fn cookie(&self, cookie: &str) -> HeaderValue {
        let secure = if self.config.secure_cookies() { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{cookie}{secure}")).expect("cookies are header-safe")
    }
}

/// Step 05's home page, with Microsoft's button after Google's.
async fn home(State(app): State<Shared>, request: Request) -> Response {
    let response = app.earlier(request).await;
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if app.has("no-microsoft-button") || response.status() != StatusCode::OK || !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, LARGEST_PAGE).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let google = "Sign in with Google</a></p>";
    let button =
        "\n<p><a class=\"microsoft\" href=\"/login/microsoft\">Sign in with Microsoft</a></p>";
    let html = match html.find(google) {
        Some(at) => {
            let end = at + google.len();
            format!("{}{button}{}", &html[..end], &html[end..])
        }
        None => html.into_owned(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// Step 05's `/api/me`, with what the account signs in with: its own
/// provider first, then the ones linked to it.
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
    let mut providers = vec![me["provider"].as_str().unwrap_or("password").to_owned()];
    match app.links.linked_to(&username).await {
        Ok(linked) => {
            for provider in linked {
                if !providers.contains(&provider) {
                    providers.push(provider);
                }
            }
        }
        Err(error) => eprintln!("mutant: cannot read {username:?}'s links: {error}"),
    }
    me["providers"] = json!(providers);
    (parts.status, [(CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(me))
        .into_response()
}
