//! Session ids: made from 256 random bits, and, when they come back in a
//! cookie, user input like any other.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// An id known to match the contract's pattern, `[A-Za-z0-9_-]{22,}`: safe
/// to use in a file name, because it has no `/`, no `.`, no NUL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(String);

/// 22 characters hold 128 bits; a file name must stay under 255 bytes.
const SHORTEST: usize = 22;
const LONGEST: usize = 200;

impl SessionId {
    /// A new id: 32 random bytes from `rand`'s cryptographically secure
    /// generator (ChaCha, seeded by the operating system), 43 characters of
    /// URL-safe base64. Nobody can guess one.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    // ANCHOR: parse
    /// `text` as an id, if it matches the pattern; `None` for anything else,
    /// whatever it holds (`../x`, `/etc/passwd`, `%2e%2e`, NUL, emoji...).
    pub fn parse(text: &str) -> Option<Self> {
        let pattern = (SHORTEST..=LONGEST).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        pattern.then(|| Self(text.to_owned()))
    }
    // ANCHOR_END: parse

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_match_the_pattern_and_differ() {
        let (a, b) = (SessionId::generate(), SessionId::generate());
        assert_eq!(SessionId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn anything_that_could_name_another_file_is_refused() {
        let long = "a".repeat(LONGEST + 1);
        for text in [
            "",
            "short",
            "../../../../etc/passwd",
            "/etc/passwd/aaaaaaaaaaaaaaaaaaaa",
            "..%2F..%2Fsecret-aaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaa\0.json",
            "aaaaaaaaaaaaaaaaaaaaaa.json",
            "aaaaaaaaaaa aaaaaaaaaaaaaa",
            "ааааааааааааааааааааааа", // Cyrillic
            &long,
        ] {
            assert_eq!(SessionId::parse(text), None, "{text:?}");
        }
    }

    /// A property, checked on 20 000 random strings: parsing never panics,
    /// and whatever it accepts is made only of the allowed characters.
    #[test]
    fn parsing_arbitrary_input_never_panics_and_accepts_only_the_pattern() {
        for _ in 0..20_000 {
            let length = rand::random_range(0..64);
            let text: String = (0..length)
                .map(|_| match rand::random_range(0..4) {
                    0 => char::from(rand::random_range(0x20..0x7f_u8)),
                    1 => ['-', '_', '.', '/', '\\', '%', '\0'][rand::random_range(0..7)],
                    2 => char::from_u32(rand::random_range(0x80..0x3000)).unwrap_or('?'),
                    _ => char::from(b'a' + rand::random_range(0..26_u8)),
                })
                .collect();
            if let Some(id) = SessionId::parse(&text) {
                assert!(
                    id.as_str()
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                );
                assert!(id.as_str().len() >= SHORTEST);
            }
        }
    }
}
