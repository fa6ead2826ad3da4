//! Step 05: Sign in with Google. The browser goes to Google, comes back with
//! a code, and the server trades the code for an ID token that it checks
//! before it believes who signed in: OpenID Connect's authorization code
//! flow, with PKCE, state and nonce. Someone new gets an account at their
//! first sign-in.
//!
//! Everything else is step 04's app, used as a crate: password accounts and
//! sessions in SQL, remember-me, registration, sign-out. The home page is
//! step 01's, with a button for Google above its form (`kit::SignInExtras`);
//! the pages that now say more (the cabinet, `/api/me`) are this step's;
//! every other route falls through to step 04's.

pub mod db;
pub mod oidc;
pub mod pending;
pub mod profile;
pub mod routes;
pub mod username;
pub mod users;

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    http::{HeaderValue, header::REFERRER_POLICY},
    routing::get,
};
use sqlx::AnyPool;
use step02_solution::Accounts;
use step04_solution::{readers::Readers, remember, store::SqlStore, users::SqlUsers};
use tower_http::set_header::SetResponseHeaderLayer;

/// The name Google's accounts and sign-ins are kept under, in `users` and
/// `oidc_pending` (`provider`), and shown by `/api/me`.
pub const GOOGLE: &str = "google";

/// What step 05 adds to step 01's sign-in page, above the password form.
const SIGN_IN_WITH_GOOGLE: &str = r#"<p><a class="button" href="/login/google">Sign in with Google</a></p>
  <p>Or with your username and password:</p>"#;

#[derive(Clone)]
pub struct AppState {
    pub site: kit::Site,
    pub pool: AnyPool,
    /// Step 04's connections kept for reads, shared with the session store:
    /// the profile is read on every request that shows it.
    pub reads: Arc<Readers>,
    pub providers: Providers,
}

/// The OpenID providers a server signs in with, by name: Google in this
/// step. A provider without a client id and secret is listed, as `None`:
/// the server still runs, with password sign-in only.
#[derive(Clone, Default)]
pub struct Providers(Arc<Vec<Listed>>);

#[derive(Clone)]
struct Listed {
    name: &'static str,
    label: &'static str,
    provider: Option<Arc<oidc::Provider>>,
}

impl Providers {
    /// `provider`, called `name` in the database and `label` on pages.
    pub fn with(
        mut self,
        name: &'static str,
        label: &'static str,
        provider: Option<Arc<oidc::Provider>>,
    ) -> Self {
        Arc::make_mut(&mut self.0).push(Listed { name, label, provider });
        self
    }
}

impl AppState {
    /// The provider called `name`, if the server can sign in with it.
    pub fn provider(&self, name: &str) -> Option<&oidc::Provider> {
        self.providers.0.iter().find(|listed| listed.name == name)?.provider.as_deref()
    }

    /// What an account of `provider` signs in with, as the cabinet says it:
    /// "Google", or "a password".
    pub fn signed_in_with(&self, provider: &str) -> &'static str {
        match provider {
            "password" => "a password",
            name => self.label(name),
        }
    }

    /// How pages name the provider called `name`: "Google".
    pub fn label(&self, name: &str) -> &'static str {
        let listed = self.providers.0.iter().find(|listed| listed.name == name);
        listed.map_or("the provider", |listed| listed.label)
    }
}

impl FromRef<AppState> for kit::Site {
    fn from_ref(state: &AppState) -> Self {
        state.site.clone()
    }
}

/// What a later step adds to this app (step 06 signs in with a second
/// provider): its providers, the sign-in page's buttons, its migrations
/// after this step's, and routes answered before this step's.
pub struct Extension {
    pub providers: Providers,
    pub before_form: &'static str,
    pub migrations: step04_solution::db::Later,
    pub routes: Box<dyn FnOnce(AppState) -> Router + Send>,
}

impl Extension {
    /// This step as it is: Google, and nothing more.
    pub fn google(google: Option<Arc<oidc::Provider>>) -> Self {
        Self {
            providers: Providers::default().with(GOOGLE, "Google", google),
            before_form: SIGN_IN_WITH_GOOGLE,
            migrations: db::migrations,
            routes: Box::new(|_| Router::new()),
        }
    }
}

// ANCHOR: app
pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    app_with(config, google(config)?).await
}

/// The app, signing in with `google`: tests give a provider whose time
/// limits are shorter.
pub async fn app_with(
    config: &kit::Config,
    google: Option<Arc<oidc::Provider>>,
) -> Result<Router, kit::serve::BoxError> {
    extended(config, Extension::google(google)).await
}

/// The app with a later step's `extension`.
pub async fn extended(
    config: &kit::Config,
    extension: Extension,
) -> Result<Router, kit::serve::BoxError> {
    let pool = db::open_with(config, extension.migrations).await?;
    let store = SqlStore::new(pool.clone(), config.session_ttl);
    store.clone().spawn_sweep();
    pending::spawn_sweep(pool.clone());
    let accounts = Accounts::new(SqlUsers::new(pool.clone()));
    let mut step02 = step02_solution::AppState::with_accounts(accounts, config);
    step02.site.sign_in =
        kit::SignInExtras { before_form: extension.before_form, in_form: remember::REMEMBER_BOX };
    let reads = store.reads();
    let state = AppState { site: step02.site.clone(), pool, reads, providers: extension.providers };
    // A later step's routes first, then this step's; any other request is
    // step 04's.
    let own = routes(state.clone()).fallback_service(step04_solution::routes(step02));
    let routes = (extension.routes)(state).fallback_service(own);
    let routes = remember::with_sql_sessions(routes, store, config);
    Ok(step02_solution::refuse_cross_site(routes, config))
}
// ANCHOR_END: app

/// Google (or `OIDC_ISSUER`), when the server has a client id and secret.
/// Nothing is fetched yet: the provider may be unreachable at start.
pub fn google(config: &kit::Config) -> Result<Option<Arc<oidc::Provider>>, oidc::Error> {
    let Some(settings) = oidc::Settings::from_config(config) else {
        tracing::warn!(
            "OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is not set: Sign in with Google is off"
        );
        return Ok(None);
    };
    Ok(Some(Arc::new(oidc::Provider::new(settings)?)))
}

fn routes(state: AppState) -> Router {
    let private = Router::new()
        .route("/cabinet", get(routes::cabinet::show))
        .route("/api/me", get(routes::me::show))
        .layer(kit::private::no_store());
    // The sign-in's two legs carry one-time secrets in their URLs: no cache
    // keeps their answers, and no Referer repeats their addresses.
    let sign_in = Router::new()
        .route("/login/google", get(routes::login_google::start))
        .route("/auth/callback", get(routes::callback::finish))
        .layer(kit::private::no_store())
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    Router::new()
        .route("/", get(step01_solution::routes::home::show))
        .merge(private)
        .merge(sign_in)
        .with_state(state)
}
