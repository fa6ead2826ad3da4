//! The pages' session over the SQL store, with remember-me: a sign-in that
//! asks for it gets a session, and a cookie, that outlive the browser.

use std::time::Duration;

use async_trait::async_trait;
use axum::{
    Form, Router,
    extract::{Request, State},
    middleware::{self, Next},
    response::Response,
};
use kit::session::Sessions;
use serde::Deserialize;
use step01_solution::{
    auth::{SignedIn, TowerSession},
    routes::login::Credentials,
};
use step02_solution::AppState;
use time::OffsetDateTime;
use tower_sessions::Expiry;

use crate::store::SqlStore;

/// The box step 04 adds to step 01's sign-in form (`kit::SignInExtras`).
pub const REMEMBER_BOX: &str = r#"<label><input type="checkbox" name="remember" value="on"> Remember me on this device</label>"#;

/// The key, in a remembered session's data, of when it ends (Unix seconds).
const REMEMBERED_UNTIL: &str = "remembered_until";

/// How long sessions live unused: plain, and remembered.
#[derive(Clone, Copy)]
struct Lifetimes {
    session: Duration,
    remember: Duration,
}

/// The sign-in form with step 04's box: step 01's fields, and `remember`,
/// which the browser sends only when the box is ticked.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(flatten)]
    credentials: Credentials,
    remember: Option<String>,
}

/// `POST /login`: step 02's sign-in, remembered when the box is ticked.
pub async fn login(
    state: State<AppState>,
    session: kit::Session,
    Form(form): Form<SignInForm>,
) -> Response {
    let session =
        if form.remember.is_some() { kit::Session::new(Remembered(session)) } else { session };
    step02_solution::routes::login::submit(state, session, Form(form.credentials)).await
}

/// A session whose sign-in is a remembered one.
struct Remembered(kit::Session);

#[async_trait]
impl Sessions for Remembered {
    async fn current_user(&self) -> Option<String> {
        self.0.current_user().await
    }

    async fn sign_in(&self, username: &str) -> Result<(), kit::session::Error> {
        self.0.sign_in_remembered(username).await
    }

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        self.0.sign_out().await
    }
}

pub struct SqlSession {
    /// Step 01's session code, over this request's tower-sessions session.
    pages: TowerSession,
    session: tower_sessions::Session,
    remember_ttl: Duration,
}

#[async_trait]
impl Sessions for SqlSession {
    async fn current_user(&self) -> Option<String> {
        self.pages.current_user().await
    }

    async fn sign_in(&self, username: &str) -> Result<(), kit::session::Error> {
        // `cycle_id` keeps the session's data: a plain sign-in after a
        // remembered one must not inherit its lifetime.
        self.session.remove::<i64>(REMEMBERED_UNTIL).await?;
        self.pages.sign_in(username).await
    }

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        self.pages.sign_out().await
    }

    async fn sign_in_remembered(&self, username: &str) -> Result<(), kit::session::Error> {
        // TODO(step 04): sign in for REMEMBER_TTL_SECS (`self.remember_ttl`),
        // used or not, with a cookie that the browser keeps as long, and
        // note in the session until when it is remembered, so that
        // `keep_cookie_lifetime` can say it again. See
        // book/src/04-db-sessions.md, "Remember me".
        self.sign_in(username).await
    }
}

/// Gives every request of `router` a session kept in the `sessions` table,
/// with the contract's cookie.
pub fn with_sql_sessions<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    store: SqlStore,
    config: &kit::Config,
) -> Router<S> {
    let lifetimes = Lifetimes { session: config.session_ttl, remember: config.remember_ttl };
    router
        .layer(middleware::from_fn_with_state(lifetimes, attach))
        .layer(kit::session::cookie_layer(store, config))
}

async fn attach(State(lifetimes): State<Lifetimes>, mut request: Request, next: Next) -> Response {
    let session = request.extensions().get::<tower_sessions::Session>().cloned();
    if let Some(session) = &session {
        let session = SqlSession {
            pages: TowerSession::new(session.clone(), lifetimes.session),
            session: session.clone(),
            remember_ttl: lifetimes.remember,
        };
        request.extensions_mut().insert(kit::Session::new(session));
    }
    let response = next.run(request).await;
    if let Some(session) = &session {
        keep_cookie_lifetime(session).await;
    }
    response
}

/// Run after the handler: a remembered session's cookie keeps its
/// `Max-Age` whenever the session is written. tower-sessions does not store
/// a cookie's lifetime with the session, so without this any write (a
/// sign-in with a provider starting, say) would send the cookie again
/// without `Max-Age`, and "remember me" would end with the browser.
async fn keep_cookie_lifetime(session: &tower_sessions::Session) {
    // Set this request (at sign-in), or nothing to send: leave it alone.
    let default_expiry = matches!(session.expiry(), None | Some(Expiry::OnSessionEnd));
    if !session.is_modified() || !default_expiry {
        return;
    }
    let Ok(Some(until)) = session.get::<i64>(REMEMBERED_UNTIL).await else {
        return;
    };
    if let Ok(until) = OffsetDateTime::from_unix_timestamp(until) {
        session.set_expiry(Some(Expiry::AtDateTime(until)));
    }
}
