//! The session layer: reads the signed cookie before a handler runs, gives
//! the handler a `kit::Session` backed by the file store, and sets or
//! clears the cookie afterwards. This is what tower-sessions did for us in
//! steps 01 and 02.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};

use crate::{
    session_id::SessionId,
    signing::Signer,
    store::{FileStore, Record, now},
};

/// What every request's session needs: the store, the key, the settings.
#[derive(Clone)]
pub struct FileSessions(Arc<Shared>);

struct Shared {
    store: FileStore,
    signer: Signer,
    ttl: Duration,
    /// `SESSION_ABSOLUTE_TTL_SECS`: how long after sign-in any session ends.
    absolute_ttl: Duration,
    secure: bool,
    /// One lock per session id in use, so that a renewal cannot write back a
    /// session that a sign-out on another request has just deleted.
    locks: Mutex<HashMap<SessionId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Shared {
    /// Holds `id`'s lock for as long as the guard lives.
    async fn lock(&self, id: &SessionId) -> IdGuard<'_> {
        let lock = self.locks.lock().expect("locks").entry(id.clone()).or_default().clone();
        let guard = lock.clone().lock_owned().await;
        IdGuard { shared: self, id: id.clone(), lock, _guard: guard }
    }
}

struct IdGuard<'a> {
    shared: &'a Shared,
    id: SessionId,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for IdGuard<'_> {
    fn drop(&mut self) {
        // The map, this guard's `lock` and the guard itself hold the Arc:
        // with no one else waiting, the id's lock goes, so the map holds
        // only ids in use.
        let mut locks = self.shared.locks.lock().expect("locks");
        if Arc::strong_count(&self.lock) <= 3 {
            locks.remove(&self.id);
        }
    }
}

impl FileSessions {
    pub fn new(store: FileStore, signer: Signer, config: &kit::Config) -> Self {
        let shared = Shared {
            store,
            signer,
            ttl: config.session_ttl,
            absolute_ttl: config.session_absolute_ttl,
            secure: config.secure_cookies(),
            locks: Mutex::default(),
        };
        Self(Arc::new(shared))
    }

    /// Sweeps abandoned sessions every TTL (at most every minute), in a task
    /// of its own for as long as the server runs.
    pub fn spawn_sweep(&self) {
        let shared = self.0.clone();
        let every = shared.ttl.clamp(Duration::from_secs(1), Duration::from_secs(60));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                match shared.store.sweep().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "swept expired sessions"),
                    Err(error) => tracing::warn!(%error, "cannot sweep the sessions folder"),
                }
            }
        });
    }
}

/// Mounts `router` on file sessions.
pub fn with_file_sessions<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    sessions: FileSessions,
) -> Router<S> {
    router.layer(middleware::from_fn_with_state(sessions, attach))
}

async fn attach(
    State(sessions): State<FileSessions>,
    mut request: Request,
    next: Next,
) -> Response {
    // A cookie that is unsigned, wrongly signed or holds no valid id is no
    // cookie at all, and no file is opened for it.
    let id = session_cookie(request.headers()).and_then(|value| sessions.0.signer.verify(value));
    let session = FileSession {
        shared: sessions.0.clone(),
        state: Arc::new(Mutex::new(Current { id, change: None })),
    };
    request.extensions_mut().insert(kit::Session::new(session.clone()));
    let mut response = next.run(request).await;
    if let Some(cookie) = session.cookie_to_set() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The value of the `session` cookie, if the request has exactly one. Two
/// or more are no session at all: a sibling subdomain can plant a second
/// `session` cookie for our host, and which one comes first is the
/// browser's choice, so picking one could sign the user in as the attacker.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == "session")
        .map(|(_, value)| value);
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// One request's session.
#[derive(Clone)]
struct FileSession {
    shared: Arc<Shared>,
    state: Arc<Mutex<Current>>,
}

struct Current {
    /// The verified id the browser sent, or the one given at sign-in.
    id: Option<SessionId>,
    /// What the answer must tell the browser.
    change: Option<Change>,
}

enum Change {
    NewId(SessionId),
    Ended,
}

impl FileSession {
    fn id(&self) -> Option<SessionId> {
        self.state.lock().expect("session lock").id.clone()
    }

    fn change(&self, id: Option<SessionId>, change: Change) {
        let mut state = self.state.lock().expect("session lock");
        state.id = id;
        state.change = Some(change);
    }

    fn ttl(&self) -> i64 {
        i64::try_from(self.shared.ttl.as_secs()).unwrap_or(i64::MAX)
    }

    fn record(&self, username: &str) -> Record {
        let absolute = i64::try_from(self.shared.absolute_ttl.as_secs()).unwrap_or(i64::MAX);
        Record::new(username, self.ttl(), absolute)
    }

    /// `Set-Cookie` for the answer, when the session changed.
    fn cookie_to_set(&self) -> Option<HeaderValue> {
        let state = self.state.lock().expect("session lock");
        let secure = if self.shared.secure { "; Secure" } else { "" };
        let cookie = match state.change.as_ref()? {
            Change::NewId(id) => {
                format!(
                    "session={}; HttpOnly; SameSite=Lax; Path=/{secure}",
                    self.shared.signer.sign(id)
                )
            }
            Change::Ended => format!("session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}"),
        };
        HeaderValue::from_str(&cookie).ok()
    }
}

#[async_trait]
impl kit::session::Sessions for FileSession {
    async fn current_user(&self) -> Option<String> {
        let id = self.id()?;
        let _lock = self.shared.lock(&id).await;
        let Some(record) = self.shared.store.load(&id).await else {
            // Expired (the store removed the file) or unknown: the browser
            // can forget the cookie too.
            self.change(None, Change::Ended);
            return None;
        };
        // Sliding expiry: use buys another TTL, up to `ends_at` and never
        // past it. Renewing at most once every tenth of the TTL keeps a busy
        // user from writing a file a request.
        let ttl = self.ttl();
        if record.expires_at - now() < ttl - ttl / 10 && record.expires_at < record.ends_at {
            let renewed = record.clone().renewed(ttl);
            if let Err(error) = self.shared.store.save(&id, &renewed).await {
                tracing::warn!(%error, "cannot renew a session");
            }
        }
        Some(record.username)
    }

    async fn sign_in(&self, username: &str) -> Result<(), kit::session::Error> {
        // A new id at every sign-in, and the old session gone: an id from
        // before sign-in never becomes signed in.
        if let Some(old) = self.id() {
            let _lock = self.shared.lock(&old).await;
            self.shared.store.delete(&old).await?;
        }
        let id = SessionId::generate();
        self.shared.store.save(&id, &self.record(username)).await?;
        self.change(Some(id.clone()), Change::NewId(id));
        Ok(())
    }

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        if let Some(id) = self.id() {
            let _lock = self.shared.lock(&id).await;
            self.shared.store.delete(&id).await?;
        }
        self.change(None, Change::Ended);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(header::COOKIE, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    #[test]
    fn one_session_cookie_is_read_two_are_none() {
        assert_eq!(session_cookie(&headers(&["theme=dark; session=a.b"])), Some("a.b"));
        assert_eq!(session_cookie(&headers(&["theme=dark"])), None);
        assert_eq!(session_cookie(&headers(&["session=a.b; session=c.d"])), None);
        assert_eq!(session_cookie(&headers(&["session=a.b", "session=a.b"])), None);
    }
}
