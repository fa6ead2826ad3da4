//! The provider's public keys (its JWKS), which ID tokens are checked
//! against. Providers rotate their keys: a token may name a key that was
//! published after the app last looked.

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use super::{Error, Invalid, Provider};

/// The keys as last fetched.
pub struct KeySet {
    keys: Vec<Jwk>,
}

impl KeySet {
    fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|key| key.common.key_id.as_deref() == Some(kid))
    }
}

/// The JWKS document (RFC 7517 section 5).
#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

impl Provider {
    // ANCHOR: key
    /// The provider's key named `kid`. A `kid` not seen before sends the
    /// app to fetch the keys again, once: the provider may have rotated
    /// them since. Only the provider can make that happen, as the ID token
    /// comes straight from its token endpoint, not through the browser.
    pub(super) async fn key(&self, kid: &str) -> Result<Jwk, Error> {
        if let Some(key) = self.keys.kept().and_then(|keys| keys.find(kid).cloned()) {
            return Ok(key);
        }
        let jwks_uri = self.discovered().await?.jwks_uri.clone();
        let http = self.http.clone();
        // Many sign-ins that meet a new key at once share one fetch.
        let keys = self.keys.fetch(|| fetch(http, jwks_uri)).await?;
        keys.find(kid).cloned().ok_or(Error::InvalidToken(Invalid::UnknownKey))
    }
    // ANCHOR_END: key
}

async fn fetch(http: reqwest::Client, jwks_uri: Url) -> Result<KeySet, Error> {
    let document: Document = super::http::get_json(&http, jwks_uri, "the JWKS").await?;
    // A key of a kind this app cannot use (another `kty`, say) is skipped,
    // not a reason to refuse the keys that it can. So is a key published
    // for another use than signing (`"use": "enc"`, for encryption): a
    // signature that checks with it is not one the provider stands behind
    // (RFC 7517 section 4.2).
    let keys: Vec<Jwk> = (document.keys.into_iter())
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .filter(|key| matches!(key.common.public_key_use, None | Some(PublicKeyUse::Signature)))
        .collect();
    tracing::info!(count = keys.len(), "fetched the provider's keys");
    Ok(KeySet { keys })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::oidc::test_provider::{self, MockProvider};

    #[tokio::test]
    async fn keys_are_fetched_once_while_they_name_the_tokens_keys() {
        let mock = MockProvider::start().await;
        let provider = mock.provider();
        let kid = test_provider::key().kid.as_str();
        assert_eq!(provider.key(kid).await.unwrap().common.key_id.as_deref(), Some(kid));
        provider.key(kid).await.unwrap();
        assert_eq!(mock.requests_to(test_provider::JWKS).await, 1);
    }

    #[tokio::test]
    async fn a_new_kid_fetches_the_keys_again_and_finds_the_rotated_key() {
        let mock = MockProvider::start().await;
        let provider = mock.provider();
        provider.key(&test_provider::key().kid).await.unwrap();
        mock.rotate_keys().await;
        let kid = test_provider::other_key().kid.as_str();
        assert!(provider.key(kid).await.is_ok());
        assert_eq!(mock.requests_to(test_provider::JWKS).await, 2);
    }

    #[tokio::test]
    async fn a_kid_unknown_even_after_fetching_again_is_refused() {
        let mock = MockProvider::start().await;
        let provider = mock.provider();
        let answer = provider.key("no-such-key").await;
        assert!(matches!(answer, Err(Error::InvalidToken(Invalid::UnknownKey))));
    }

    #[tokio::test]
    async fn keys_of_unknown_kinds_are_skipped() {
        let mock = MockProvider::start().await;
        let mut jwks = mock.jwks(&[test_provider::key()]);
        jwks["keys"].as_array_mut().unwrap().insert(0, json!({"kty": "future", "kid": "x"}));
        mock.mount_jwks(jwks).await;
        assert!(mock.provider().key(&test_provider::key().kid).await.is_ok());
    }

    #[tokio::test]
    async fn a_key_published_for_encryption_signs_nothing() {
        let mock = MockProvider::start().await;
        let key = test_provider::key();
        let mut for_encryption = key.jwk.clone();
        for_encryption["use"] = json!("enc");
        mock.mount_jwks(json!({ "keys": [for_encryption] })).await;
        let answer = mock.provider().key(&key.kid).await;
        assert!(matches!(answer, Err(Error::InvalidToken(Invalid::UnknownKey))));
    }

    #[tokio::test]
    async fn keys_too_many_to_be_a_jwks_are_refused() {
        let mock = MockProvider::start().await;
        let key = test_provider::key().jwk.clone();
        let count = crate::oidc::http::MAX_BODY / key.to_string().len() + 1;
        mock.mount_jwks(json!({ "keys": vec![key; count] })).await;
        let answer = mock.provider().key(&test_provider::key().kid).await;
        assert!(matches!(answer, Err(Error::Nonsense(_))), "{answer:?}");
    }
}
