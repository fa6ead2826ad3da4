//! What a username and a password may be (book/src/contract.md, "Users and passwords").

use std::{collections::HashSet, sync::LazyLock};

/// The longest password, in characters.
pub const MAX_PASSWORD: usize = 128;

/// The 30 000 most common passwords; see `fixtures/common-passwords.md`.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../../../../fixtures/common-passwords.txt").lines().collect());

/// 3 to 32 of `a-z 0-9 _ . -`; letters in either case, as names are
/// compared without case.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    // TODO(step 02): refuse usernames that break the contract's rule.
    // See book/src/02-registration.md, "Registration rules".
    let _ = username;
    Ok(())
}

/// 8 to 128 characters of any kind, not the username, not a common one.
/// Never truncated: every character counts.
pub fn check_password(username: &str, password: &str) -> Result<(), &'static str> {
    // TODO(step 02): refuse passwords that are too short or too long, equal
    // to the username, or in the common-password list (`COMMON`).
    // See book/src/02-registration.md, "Registration rules".
    let _ = (username, password, &COMMON);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_contract() {
        for good in ["bob", "Alice", "a.b-c_9", &"x".repeat(32)] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in ["", "ab", &"x".repeat(33), "a b", "<b>", "ünï", "a/b"] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_follow_the_contract() {
        assert_eq!(check_password("bob", "a 'quoted' \"pass\" ü"), Ok(()));
        assert_eq!(check_password("bob", &"ü".repeat(128)), Ok(()));
        for bad in ["short", &"x".repeat(129), "BobBobBob", "password1", "Baseball1"] {
            let username = if bad == "BobBobBob" { "bobbobbob" } else { "bob" };
            assert!(check_password(username, bad).is_err(), "{bad}");
        }
    }
}
