//! The token cache: one token for the price service, kept until shortly
//! before it expires, and fetched anew by one request for all.
//!
//! A token lasts hours; fetching one for every request would make the
//! identity endpoint a part of every request, for nothing. So a token is
//! kept and reused until `margin` before its `expires_on`.
//!
//! When it must be fetched, the requests that need it meanwhile wait for
//! that one fetch rather than start their own, and no lock is held while
//! they wait: the fetch runs on a task of its own and tells its outcome
//! through a `watch` channel. A failure is told to every one of them at
//! once (a slow endpoint costs each waiting request one timeout, not one
//! each in a queue), and remembered for `retry_after`: while the endpoint
//! is down, requests fail fast and the endpoint is not hammered.

use std::{
    future::Future,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant, SystemTime},
};

use tokio::sync::watch;

use super::{Error, identity::AccessToken};

type Outcome = Result<Arc<AccessToken>, Error>;

/// Where the requests waiting for a fetch hear how it ended.
type Waiting = watch::Receiver<Option<Outcome>>;

pub struct Tokens {
    state: Arc<Mutex<State>>,
    /// A kept token is not handed out in its last `margin`.
    margin: Duration,
    /// How long a failed fetch is answered from memory.
    retry_after: Duration,
}

#[derive(Default)]
struct State {
    kept: Option<Arc<AccessToken>>,
    fetching: Option<Waiting>,
    failed: Option<(Error, Instant)>,
}

/// What a request does, decided under the lock.
enum Next {
    Answer(Outcome),
    Wait(Waiting),
}

impl Tokens {
    pub fn new(margin: Duration, retry_after: Duration) -> Self {
        Self { state: Arc::default(), margin, retry_after }
    }

    // ANCHOR: get
    /// A token: the kept one if it is not within `margin` of expiring,
    /// else the one that the fetch under way brings, else one that `fetch`
    /// brings. Within `retry_after` of a failed fetch, that failure.
    ///
    /// The caller bounds how long it waits (a fetch may be slow); the
    /// fetch goes on without it, and its token is kept for the next.
    pub async fn get<F>(&self, fetch: impl FnOnce() -> F) -> Outcome
    where
        F: Future<Output = Result<AccessToken, Error>> + Send + 'static,
    {
        let mut waiting = match self.next(fetch) {
            Next::Answer(outcome) => return outcome,
            Next::Wait(waiting) => waiting,
        };
        // The lock is not held here: other requests take the kept token,
        // or join this wait.
        match waiting.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or_else(|| Err(stopped())),
            Err(_) => Err(stopped()),
        }
    }

    fn next<F>(&self, fetch: impl FnOnce() -> F) -> Next
    where
        F: Future<Output = Result<AccessToken, Error>> + Send + 'static,
    {
        let mut state = lock(&self.state);
        if let Some(token) = &state.kept
            && self.fresh(token)
        {
            return Next::Answer(Ok(Arc::clone(token)));
        }
        if let Some(waiting) = &state.fetching {
            return Next::Wait(waiting.clone());
        }
        if let Some((error, at)) = &state.failed
            && at.elapsed() < self.retry_after
        {
            return Next::Answer(Err(error.clone()));
        }
        let (tell, waiting) = watch::channel(None);
        state.fetching = Some(waiting.clone());
        let told = Told { state: Arc::clone(&self.state), tell, outcome: None };
        let fetch = fetch();
        // A task of its own: the fetch ends, and its token is kept, even if
        // every request waiting for it has given up. The HTTP client's
        // timeout bounds it.
        tokio::spawn(async move {
            let outcome = fetch.await.map(Arc::new);
            told.tell(outcome);
        });
        Next::Wait(waiting)
    }
    // ANCHOR_END: get

    /// Forgets `token` if it is still the kept one: the price service
    /// refused it, so it may have been revoked. A request that refused
    /// token made while another request already fetched a new one leaves
    /// the new one alone.
    pub fn forget(&self, token: &Arc<AccessToken>) {
        let mut state = lock(&self.state);
        if state.kept.as_ref().is_some_and(|kept| Arc::ptr_eq(kept, token)) {
            state.kept = None;
        }
    }

    /// More than `margin` before its `expires_on`, by this server's clock.
    fn fresh(&self, token: &AccessToken) -> bool {
        token.expires_on.duration_since(SystemTime::now()).is_ok_and(|left| left > self.margin)
    }
}

