//! The RSA keys the tests' providers sign their ID tokens with, and the
//! token endpoint's answer that carries one.

use std::sync::{
    LazyLock,
    atomic::{AtomicU32, Ordering},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde_json::{Map, Value, json};
use wiremock::ResponseTemplate;

/// An RS256 key pair, as a provider holds it.
pub struct TestKey {
    kid: &'static str,
    encoding: EncodingKey,
    /// The public half, as the provider's JWKS publishes it.
    pub jwk: Value,
}

impl TestKey {
    fn generate(kid: &'static str) -> Self {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
        let public = private.to_public_key();
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}),
        }
    }

    /// `claims` signed with this key, RS256, naming it by its `kid`.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("a signed token")
    }

    /// The JWKS that publishes this key alone.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }
}

/// Microsoft's key; made once for all the tests (the two providers each
/// have their own, as the real ones do).
pub fn microsoft() -> &'static TestKey {
    static KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("ms-key-1"));
    &KEY
}

/// Google's key.
pub fn google() -> &'static TestKey {
    static KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("google-key-1"));
    &KEY
}

/// The token endpoint's answer: an access token, and `id_token`.
pub fn token_answer(id_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "at",
        "token_type": "Bearer",
        "expires_in": 3599,
        "id_token": id_token,
    }))
}

/// A code no other sign-in of these tests gets, all of one length: the
/// token endpoint answers each code's exchange alone, and `code=code-0001`
/// is no part of another code's form.
pub fn fresh_code() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("code-{:06}", NEXT.fetch_add(1, Ordering::Relaxed))
}
