//! The provider's signing keys: RSA, made at start, published as a JWKS,
//! rotated on demand.

use std::{fmt, sync::Arc};

use axum::{Json, extract::State, http::header, response::IntoResponse};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::{
    RsaPrivateKey,
    pkcs1::EncodeRsaPrivateKey,
    pkcs8::{EncodePublicKey, LineEnding},
    traits::PublicKeyParts,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Provider, lock};

pub(super) const PATH: &str = "/jwks";

/// Google's size.
const BITS: usize = 2048;

/// An RS256 key pair with its id. Cheap to clone: tests make one and
/// share it between providers.
#[derive(Clone)]
pub struct SigningKey(Arc<Inner>);

struct Inner {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
    public_pem: String,
}

impl SigningKey {
    /// A fresh key: about 0.15 s with the workspace's opt-level override
    /// for `rsa`, seconds without. Blocks: call it off the async threads.
    pub fn generate() -> anyhow::Result<SigningKey> {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, BITS)?;
        let public = private.to_public_key();
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        // The RFC 7638 thumbprint: an id that names this key and no other.
        let thumbprint = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(SigningKey(Arc::new(Inner {
            encoding: EncodingKey::from_rsa_der(private.to_pkcs1_der()?.as_bytes()),
            decoding: DecodingKey::from_rsa_components(&n, &e)?,
            public_pem: public.to_public_key_pem(LineEnding::LF)?,
            kid,
            jwk,
        })))
    }

    /// The `kid` its tokens carry and its JWK is listed under.
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    /// The public key as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    pub fn jwk(&self) -> &Value {
        &self.0.jwk
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`, LF line
    /// ends): the HMAC key of [`super::Fault::Hs256WithPublicKey`].
    pub fn public_pem(&self) -> &str {
        &self.0.public_pem
    }

    pub(super) fn encoding(&self) -> &EncodingKey {
        &self.0.encoding
    }

    pub(super) fn decoding(&self) -> &DecodingKey {
        &self.0.decoding
    }
}

impl fmt::Debug for SigningKey {
    /// The id only: a private key has no business in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid()).finish()
    }
}

/// The key that signs now, and the ones before it that verifiers may still
/// meet in tokens issued earlier.
pub(super) struct Keyring {
    current: SigningKey,
    retired: Vec<SigningKey>,
}

impl Keyring {
    pub(super) fn new(current: SigningKey) -> Self {
        Self { current, retired: Vec::new() }
    }

    pub(super) fn current(&self) -> &SigningKey {
        &self.current
    }

    pub(super) fn rotate(&mut self, key: SigningKey) {
        let old = std::mem::replace(&mut self.current, key);
        self.retired.insert(0, old);
    }

    pub(super) fn retire_old(&mut self) {
        self.retired.clear();
    }

    /// The current key first.
    pub(super) fn all(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    pub(super) fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.all().find(|key| key.kid() == kid)
    }
}

/// `GET /jwks`: the public keys, which clients fetch to check signatures.
pub(super) async fn jwks(State(provider): State<Arc<Provider>>) -> impl IntoResponse {
    let keys: Vec<Value> = lock(&provider.keys).all().map(|key| key.jwk().clone()).collect();
    // Google lets clients cache its keys for hours; a few minutes keeps
    // rotation visible to a person trying it by hand.
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(json!({ "keys": keys })))
}
