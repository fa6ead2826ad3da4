//! Slowing down password guessing, one username at a time.
//!
//! After [`LIMIT`] failed sign-ins for a username within [`WINDOW`], that
//! username is refused until its oldest failure leaves the window. Other
//! usernames are not affected, and each refusal ends by itself. That bounds
//! the harm but does not remove it: anyone who knows a username can keep
//! its owner out with five wrong passwords a minute, for as long as they
//! bother (book/src/02-registration.md, "Throttling").

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::{Mutex as Lane, OwnedMutexGuard};

pub const LIMIT: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(60);

/// Past this many usernames, a sweep drops those with no recent failure,
/// so spraying random names cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    names: Mutex<HashMap<String, Name>>,
}

#[derive(Default)]
struct Name {
    failures: VecDeque<Instant>,
    /// Sign-ins for one name take turns, so a burst of guesses sent at once
    /// cannot all be checked before the first of them has failed.
    lane: Arc<Lane<()>>,
}

/// One sign-in's turn for its username; say how it went before dropping it.
pub struct Turn<'a> {
    throttle: &'a Throttle,
    key: String,
    _lane: OwnedMutexGuard<()>,
}

impl Throttle {
    // ANCHOR: turn
    /// Waits for the name's turn, then says how long it must still wait
    /// (`Err`), or lets it try (`Ok`). While a name waits, its password is
    /// not even checked: a right password cannot end the wait early.
    pub async fn turn(&self, username: &str) -> Result<Turn<'_>, Duration> {
        let key = username.to_ascii_lowercase();
        let lane =
            self.names.lock().expect("throttle lock").entry(key.clone()).or_default().lane.clone();
        let guard = lane.lock_owned().await;
        let now = Instant::now();
        let mut names = self.names.lock().expect("throttle lock");
        let failures = &mut names.entry(key.clone()).or_default().failures;
        failures.retain(|at| now.duration_since(*at) < WINDOW);
        if let Some(oldest) = failures.front().filter(|_| failures.len() >= LIMIT) {
            return Err(WINDOW - now.duration_since(*oldest));
        }
        Ok(Turn { throttle: self, key, _lane: guard })
    }
    // ANCHOR_END: turn
}

impl Turn<'_> {
    pub fn failed(self) {
        let now = Instant::now();
        let mut names = self.throttle.names.lock().expect("throttle lock");
        if names.len() > SWEEP_ABOVE {
            names.retain(|_, name| {
                name.failures.back().is_some_and(|at| now.duration_since(*at) < WINDOW)
                    || Arc::strong_count(&name.lane) > 1
            });
        }
        names.entry(self.key.clone()).or_default().failures.push_back(now);
    }

    /// A right password: the name's count starts again.
    pub fn succeeded(self) {
        if let Some(name) = self.throttle.names.lock().expect("throttle lock").get_mut(&self.key) {
            name.failures.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sixth_try_waits_and_only_for_that_name() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT {
            throttle.turn("Alice").await.expect("may try").failed();
        }
        let wait = throttle.turn("ALICE").await.err().expect("locked");
        assert!(wait > Duration::from_secs(55) && wait <= WINDOW, "{wait:?}");
        assert!(throttle.turn("bob").await.is_ok());
    }

    #[tokio::test]
    async fn a_success_before_the_limit_starts_the_count_again() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT - 1 {
            throttle.turn("alice").await.unwrap().failed();
        }
        throttle.turn("alice").await.unwrap().succeeded();
        for _ in 0..LIMIT {
            throttle.turn("alice").await.expect("may try").failed();
        }
        assert!(throttle.turn("alice").await.is_err());
    }

    #[tokio::test]
    async fn attempts_at_one_name_take_turns() {
        let throttle = Throttle::default();
        let first = throttle.turn("alice").await.unwrap();
        let second = tokio::time::timeout(Duration::from_millis(50), throttle.turn("alice")).await;
        assert!(second.is_err(), "the second attempt waits for the first");
        assert!(throttle.turn("bob").await.is_ok(), "other names do not wait");
        first.failed();
    }
}
