//! Step 06: Sign in with Microsoft beside Google, a second provider linked
//! to an account, and a call to a price service with the server's own
//! managed identity.
//!
//! Microsoft signs in through step 05's OpenID Connect code, with Entra
//! ID's [`entra::Entra`] dialect: its issuer names the tenant, and people
//! are keyed by `tid:oid`. Linking (`accounts`, `routes::link`) lets a
//! signed-in user add the other provider to their account, by signing in
//! with it then; a sign-in alone never links. `/api/prices` calls a
//! service with a token the platform gives the server (`prices`): no
//! secret of its own. Everything else is step 05's app, used as a crate.

pub mod accounts;
pub mod db;
pub mod entra;
pub mod microsoft;
pub mod prices;
mod routes;

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderValue, header::REFERRER_POLICY},
    routing::{get, post},
};
use step05_solution::{AppState, Extension, GOOGLE, Providers, oidc};
use tower_http::set_header::SetResponseHeaderLayer;

pub use microsoft::MICROSOFT;

/// What this step adds to step 01's sign-in page, above the password form.
const SIGN_IN_BUTTONS: &str = r#"<p><a class="button" href="/login/google">Sign in with Google</a></p>
  <p><a class="button" href="/login/microsoft">Sign in with Microsoft</a></p>
  <p>Or with your username and password:</p>"#;

// ANCHOR: app
pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    let google = step05_solution::google(config)?;
    let microsoft = microsoft::from_env(config)?;
    let prices = match prices::Settings::from_env()? {
        Some(settings) => Some(Arc::new(prices::PriceClient::new(settings)?)),
        None => None,
    };
    app_with(config, google, microsoft, prices).await
}

/// The app with these providers and price client: tests give them
/// shorter time limits.
pub async fn app_with(
    config: &kit::Config,
    google: Option<Arc<oidc::Provider>>,
    microsoft: Option<Arc<oidc::Provider>>,
    prices: Option<Arc<prices::PriceClient>>,
) -> Result<Router, kit::serve::BoxError> {
    let providers =
        Providers::default().with(GOOGLE, "Google", google).with(MICROSOFT, "Microsoft", microsoft);
    let extension = Extension {
        providers,
        before_form: SIGN_IN_BUTTONS,
        migrations: db::migrations,
        routes: Box::new(move |state| routes(state).merge(prices::routes(prices))),
    };
    step05_solution::extended(config, extension).await
}
// ANCHOR_END: app

fn routes(state: AppState) -> Router {
    let private = Router::new()
        .route("/cabinet", get(routes::cabinet::show))
        .route("/api/me", get(routes::me::show))
        .layer(kit::private::no_store());
    // As in step 05: the sign-in's legs carry one-time secrets in their
    // URLs, so no cache keeps their answers and no Referer repeats them.
    let sign_in = Router::new()
        .route("/login/microsoft", get(login_microsoft))
        .route("/auth/callback", get(routes::callback::google))
        .route("/auth/microsoft/callback", get(routes::callback::microsoft))
        .route("/account/link/{provider}", post(routes::link::start))
        .layer(kit::private::no_store())
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    Router::new().merge(private).merge(sign_in).with_state(state)
}

async fn login_microsoft(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: tower_sessions::Session,
) -> axum::response::Response {
    step05_solution::routes::login_google::start_with(&state, &session, MICROSOFT).await
}
