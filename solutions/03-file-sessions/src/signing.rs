//! The cookie's value, `<id>.<sig>`: `sig` is the unpadded URL-safe base64
//! of HMAC-SHA256 over the id, keyed with `SESSION_SECRET`. Only the server
//! knows the key, so only the server can make a cookie that verifies.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::session_id::SessionId;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256's own block is 64 bytes; the contract asks for at least 32
/// bytes of secret, the size of its output.
pub const SHORTEST_SECRET: usize = 32;

pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer keyed with `SESSION_SECRET`, which must be there and long
    /// enough: the server refuses to start otherwise.
    pub fn new(secret: Option<&str>) -> Result<Self, String> {
        let how = "set it to at least 32 random characters, for example:\n  \
                   export SESSION_SECRET=\"$(head -c 32 /dev/urandom | base64)\"";
        match secret {
            None => Err(format!(
                "SESSION_SECRET is not set: step 03 signs session cookies with it; {how}"
            )),
            Some(secret) if secret.len() < SHORTEST_SECRET => Err(format!(
                "SESSION_SECRET has {} bytes, fewer than {SHORTEST_SECRET}; {how}",
                secret.len()
            )),
            Some(secret) => Ok(Self { key: secret.as_bytes().to_vec() }),
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length")
    }

    // ANCHOR: sign
    /// The cookie value for `id`.
    pub fn sign(&self, id: &SessionId) -> String {
        // exercise:cut
        let mut mac = self.mac();
        mac.update(id.as_str().as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{id}.{signature}")
        // exercise:as
        // TODO(step 03): sign the id with the server's key (HMAC-SHA256),
        // so that the cookie is `<id>.<signature>` and nobody without the
        // key can make one that verifies.
        // See book/src/03-file-sessions.md, "Signing the cookie".
        //~ let _ = (id, URL_SAFE_NO_PAD);
        //~ todo!("sign the session id")
        // exercise:end
    }
    // ANCHOR_END: sign

    // ANCHOR: verify
    /// The id in a cookie value, if the value is `<id>.<sig>` with an id of
    /// the right pattern and the right signature; `None` for anything else,
    /// decided before any file is opened.
    pub fn verify(&self, cookie: &str) -> Option<SessionId> {
        // exercise:cut
        let (id, signature) = cookie.split_once('.')?;
        let id = SessionId::parse(id)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(id.as_str().as_bytes());
        // `verify_slice` compares in constant time: `==` would stop at the
        // first wrong byte, and the time it took would leak how many were
        // right, letting an attacker forge a signature byte by byte.
        mac.verify_slice(&signature).ok()?;
        Some(id)
        // exercise:as
        // TODO(step 03): accept the cookie's id only if it is a valid id and
        // the cookie's signature is its signature, compared in constant
        // time; anything else is no cookie at all.
        // See book/src/03-file-sessions.md, "Verifying the cookie".
        //~ let _ = cookie;
        //~ todo!("verify the cookie's signature")
        // exercise:end
    }
    // ANCHOR_END: verify
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a test secret that is long enough, at least 32 bytes";

    fn signer() -> Signer {
        Signer::new(Some(SECRET)).unwrap()
    }

    #[test]
    fn a_signed_id_verifies() {
        let id = SessionId::generate();
        let cookie = signer().sign(&id);
        assert_eq!(signer().verify(&cookie), Some(id));
    }

    #[test]
    fn the_signature_is_the_contracts() {
        let id = SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(b"AAAAAAAAAAAAAAAAAAAAAA");
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(signer().sign(&id), format!("AAAAAAAAAAAAAAAAAAAAAA.{expected}"));
    }

    /// A property, checked exhaustively: changing any one character of a
    /// signed cookie, to any other character a cookie may hold, is refused.
    #[test]
    fn any_change_to_any_byte_is_refused() {
        let cookie = signer().sign(&SessionId::generate());
        let alphabet = "ABCZabcz0129-_.=+/";
        for position in 0..cookie.len() {
            for replacement in alphabet.chars() {
                let mut tampered = cookie.clone().into_bytes();
                if tampered[position] == replacement as u8 {
                    continue;
                }
                tampered[position] = replacement as u8;
                let tampered = String::from_utf8(tampered).unwrap();
                assert_eq!(signer().verify(&tampered), None, "{tampered}");
            }
        }
    }

    #[test]
    fn unsigned_swapped_and_foreign_cookies_are_refused() {
        let (a, b) = (SessionId::generate(), SessionId::generate());
        let (signed_a, signed_b) = (signer().sign(&a), signer().sign(&b));
        let signature_of_b = signed_b.split_once('.').unwrap().1;
        let other = Signer::new(Some("another secret, just as long as the first one")).unwrap();
        for cookie in [
            a.as_str().to_owned(),
            format!("{a}."),
            format!("{a}.{signature_of_b}"),
            other.sign(&a),
            format!("{signed_a}="),
            format!("{signed_a}.{signature_of_b}"),
        ] {
            assert_eq!(signer().verify(&cookie), None, "{cookie}");
        }
    }

    #[test]
    fn verifying_arbitrary_input_never_panics() {
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..rand::random_range(0..80)).map(|_| rand::random()).collect();
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(signer().verify(&text), None);
        }
    }

    #[test]
    fn a_missing_or_short_secret_stops_the_server_with_advice() {
        for secret in [None, Some("too short")] {
            let error = Signer::new(secret).err().unwrap();
            assert!(error.contains("SESSION_SECRET") && error.contains("export"), "{error}");
        }
    }
}
