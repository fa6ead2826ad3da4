//! What the provider says about a user, Google-shaped: the ID token's
//! claims and the userinfo answer, each holding what the scopes granted.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{TestUser, grants::Code};

/// `sub` always; `email` and `email_verified` with scope `email`; the
/// names and picture with scope `profile`; `hd` for Workspace accounts.
pub(super) fn about(user: &TestUser, scope: &[String], issuer: &str) -> Map<String, Value> {
    let granted = |name: &str| scope.iter().any(|s| s == name);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.sub));
    if let Some(hd) = &user.hd {
        claims.insert("hd".into(), json!(hd));
    }
    if granted("email") {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if granted("profile") {
        claims.insert("name".into(), json!(user.name));
        claims.insert("picture".into(), json!(picture(user, issuer)));
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), json!(family));
        }
    }
    claims
}

/// The user's picture, or one the provider draws, so nothing is fetched
/// from the network.
fn picture(user: &TestUser, issuer: &str) -> String {
    user.picture.clone().unwrap_or_else(|| {
        let name = utf8_percent_encode(&user.username, NON_ALPHANUMERIC);
        format!("{issuer}{}/{name}.svg", super::picture::PREFIX)
    })
}

/// The honest claims of an ID token for `code`, issued `now` (Unix
/// seconds) to go with `access_token`.
pub(super) fn id_token(
    issuer: &str,
    code: &Code,
    access_token: &str,
    lifetime: u64,
    now: u64,
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(issuer));
    claims.insert("azp".into(), json!(code.client_id));
    claims.insert("aud".into(), json!(code.client_id));
    claims.extend(about(&code.user, &code.scope, issuer));
    claims.insert("at_hash".into(), json!(at_hash(access_token)));
    if let Some(nonce) = &code.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims
}

/// The left half of the access token's SHA-256 (OpenID Connect Core
/// 3.1.3.6): ties the ID token to the access token it came with.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
