//! What the provider remembers between requests: authorization codes until
//! they are redeemed, access tokens until they expire.

use std::{collections::HashMap, time::Instant};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use super::TestUser;

/// An approved authorization request, waiting for the app to redeem it.
pub(super) struct Code {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) code_challenge: String,
    pub(super) nonce: Option<String>,
    pub(super) scope: Vec<String>,
    pub(super) user: TestUser,
    pub(super) issued: Instant,
}

pub(super) struct AccessToken {
    pub(super) user: TestUser,
    /// Microsoft's `sub` differs from one client to another.
    pub(super) client_id: String,
    pub(super) scope: Vec<String>,
    pub(super) expires: Instant,
}

/// What redeeming a code found.
pub(super) enum Redeemed {
    Fresh(Box<Code>),
    /// Redeemed before: someone is replaying it.
    Spent,
    Unknown,
}

#[derive(Default)]
pub(super) struct Grants {
    codes: HashMap<String, Code>,
    /// Redeemed codes, with the access token each gave (if it gave one).
    spent: HashMap<String, Option<String>>,
    tokens: HashMap<String, AccessToken>,
}

impl Grants {
    pub(super) fn issue_code(&mut self, code: Code) -> String {
        let value = random_value();
        self.codes.insert(value.clone(), code);
        value
    }

    /// Takes the code out: whatever happens next, it never works again.
    /// A code that comes back revokes the token it gave, as RFC 6749
    /// section 4.1.2 asks: the replay may be an attacker's.
    pub(super) fn redeem(&mut self, value: &str) -> Redeemed {
        if let Some(code) = self.codes.remove(value) {
            self.spent.insert(value.to_owned(), None);
            return Redeemed::Fresh(Box::new(code));
        }
        match self.spent.get_mut(value) {
            Some(token) => {
                if let Some(token) = token.take() {
                    self.tokens.remove(&token);
                }
                Redeemed::Spent
            }
            None => Redeemed::Unknown,
        }
    }

    /// An access token for what `code` (already redeemed) granted.
    pub(super) fn issue_token(&mut self, code: &str, token: AccessToken) -> String {
        let value = random_value();
        self.tokens.insert(value.clone(), token);
        self.spent.insert(code.to_owned(), Some(value.clone()));
        value
    }

    /// A token that exists and has not expired.
    pub(super) fn token(&self, value: &str) -> Option<&AccessToken> {
        self.tokens.get(value).filter(|token| token.expires > Instant::now())
    }
}

/// 256 random bits, URL-safe: codes and access tokens.
pub(super) fn random_value() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}
