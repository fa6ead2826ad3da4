//! What can go wrong between the app and its provider. The details are for
//! the log; the user only learns which kind of thing went wrong.

use std::fmt;

/// `Clone`: a failed fetch of the discovery document or the keys is kept
/// for a moment and given to every sign-in that needs them meanwhile.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// No usable answer: the network, a refused connection, no answer
    /// within [`super::TIMEOUT`], or a status of 500 or more, by which the
    /// provider says that it, not the request, is failing. Any endpoint:
    /// `http::get_json` and `http::send` sort every answer the same way.
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
    /// An answer the protocol does not allow: not JSON, fields missing, too
    /// large, a discovery document about another issuer. Or settings that
    /// cannot work, found when they are first used: an `OIDC_ISSUER` that
    /// is not HTTPS.
    #[error("the provider's answer makes no sense: {0}")]
    Nonsense(String),
    /// The token endpoint's own refusal (RFC 6749 section 5.2), such as
    /// `invalid_grant` for a code that was used, expired or never issued.
    #[error("the provider refused the code: {0}")]
    Refused(String),
    /// The ID token failed a check. Whoever made it, it signs nobody in.
    #[error("the ID token is not valid: {0}")]
    InvalidToken(Invalid),
}

/// Which check an ID token failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not three base64url parts, claims of the wrong type or missing, or
    /// a `sub` that is not 1 to 255 printable ASCII characters.
    Malformed,
    /// An `alg` the provider does not sign with: `none`, HS256, ...
    Algorithm,
    /// A `kid` that is not among the provider's keys, even fetched anew.
    UnknownKey,
    Signature,
    Issuer,
    /// `aud` does not name this client, or names others beside it.
    Audience,
    /// `azp` names another party.
    AuthorizedParty,
    Expired,
    /// `iat` in the future, or `nbf` not reached yet.
    NotYetValid,
    /// Not the `nonce` this browser's sign-in sent, or none.
    Nonce,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "it is not a well-formed JWT with the claims an ID token has",
            Self::Algorithm => "its alg is not one the provider signs with",
            Self::UnknownKey => "its kid names no key the provider publishes",
            Self::Signature => "its signature does not verify",
            Self::Issuer => "iss is not the issuer",
            Self::Audience => "aud is not exactly this client",
            Self::AuthorizedParty => "azp is not this client",
            Self::Expired => "it has expired",
            Self::NotYetValid => "it is not valid yet",
            Self::Nonce => "nonce is not the one this sign-in sent",
        })
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Self::InvalidToken(invalid)
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        // reqwest keeps the cause (a timeout, a refused connection) in the
        // chain of sources, not in its own message: the log needs it.
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        Self::Unreachable(detail)
    }
}
