//! Slowing down password guessing, one username at a time.
//!
//! After [`LIMIT`] failed sign-ins for a username within [`WINDOW`], that
//! username is refused until its oldest failure leaves the window. Other
//! usernames are not affected, so an attacker cannot lock everyone out, and
//! the refusal is temporary, so they cannot lock anyone out for good either.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

pub const LIMIT: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(60);

/// Past this many usernames with recent failures, a sweep drops the stale
/// ones, so spraying random names cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// How long `username` must wait before it may try again, if at all.
    /// While it must wait, its password is not even checked: a right
    /// password cannot end the wait early.
    pub fn wait(&self, username: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        let recent = failures.get_mut(&key(username))?;
        recent.retain(|at| now.duration_since(*at) < WINDOW);
        if recent.len() < LIMIT {
            return None;
        }
        let oldest = *recent.front().expect("LIMIT > 0");
        Some(WINDOW - now.duration_since(oldest))
    }

    pub fn failed(&self, username: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, recent| {
                recent
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < WINDOW)
            });
        }
        failures.entry(key(username)).or_default().push_back(now);
    }

    pub fn succeeded(&self, username: &str) {
        self.failures
            .lock()
            .expect("throttle lock")
            .remove(&key(username));
    }
}

/// Usernames are compared without case, so `ALICE` and `alice` share a count.
fn key(username: &str) -> String {
    username.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_try_waits_and_only_for_that_name() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT {
            assert_eq!(throttle.wait("alice"), None);
            throttle.failed("Alice");
        }
        let wait = throttle.wait("ALICE").expect("locked");
        assert!(wait > Duration::from_secs(55) && wait <= WINDOW, "{wait:?}");
        assert_eq!(throttle.wait("bob"), None);
    }

    #[test]
    fn a_success_before_the_limit_starts_the_count_again() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT - 1 {
            throttle.failed("alice");
        }
        throttle.succeeded("alice");
        throttle.failed("alice");
        assert_eq!(throttle.wait("alice"), None);
    }
}