/// Tells the fetch's outcome when it is dropped: at the end of the fetch's
/// task, or when that task ends without one (it panicked, the runtime
/// stopped). Whichever, the waiting requests hear of it and the next
/// request can start another fetch.
struct Told {
    state: Arc<Mutex<State>>,
    tell: watch::Sender<Option<Outcome>>,
    outcome: Option<Outcome>,
}

impl Told {
    fn tell(mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
}

impl Drop for Told {
    fn drop(&mut self) {
        let outcome = self.outcome.take().unwrap_or_else(|| Err(stopped()));
        let mut state = lock(&self.state);
        match &outcome {
            Ok(token) => {
                state.kept = Some(Arc::clone(token));
                state.failed = None;
            }
            Err(error) => state.failed = Some((error.clone(), Instant::now())),
        }
        state.fetching = None;
        self.tell.send_replace(Some(outcome));
    }
}

fn stopped() -> Error {
    Error::Identity("the token fetch stopped without an outcome".into())
}

/// The state, even after a panic elsewhere while it was locked: each
/// change to it is whole before the lock is let go.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const FETCH_TIME: Duration = Duration::from_millis(50);

    fn tokens() -> Tokens {
        Tokens::new(Duration::from_secs(300), Duration::ZERO)
    }

    /// A fetch that counts itself, takes [`FETCH_TIME`] and gives a token.
    fn fetch(count: &Arc<AtomicUsize>) -> impl Future<Output = Result<AccessToken, Error>> + use<> {
        count.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(FETCH_TIME).await;
            Ok(AccessToken::for_tests(HOUR))
        }
    }

    #[tokio::test]
    async fn a_fetch_that_panics_fails_its_waiters_and_the_next_request_fetches_again() {
        let tokens = tokens();
        let panics = || async {
            tokio::time::sleep(FETCH_TIME).await;
            panic!("the fetch panics");
        };
        let (a, b) = tokio::join!(tokens.get(panics), tokens.get(panics));
        assert!(matches!(a, Err(Error::Identity(_))), "{a:?}");
        assert!(matches!(b, Err(Error::Identity(_))), "{b:?}");

        let count = Arc::new(AtomicUsize::new(0));
        assert!(tokens.get(|| fetch(&count)).await.is_ok());
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_fetch_ends_and_is_kept_when_its_request_gives_up() {
        let tokens = tokens();
        let count = Arc::new(AtomicUsize::new(0));
        let impatient = tokio::time::timeout(FETCH_TIME / 5, tokens.get(|| fetch(&count)));
        assert!(impatient.await.is_err());
        tokio::time::sleep(FETCH_TIME * 2).await;
        assert!(tokens.get(|| fetch(&count)).await.is_ok());
        assert_eq!(count.load(Ordering::SeqCst), 1, "the first fetch's token was kept");
    }

    #[tokio::test]
    async fn forgetting_a_refused_token_leaves_a_newer_one_alone() {
        let tokens = tokens();
        let count = Arc::new(AtomicUsize::new(0));
        let old = tokens.get(|| fetch(&count)).await.unwrap();
        tokens.forget(&old);
        let new = tokens.get(|| fetch(&count)).await.unwrap();
        assert!(!Arc::ptr_eq(&old, &new));
        // A request that was refused the old token, late.
        tokens.forget(&old);
        let kept = tokens.get(|| fetch(&count)).await.unwrap();
        assert!(Arc::ptr_eq(&kept, &new));
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }
}
