//! The username of someone who signs in through a provider. They never
//! chose one, but every account has one: sessions and pages name it.

use crate::oidc::Identity;

/// The longest stem, so that stem, `-` and the eight-digit suffix stay
/// within the contract's 32 characters.
const STEM: usize = 23;

// ANCHOR: candidate
/// A name for a new provider account: a stem from the verified email's
/// local part (or the name), then `-` and 32 random bits in hex, like
/// `alice-3f9a0c12`. It follows the contract's rules, so the pages show it
/// like any other; whether it is free is the database's to say. A name
/// someone already has, password account or not, is refused by the UNIQUE
/// constraint and another suffix is drawn: an existing account is never
/// taken over. The suffix is random and wide, so nobody can register in
/// advance the name a given person will get: with 16 bits, 65,536
/// registrations of `alice-0000` to `alice-ffff` would leave every Alice
/// without a first sign-in; 32 bits would take four billion.
pub fn candidate(identity: &Identity) -> String {
    let verified_email = identity.email.as_deref().filter(|_| identity.email_verified);
    let local_part = verified_email.and_then(|email| email.split('@').next());
    let stem = [local_part, identity.name.as_deref()]
        .into_iter()
        .flatten()
        .map(stem)
        .find(|stem| stem.len() >= 3)
        .unwrap_or_else(|| "user".to_owned());
    format!("{stem}-{:08x}", rand::random::<u32>())
}
// ANCHOR_END: candidate

/// `text` within the contract's alphabet (`a-z 0-9 _ . -`): lower-cased,
/// spaces as dots, anything else dropped, at most [`STEM`] long.
fn stem(text: &str) -> String {
    let kept: String = text
        .trim()
        .chars()
        .filter_map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_' | '.' | '-') => Some(c),
            c if c.is_whitespace() => Some('.'),
            _ => None,
        })
        .take(STEM)
        .collect();
    kept.trim_matches(['.', '-', '_']).to_owned()
}

#[cfg(test)]
mod tests {
    use step02_solution::accounts::rules::check_username;

    use super::*;

    fn identity(email: Option<&str>, verified: bool, name: Option<&str>) -> Identity {
        Identity {
            subject: "1".into(),
            email: email.map(Into::into),
            email_verified: verified,
            name: name.map(Into::into),
            picture: None,
        }
    }

    fn stem_of(username: &str) -> &str {
        username.rsplit_once('-').unwrap().0
    }

    #[test]
    fn the_stem_comes_from_the_verified_email_then_the_name() {
        let alice = candidate(&identity(Some("Alice@example.com"), true, Some("Alice L")));
        assert_eq!(stem_of(&alice), "alice");
        // An address nobody proved is not worth a name that looks like it.
        let mallory = candidate(&identity(Some("alice@example.com"), false, Some("Mallory M")));
        assert_eq!(stem_of(&mallory), "mallory.m");
        assert_eq!(stem_of(&candidate(&identity(None, false, Some("Ünï")))), "user");
        assert_eq!(stem_of(&candidate(&identity(None, false, None))), "user");
    }

    #[test]
    fn every_candidate_follows_the_contracts_rules() {
        let long = "a".repeat(80);
        for identity in [
            identity(Some(&format!("{long}@example.com")), true, None),
            identity(None, false, Some("Carol <script>alert(1)</script>")),
            identity(Some("o'brien+tag@example.com"), true, None),
            identity(Some("..@example.com"), true, Some("  ")),
        ] {
            let username = candidate(&identity);
            assert_eq!(check_username(&username), Ok(()), "{username}");
            assert_eq!(username, username.to_ascii_lowercase());
        }
    }

    #[test]
    fn the_suffix_is_32_random_bits_in_hex() {
        let username = candidate(&identity(Some("alice@example.com"), true, None));
        let (_, suffix) = username.rsplit_once('-').unwrap();
        assert_eq!(suffix.len(), 8, "{username}");
        assert!(u32::from_str_radix(suffix, 16).is_ok(), "{username}");
    }

    #[test]
    fn candidates_differ() {
        let alice = identity(Some("alice@example.com"), true, None);
        let names: std::collections::HashSet<String> = (0..20).map(|_| candidate(&alice)).collect();
        assert!(names.len() > 1);
    }
}
