//! Password hashing for the steps with accounts (02 on): argon2id at
//! OWASP's parameters, and the weaker schemes that some flaws use instead.
//!
//! `scheme` is the name of the flaw that picks a scheme (`plaintext`,
//! `sha256`, `weak-argon2`, `same-salt`, `truncate-72`); any other name,
//! [`mutants::NONE`] included, is correct argon2id.

use std::{io, sync::OnceLock};

use argon2::{
    Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version,
    password_hash::phc::PasswordHash,
};
use sha2::{Digest, Sha256};

use crate::s01::same_bytes;

fn argon2id(memory: u32, passes: u32) -> Argon2<'static> {
    let params = Params::new(memory, passes, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The bytes that get hashed: all of them, unless the scheme truncates.
fn hashed_bytes<'a>(scheme: &str, password: &'a str) -> &'a [u8] {
    let bytes = password.as_bytes();
    if scheme == "truncate-72" { &bytes[..bytes.len().min(72)] } else { bytes }
}

fn sha256_hex(password: &str) -> String {
    Sha256::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What an account keeps as `password_hash`. Slow: call it off the async
/// threads (`spawn_blocking`).
pub(crate) fn make_hash(scheme: &str, password: &str) -> io::Result<String> {
    let bytes = hashed_bytes(scheme, password);
    let hash = match scheme {
        "plaintext" => return Ok(password.to_owned()),
        "sha256" => return Ok(sha256_hex(password)),
        "weak-argon2" => argon2id(4096, 1).hash_password(bytes),
        "same-salt" => argon2id(19_456, 2).hash_password_with_salt(bytes, b"authlings-salt!!"),
        _ => argon2id(19_456, 2).hash_password(bytes),
    };
    hash.map(|hash| hash.to_string()).map_err(io::Error::other)
}

fn verify_hash(scheme: &str, password: &str, stored: &str) -> bool {
    match scheme {
        "plaintext" => same_bytes(stored.as_bytes(), password.as_bytes()),
        "sha256" => same_bytes(stored.as_bytes(), sha256_hex(password).as_bytes()),
        // The parameters and salt come from the PHC string.
        _ => PasswordHash::new(stored).is_ok_and(|hash| {
            argon2id(19_456, 2).verify_password(hashed_bytes(scheme, password), &hash).is_ok()
        }),
    }
}

/// A hash no password matches (of random bytes that were thrown away).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        argon2id(19_456, 2).hash_password(&secret).map(|hash| hash.to_string()).unwrap_or_default()
    })
}

/// Whether `password` matches the `stored` hash, on a blocking thread. With
/// no stored hash (no such account) a dummy one is checked, so an unknown
/// name costs the same time as a wrong password.
pub(crate) async fn matches(scheme: &'static str, password: &str, stored: Option<String>) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        verify_hash(scheme, &password, &stored)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        for scheme in ["none", "plaintext", "sha256", "same-salt", "truncate-72"] {
            let hash = make_hash(scheme, "correct horse \"battery\"").unwrap();
            assert!(verify_hash(scheme, "correct horse \"battery\"", &hash), "{scheme}");
            assert!(!verify_hash(scheme, "correct horse battery", &hash), "{scheme}");
        }
        let hash = make_hash("none", "x").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_ne!(hash, make_hash("none", "x").unwrap());
        assert_eq!(make_hash("same-salt", "x").unwrap(), make_hash("same-salt", "x").unwrap());
        assert!(!verify_hash("none", "x", dummy_hash()));
    }

    #[tokio::test]
    async fn no_account_matches_no_password() {
        assert!(!matches("none", "", None).await);
        let stored = make_hash("none", "pw").unwrap();
        assert!(matches("none", "pw", Some(stored)).await);
    }
}
