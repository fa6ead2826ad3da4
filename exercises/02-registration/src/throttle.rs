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

/// Past this many usernames with recent attempts, a sweep drops the stale
/// ones, so spraying random names cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// Counts an attempt to sign in as `username`, or says how long it must
    /// wait. The attempt counts as a failure from the start and is only
    /// forgiven by [`Throttle::succeeded`]: so a burst of guesses sent at
    /// once cannot all slip in before the first of them has failed, and
    /// while a name waits its password is not even checked.
    pub fn attempt(&self, username: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut attempts = self.attempts.lock().expect("throttle lock");
        if attempts.len() > SWEEP_ABOVE {
            attempts.retain(|_, recent| {
                recent.back().is_some_and(|at| now.duration_since(*at) < WINDOW)
            });
        }
        let recent = attempts.entry(key(username)).or_default();
        recent.retain(|at| now.duration_since(*at) < WINDOW);
        if let Some(oldest) = recent.front().filter(|_| recent.len() >= LIMIT) {
            return Err(WINDOW - now.duration_since(*oldest));
        }
        recent.push_back(now);
        Ok(())
    }

    /// A right password: the name's count starts again.
    pub fn succeeded(&self, username: &str) {
        self.attempts.lock().expect("throttle lock").remove(&key(username));
    }
}

/// Usernames are compared without case, so `ALICE` and `alice` share a count.
fn key(username: &str) -> String {
    username.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_try_waits_and_only_for_that_name() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT {
            assert_eq!(throttle.attempt("Alice"), Ok(()));
        }
        let wait = throttle.attempt("ALICE").expect_err("locked");
        assert!(wait > Duration::from_secs(55) && wait <= WINDOW, "{wait:?}");
        assert_eq!(throttle.attempt("bob"), Ok(()));
    }

    #[test]
    fn a_success_before_the_limit_starts_the_count_again() {
        let throttle = Throttle::default();
        for _ in 0..LIMIT - 1 {
            throttle.attempt("alice").unwrap();
        }
        throttle.succeeded("alice");
        for _ in 0..LIMIT {
            assert_eq!(throttle.attempt("alice"), Ok(()));
        }
    }
}
