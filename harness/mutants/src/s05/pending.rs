//! Sign-ins under way: between `/login/google` and `/auth/callback` (and
//! step 06's other providers and links) the server keeps the state, nonce
//! and PKCE verifier it made, in memory, under a random key that only the
//! browser that started the sign-in holds (a cookie). A pending sign-in is
//! used once.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use super::lock;

/// The cookie that names the browser's pending sign-in.
pub(crate) const COOKIE: &str = "oidc_pending";
/// How long a person may take at the provider.
pub(crate) const LIFETIME: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub(crate) struct Pending {
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) verifier: String,
    /// Step 06: the account that asked to link this sign-in's identity;
    /// `None` for a sign-in.
    pub(crate) link_to: Option<i64>,
    started: Instant,
}

impl Pending {
    /// Fresh random values; the `fixed-state` flaw's state never changes.
    pub(crate) fn new(flaw: &str) -> Pending {
        let state = if flaw == "fixed-state" { "authlings".to_owned() } else { random() };
        Pending {
            state,
            nonce: random(),
            verifier: random(),
            link_to: None,
            started: Instant::now(),
        }
    }

    /// PKCE S256: the unpadded base64url SHA-256 of the verifier.
    pub(crate) fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

/// 256 random bits, base64url: 43 characters, a valid PKCE verifier too.
fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) struct PendingStore {
    flaw: &'static str,
    /// By the key in the browser's cookie; by state for `state-not-bound`.
    by_key: Mutex<HashMap<String, Pending>>,
}

impl PendingStore {
    pub(crate) fn new(flaw: &'static str) -> PendingStore {
        PendingStore { flaw, by_key: Mutex::default() }
    }

    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("05", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// Keeps `pending`; returns the key for the browser's cookie, if the
    /// browser is to get one.
    pub(crate) fn keep(&self, pending: Pending) -> Option<String> {
        let mut all = lock(&self.by_key);
        all.retain(|_, p| p.started.elapsed() < LIFETIME);
        if self.has("state-not-bound") {
            // One list for every browser: any browser may finish any sign-in.
            all.insert(pending.state.clone(), pending);
            return None;
        }
        let key = random();
        all.insert(key.clone(), pending);
        Some(key)
    }

    /// The pending sign-in of the browser with cookie `key`, used up.
    pub(crate) fn take(&self, key: Option<&str>, state: Option<&str>) -> Option<Pending> {
        let key = if self.has("state-not-bound") { state? } else { key? };
        let mut all = lock(&self.by_key);
        let pending =
            if self.has("replay-accepted") { all.get(key).cloned() } else { all.remove(key) }?;
        (pending.started.elapsed() < LIFETIME).then_some(pending)
    }
}
