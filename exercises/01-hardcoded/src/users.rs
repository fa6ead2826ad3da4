//! The users, compiled into the binary from `fixtures/users.toml`.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};
#[allow(unused_imports)] // `ct_eq` is what you will need
use subtle::ConstantTimeEq;

const USERS_TOML: &str = include_str!("../../../fixtures/users.toml");

/// Compared against when the username is unknown, so that an unknown user
/// costs the same work as a wrong password.
const DUMMY_PASSWORD: &str = "no user has this password; it only burns the same time";

#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub username: String,
    password: String,
    pub name: String,
}

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<User>,
}

pub struct Users {
    /// Keyed by the lower-cased username: names are compared without case.
    by_name: HashMap<String, User>,
}

impl Users {
    pub fn compiled_in() -> Self {
        let file: UsersFile = toml::from_str(USERS_TOML).expect("fixtures/users.toml is valid");
        let by_name = file
            .users
            .into_iter()
            .map(|user| (user.username.to_lowercase(), user))
            .collect();
        Self { by_name }
    }

    pub fn get(&self, username: &str) -> Option<&User> {
        self.by_name.get(&username.to_lowercase())
    }

    /// The user whose name and password these are, if any.
    ///
    /// `==` on strings stops at the first differing byte, and how long it
    /// took tells an attacker how much of the guess was right. Comparing
    /// SHA-256 digests with `ct_eq` always looks at all 32 bytes, and hides
    /// the password's length too.
    pub fn verify(&self, username: &str, password: &str) -> Option<&User> {
        // TODO(step 01): find the user (names are compared without case) and
        // compare the password in constant time, so that neither a wrong
        // password nor an unknown name can be told apart by timing.
        // The book explains how: book/src/01-hardcoded.md, "Checking a password".
        let _ = (username, password, DUMMY_PASSWORD, digest);
        todo!("check the username and password")
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::Users;

    #[test]
    fn every_user_in_the_fixture_signs_in_with_their_password_only() {
        let users = Users::compiled_in();
        for user in users.by_name.values() {
            assert!(users.verify(&user.username, &user.password).is_some());
            assert!(
                users
                    .verify(&user.username.to_uppercase(), &user.password)
                    .is_some()
            );
            assert!(
                users
                    .verify(&user.username, &format!("{}x", user.password))
                    .is_none()
            );
            assert!(users.verify(&user.username, "").is_none());
        }
    }

    #[test]
    fn unknown_users_never_sign_in() {
        let users = Users::compiled_in();
        assert!(users.verify("mallory", super::DUMMY_PASSWORD).is_none());
    }
}
