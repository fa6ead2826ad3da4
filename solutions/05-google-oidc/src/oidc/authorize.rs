//! The authorization request: where the browser is sent to sign in.

use oauth2::{CsrfToken, PkceCodeChallenge, Scope, url::Url};

use super::{Error, Provider};
use crate::pending::Pending;

/// `openid` makes it OpenID Connect (an ID token comes back); `email` and
/// `profile` put the address, the name and the picture in it.
pub const SCOPES: [&str; 3] = ["openid", "email", "profile"];

impl Provider {
    // ANCHOR: authorization_request
    /// The provider's address to send the browser to, and what this
    /// browser's session must keep until the callback.
    pub async fn authorization_request(&self) -> Result<(Url, Pending), Error> {
        let discovered = self.discovered().await?;
        // exercise:cut authorization-request
        // PKCE (RFC 7636): a random verifier stays here; only its SHA-256
        // (the challenge) goes out now. A code stolen on its way back is
        // worth nothing without the verifier.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        // `authorize_url` adds response_type=code, client_id, redirect_uri
        // and the fresh random state that `CsrfToken::new_random` makes.
        let (url, state) = discovered
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.map(|scope| Scope::new(scope.to_owned())))
            .add_extra_param("nonce", nonce.secret())
            .set_pkce_challenge(challenge)
            .url();
        let pending =
            Pending::new(state.into_secret(), nonce.into_secret(), verifier.into_secret());
        Ok((url, pending))
        // exercise:as
        // TODO(step 05): make the address that sends the browser to the
        // provider's sign-in, for the `SCOPES`, with a fresh random state, a
        // fresh random nonce, and a PKCE challenge whose verifier never leaves
        // this server. Return it with the state, nonce and verifier in a
        // `Pending`, for the callback to check.
        // See book/src/05-google-oidc.md, "The authorization request".
        //~ let _ = discovered;
        //~ todo!("build the authorization request")
        // exercise:end
    }
    // ANCHOR_END: authorization_request
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use oauth2::{PkceCodeChallenge, PkceCodeVerifier};

    use crate::oidc::test_provider::MockProvider;

    #[tokio::test]
    async fn the_request_has_every_parameter_and_fresh_secrets() {
        let mock = MockProvider::start().await;
        let provider = mock.provider();
        let (url, pending) = provider.authorization_request().await.unwrap();
        assert_eq!(url.as_str().split('?').next().unwrap(), format!("{}/authorize", mock.issuer()));
        let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], crate::oidc::test_provider::CLIENT_ID);
        assert_eq!(query["redirect_uri"], "http://localhost:5000/auth/callback");
        assert_eq!(query["scope"], "openid email profile");
        assert_eq!(query["state"], pending.state);
        assert_eq!(query["nonce"], pending.nonce);
        assert_eq!(query["code_challenge_method"], "S256");
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            pending.verifier.clone(),
        ));
        assert_eq!(&query["code_challenge"], challenge.as_str());
        assert!(!url.as_str().contains(&pending.verifier), "the verifier stays home");

        let (_, again) = provider.authorization_request().await.unwrap();
        assert_ne!(again.state, pending.state);
        assert_ne!(again.nonce, pending.nonce);
        assert_ne!(again.verifier, pending.verifier);
        assert!(pending.state.len() >= 22 && pending.nonce.len() >= 22, "128 random bits or more");
    }
}
