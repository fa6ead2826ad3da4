//! Who can sign in and which applications may ask: the provider's test
//! users and registered clients, usually from `fixtures/idp.toml`.

use std::{collections::HashSet, path::Path};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::kit_root::kit_root;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub users: Vec<TestUser>,
    #[serde(default)]
    pub clients: Vec<Client>,
}

/// A person who can sign in, with the claims Google (or, in Microsoft's
/// shape, Entra ID) would give about them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestUser {
    /// What a test and the sign-in page call them: `alice`. Never a claim.
    pub username: String,
    /// The subject: stable and unique, the only claim an app may key
    /// accounts by. Google's are 21 digits.
    pub sub: String,
    pub email: String,
    #[serde(default = "verified")]
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// `None`: a picture the provider draws, at `/picture/<username>.svg`.
    pub picture: Option<String>,
    /// The Google Workspace domain, for work and school accounts only.
    pub hd: Option<String>,
    /// Microsoft's shape only: the user's tenant (a GUID); `None` is
    /// [`super::HOME_TENANT`].
    #[serde(default)]
    pub tid: Option<String>,
    /// Microsoft's shape only: the user's object id in their tenant (a
    /// GUID); `None` derives one from `tid` and `sub`.
    #[serde(default)]
    pub oid: Option<String>,
    /// Microsoft's shape only: the sign-in name; `None` is the email.
    #[serde(default)]
    pub preferred_username: Option<String>,
}

fn verified() -> bool {
    true
}

impl TestUser {
    /// Someone who is not in the configuration and signs in for the first
    /// time: typed on the sign-in page, or made up by a check. The same
    /// login always gives the same `sub`.
    pub fn made_up(login: &str) -> TestUser {
        let login = login.trim().to_lowercase();
        let email = if login.contains('@') { login } else { format!("{login}@example.com") };
        let username = email.split('@').next().unwrap_or_default().to_owned();
        let mut letters = username.chars();
        let name = match letters.next() {
            Some(first) => first.to_uppercase().chain(letters).collect(),
            None => "Someone".to_owned(),
        };
        // Google's subjects are 21 digits; this keeps the shape (a 1, then a
        // u64 in 20 digits), so an app that stores them as text, as it must,
        // is tested as with Google.
        let digest = Sha256::digest(email.as_bytes());
        let number = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        TestUser {
            username,
            sub: format!("1{number:020}"),
            email,
            email_verified: true,
            given_name: Some(name.clone()),
            name,
            family_name: None,
            picture: None,
            hd: None,
            tid: None,
            oid: None,
            preferred_username: None,
        }
    }

    /// [`TestUser::made_up`] with a work or school account of tenant `tid`,
    /// for Microsoft's shape: the same login in the same tenant always
    /// gets the same `oid`, in another tenant another one.
    pub fn made_up_in(login: &str, tid: &str) -> TestUser {
        let user = TestUser::made_up(login);
        let tid = tid.to_ascii_lowercase();
        TestUser {
            oid: Some(super::entra::oid_for(&tid, &user.email)),
            preferred_username: Some(user.email.clone()),
            tid: Some(tid),
            ..user
        }
    }
}

/// An application registered with the provider.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    /// Compared character for character with the request's `redirect_uri`.
    pub redirect_uris: Vec<String>,
    /// Where `end_session` may send the browser afterwards.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
}

impl Client {
    pub fn new(
        client_id: &str,
        client_secret: &str,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> Client {
        Client {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            post_logout_redirect_uris: Vec::new(),
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let config: Config = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not valid: {e}", path.display()))?;
        config.validate().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(config)
    }

    /// The kit's `fixtures/idp.toml`.
    pub fn fixtures() -> anyhow::Result<Config> {
        Config::load(&kit_root().join("fixtures/idp.toml"))
    }

    /// A configured user by username, else by email (the first with it).
    pub fn user(&self, login: &str) -> Option<&TestUser> {
        let login = login.trim();
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(login))
            .or_else(|| self.users.iter().find(|u| u.email.eq_ignore_ascii_case(login)))
    }

    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// What would make the provider misbehave without being asked to.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut seen = HashSet::new();
        for user in &self.users {
            anyhow::ensure!(
                !user.username.is_empty() && !user.sub.is_empty(),
                "every user needs a username and a sub"
            );
            anyhow::ensure!(
                seen.insert(("username", user.username.to_lowercase())),
                "two users are called {:?}",
                user.username
            );
            anyhow::ensure!(
                seen.insert(("sub", user.sub.clone())),
                "two users have the sub {:?}",
                user.sub
            );
            for (claim, value) in [("tid", &user.tid), ("oid", &user.oid)] {
                anyhow::ensure!(
                    value.as_deref().is_none_or(super::shape::is_guid),
                    "user {:?}: {claim} {value:?} is not a GUID",
                    user.username
                );
            }
        }
        for client in &self.clients {
            anyhow::ensure!(
                !client.client_id.is_empty() && !client.client_secret.is_empty(),
                "every client needs a client_id and a client_secret"
            );
            anyhow::ensure!(
                seen.insert(("client", client.client_id.clone())),
                "two clients are called {:?}",
                client.client_id
            );
            for uri in client.redirect_uris.iter().chain(&client.post_logout_redirect_uris) {
                // The provider puts these in a Location header and appends
                // a query to them; RFC 6749 forbids a fragment.
                anyhow::ensure!(
                    (uri.starts_with("http://") || uri.starts_with("https://"))
                        && uri.bytes().all(|b| b.is_ascii_graphic())
                        && !uri.contains('#'),
                    "client {:?}: {uri:?} is not an absolute http(s) URI without a fragment",
                    client.client_id
                );
            }
        }
        Ok(())
    }
}
