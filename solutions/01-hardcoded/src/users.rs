//! The users, compiled into the binary from `fixtures/users.toml`.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};
// exercise:cut
use subtle::ConstantTimeEq;
// exercise:as
//~ use subtle::ConstantTimeEq;
// exercise:end

const USERS_TOML: &str = include_str!("../../../fixtures/users.toml");

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<UserEntry>,
}

#[derive(Deserialize)]
struct UserEntry {
    username: String,
    password: String,
    name: String,
}

#[derive(Clone, Debug)]
pub struct User {
    pub username: String,
    pub name: String,
    /// SHA-256 of the password, made once at start: every comparison then
    /// hashes only what was typed, and compares 32 bytes with 32 bytes.
    password_digest: [u8; 32],
}

pub struct Users {
    /// Keyed by the lower-cased username: names are compared without case.
    by_name: HashMap<String, User>,
    /// Compared against when the username is unknown, so that an unknown
    /// user costs the same work as a wrong password.
    dummy_digest: [u8; 32],
}

impl Users {
    pub fn compiled_in() -> Self {
        let file: UsersFile = toml::from_str(USERS_TOML).expect("fixtures/users.toml is valid");
        let by_name = file
            .users
            .into_iter()
            .map(|entry| {
                let user = User {
                    password_digest: digest(&entry.password),
                    username: entry.username,
                    name: entry.name,
                };
                (user.username.to_lowercase(), user)
            })
            .collect();
        Self { by_name, dummy_digest: digest("no user has this password") }
    }

    pub fn get(&self, username: &str) -> Option<&User> {
        self.by_name.get(&username.to_lowercase())
    }

    // ANCHOR: verify
    /// The user whose name and password these are, if any.
    ///
    /// `==` on strings stops at the first differing byte, and how long it
    /// took tells an attacker how much of the guess was right. Comparing
    /// SHA-256 digests with `ct_eq` always looks at all 32 bytes, whatever
    /// the password's length.
    pub fn verify(&self, username: &str, password: &str) -> Option<&User> {
        // exercise:cut
        let user = self.get(username);
        let expected = user.map_or(&self.dummy_digest, |user| &user.password_digest);
        let matches: bool = digest(password).ct_eq(expected).into();
        user.filter(|_| matches)
        // exercise:as
        // TODO(step 01): find the user (names are compared without case) and
        // compare the password in constant time, so that neither a wrong
        // password nor an unknown name can be told apart by timing.
        // The book explains how: book/src/01-hardcoded.md, "Checking a password".
        //~ let _ = (username, password, digest);
        //~ todo!("check the username and password")
        // exercise:end
    }
    // ANCHOR_END: verify
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::Users;

    const ALICE: (&str, &str) = ("alice", "wonderland-rabbit-42");

    #[test]
    fn a_user_signs_in_with_their_password_and_any_case_of_their_name() {
        let users = Users::compiled_in();
        assert!(users.verify(ALICE.0, ALICE.1).is_some());
        assert!(users.verify("ALICE", ALICE.1).is_some());
    }

    #[test]
    fn almost_right_passwords_and_unknown_users_never_sign_in() {
        let users = Users::compiled_in();
        for wrong in ["", "wonderland-rabbit-4", "wonderland-rabbit-42 ", "WONDERLAND-RABBIT-42"] {
            assert!(users.verify(ALICE.0, wrong).is_none(), "{wrong:?}");
        }
        assert!(users.verify("mallory", ALICE.1).is_none());
        assert!(users.verify("mallory", "no user has this password").is_none());
    }
}
