//! Signing ID tokens: RS256 with the current key, as Google does, or
//! wrongly in one of the ways a test can ask for.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Map, Value};

use super::{Fault, SigningKey};

/// The `kid` of [`Fault::UnknownKid`]: no key has it.
const UNKNOWN_KID: &str = "not-a-key-this-provider-has";

/// A compact JWS of `claims`, spoiled as the signing faults among `faults`
/// say (the claim faults are already in `claims`).
pub(super) fn sign(
    claims: &Map<String, Value>,
    key: &SigningKey,
    faults: &[Fault],
) -> jsonwebtoken::errors::Result<String> {
    if faults.contains(&Fault::AlgNone) {
        return Ok(unsigned(claims, key.kid()));
    }
    if faults.contains(&Fault::Hs256WithPublicKey) {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid().to_owned());
        let secret = EncodingKey::from_secret(key.public_pem().as_bytes());
        return encode(&header, claims, &secret);
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(if faults.contains(&Fault::UnknownKid) {
        UNKNOWN_KID.to_owned()
    } else {
        key.kid().to_owned()
    });
    let token = encode(&header, claims, key.encoding())?;
    if faults.contains(&Fault::BadSignature) {
        return Ok(spoil_signature(&token));
    }
    Ok(token)
}

/// `alg: none`: a header (naming the current key, so that only the
/// algorithm is wrong), the claims, and an empty signature (RFC 7519
/// section 6.1). No library writes these, for good reason.
fn unsigned(claims: &Map<String, Value>, kid: &str) -> String {
    let header = serde_json::json!({"alg": "none", "kid": kid, "typ": "JWT"});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("JSON claims"));
    format!("{header}.{payload}.")
}

/// The same token with one byte of its signature changed: still the right
/// length and valid base64, so only checking the signature catches it.
fn spoil_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a compact JWS");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("a base64url signature");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}
