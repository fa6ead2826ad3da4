//! A document the app fetches from its provider and keeps (the discovery
//! document, the keys), shared by every request that needs it.
//!
//! A provider that is slow or down must not make sign-ins queue behind
//! each other. So no lock is held while the document is on its way: the
//! fetch runs on a task of its own, and the requests that need the
//! document meanwhile wait for that one fetch, each within its own time
//! limit, rather than start their own. A failed fetch is remembered for a
//! few seconds and answered at once: while the provider is down, sign-ins
//! fail fast instead of each waiting out the timeout, and the provider is
//! not asked again and again.

use std::{
    future::Future,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::Error;

/// How a fetch ends: the document, or why there is none.
type Outcome<T> = Result<Arc<T>, Error>;

/// Where the requests waiting for a fetch learn how it ended.
type Waiting<T> = watch::Receiver<Option<Outcome<T>>>;

pub struct Fetched<T> {
    state: Arc<Mutex<State<T>>>,
    /// How long a failure is answered from memory.
    retry_after: Duration,
}

struct State<T> {
    /// What the last fetch that succeeded brought.
    kept: Option<Arc<T>>,
    /// The fetch under way, if one is.
    under_way: Option<Waiting<T>>,
    /// The last fetch's failure, and when it came.
    failed: Option<(Error, Instant)>,
}

impl<T: Send + Sync + 'static> Fetched<T> {
    pub fn new(retry_after: Duration) -> Self {
        let state = State { kept: None, under_way: None, failed: None };
        Self { state: Arc::new(Mutex::new(state)), retry_after }
    }

    /// The document as last fetched, if it ever was.
    pub fn kept(&self) -> Option<Arc<T>> {
        lock(&self.state).kept.clone()
    }

    /// The document fetched anew: by `fetch`, or by the fetch already under
    /// way. Within `retry_after` of a failed fetch, that failure, at once.
    pub async fn fetch<F>(&self, fetch: impl FnOnce() -> F) -> Outcome<T>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let mut waiting = self.join_or_start(fetch)?;
        // No lock is held while waiting: other requests read what is kept,
        // or join this fetch.
        let outcome = waiting.wait_for(Option::is_some).await.ok().and_then(|ended| ended.clone());
        outcome.unwrap_or_else(|| {
            // The fetch's task ended without saying how (it panicked):
            // forget it, so that the next request starts another.
            let mut state = lock(&self.state);
            if state.under_way.as_ref().is_some_and(|under_way| under_way.same_channel(&waiting)) {
                state.under_way = None;
            }
            Err(Error::Unreachable("the fetch stopped without an outcome".into()))
        })
    }

    /// The fetch to wait for: the one under way, or one started now.
    fn join_or_start<F>(&self, fetch: impl FnOnce() -> F) -> Result<Waiting<T>, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let mut state = lock(&self.state);
        if let Some((error, at)) = &state.failed
            && at.elapsed() < self.retry_after
        {
            return Err(error.clone());
        }
        if let Some(under_way) = &state.under_way {
            return Ok(under_way.clone());
        }
        let (tell, waiting) = watch::channel(None);
        state.under_way = Some(waiting.clone());
        let (shared, fetch) = (Arc::clone(&self.state), fetch());
        // Its own task, so that the fetch ends, and its outcome is kept,
        // even when the request that started it stops waiting (its time is
        // up, or its browser went away). The HTTP client's timeout bounds it.
        tokio::spawn(async move {
            let outcome = fetch.await.map(Arc::new);
            let mut state = lock(&shared);
            match &outcome {
                Ok(document) => {
                    state.kept = Some(Arc::clone(document));
                    state.failed = None;
                }
                Err(error) => state.failed = Some((error.clone(), Instant::now())),
            }
            state.under_way = None;
            tell.send_replace(Some(outcome));
        });
        Ok(waiting)
    }
}

/// The state, even after a panic elsewhere while it was locked: each
/// change to it is a single assignment, so it is never left half-made.
fn lock<T>(state: &Mutex<State<T>>) -> MutexGuard<'_, State<T>> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const RETRY_AFTER: Duration = Duration::from_millis(300);
    const FETCH_TIME: Duration = Duration::from_millis(100);

    /// A fetch that counts itself and ends after [`FETCH_TIME`] with `outcome`.
    fn counted(
        fetches: &Arc<AtomicUsize>,
        outcome: Result<&'static str, Error>,
    ) -> impl Future<Output = Result<&'static str, Error>> + Send + 'static {
        fetches.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(FETCH_TIME).await;
            outcome
        }
    }

    fn down() -> Error {
        Error::Unreachable("connection refused".into())
    }

    #[tokio::test]
    async fn requests_at_once_share_one_fetch() {
        let fetched = Fetched::new(RETRY_AFTER);
        let fetches = Arc::new(AtomicUsize::new(0));
        let fetch = || fetched.fetch(|| counted(&fetches, Ok("document")));
        let outcomes = tokio::join!(fetch(), fetch(), fetch(), fetch());
        for outcome in [outcomes.0, outcomes.1, outcomes.2, outcomes.3] {
            assert_eq!(*outcome.unwrap(), "document");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(fetched.kept().as_deref(), Some(&"document"));
    }

    #[tokio::test]
    async fn a_failure_is_answered_at_once_then_the_provider_is_asked_again() {
        let fetched = Fetched::new(RETRY_AFTER);
        let fetches = Arc::new(AtomicUsize::new(0));
        let fetch = || fetched.fetch(|| counted(&fetches, Err(down())));
        let (first, second) = tokio::join!(fetch(), fetch());
        assert!(matches!(first, Err(Error::Unreachable(_))), "{first:?}");
        assert!(matches!(second, Err(Error::Unreachable(_))), "{second:?}");

        let started = Instant::now();
        assert!(fetch().await.is_err());
        assert!(started.elapsed() < FETCH_TIME, "remembered, not fetched again");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        tokio::time::sleep(RETRY_AFTER).await;
        let again = fetched.fetch(|| counted(&fetches, Ok("document"))).await;
        assert_eq!(*again.unwrap(), "document");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_fetch_ends_and_is_kept_when_its_request_gives_up() {
        let fetched = Fetched::new(RETRY_AFTER);
        let fetches = Arc::new(AtomicUsize::new(0));
        let impatient = tokio::time::timeout(
            FETCH_TIME / 4,
            fetched.fetch(|| counted(&fetches, Ok("document"))),
        );
        assert!(impatient.await.is_err(), "the request's time was up first");
        tokio::time::sleep(FETCH_TIME * 2).await;
        assert_eq!(fetched.kept().as_deref(), Some(&"document"));
    }

    #[tokio::test]
    async fn nothing_is_kept_from_a_failed_fetch_and_an_older_document_stays() {
        let fetched = Fetched::new(Duration::ZERO);
        let fetches = Arc::new(AtomicUsize::new(0));
        fetched.fetch(|| counted(&fetches, Ok("first"))).await.unwrap();
        assert!(fetched.fetch(|| counted(&fetches, Err(down()))).await.is_err());
        assert_eq!(fetched.kept().as_deref(), Some(&"first"));
    }
}
