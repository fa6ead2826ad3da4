//! Validating the ID token (OpenID Connect Core 1.0, section 3.1.3.7):
//! the provider's signed statement of who signed in, for whom, and when.
//! Every check below stops a real attack; none is optional.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, Validation, errors::ErrorKind, jwk::KeyAlgorithm};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{Error, Invalid, Provider};

/// How far the provider's clock and ours may disagree, in seconds.
pub const LEEWAY: u64 = 60;

/// OpenID Connect Core section 2: `sub` is at most 255 ASCII characters.
const MAX_SUBJECT: usize = 255;
/// The longest address mail reaches: RFC 5321 section 4.5.3.1.3 allows a
/// path of 256 bytes, angle brackets included.
const MAX_EMAIL: usize = 254;
/// Longer than any name a person goes by, in bytes.
const MAX_NAME: usize = 256;
/// Google's picture addresses are about 100 bytes; some servers refuse
/// URLs past 2 KiB.
const MAX_PICTURE: usize = 2048;

/// What the app believes about the user once the token is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The user's id at the provider: never reassigned, never changed. The
    /// only claim an account may be found by.
    pub subject: String,
    /// Shown to the user, never used to find an account: an address can
    /// change hands, and some providers do not check it.
    pub email: Option<String>,
    /// The provider checked that `email` reaches this user. Only then is
    /// the address theirs: anyone can claim any address at a provider
    /// that does not check.
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture: Option<String>,
}

/// The JOSE header: how the token says it was signed.
#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The claims checked here or kept; jsonwebtoken checks `iss`, `aud`,
/// `exp` and `nbf` on its own copy of them.
#[derive(Deserialize)]
struct Claims {
    /// One string: an ID token has one issuer.
    iss: String,
    sub: String,
    /// One string or a list of them (RFC 7519 section 4.1.3); jsonwebtoken
    /// has checked that it names us, not that it names only us.
    aud: Value,
    azp: Option<String>,
    iat: i64,
    nonce: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Verified,
    name: Option<String>,
    picture: Option<String>,
    /// Every other claim, for the provider's [`super::Dialect`] to read.
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// `email_verified`: a boolean, though some providers write it as a string.
#[derive(Default, Deserialize)]
#[serde(untagged)]
enum Verified {
    Bool(bool),
    Text(String),
    #[default]
    Absent,
}

impl TryFrom<Claims> for Identity {
    type Error = Invalid;

    /// The identity in a token's claims, checked and bounded before any of
    /// it reaches the database or a page.
    fn try_from(claims: Claims) -> Result<Self, Invalid> {
        // An ID token is about someone, named as section 2 allows. Printable
        // characters only: the id goes into logs too.
        let printable = |byte: u8| (b' '..=b'~').contains(&byte);
        let sub = claims.sub;
        if sub.is_empty() || sub.len() > MAX_SUBJECT || !sub.bytes().all(printable) {
            return Err(Invalid::Malformed);
        }
        // The rest is only shown. A claim too long to be real is dropped,
        // not cut (a cut address is another address), and signs in anyway.
        let email = within(claims.email, MAX_EMAIL);
        let email_verified = email.is_some()
            && match claims.email_verified {
                Verified::Bool(verified) => verified,
                Verified::Text(text) => text == "true",
                Verified::Absent => false,
            };
        Ok(Self {
            subject: sub,
            email,
            email_verified,
            name: within(claims.name, MAX_NAME),
            picture: within(claims.picture, MAX_PICTURE),
        })
    }
}

/// `claim`, unless it is longer than `max` bytes.
fn within(claim: Option<String>, max: usize) -> Option<String> {
    claim.filter(|value| value.len() <= max)
}

impl Provider {
    /// The identity in `id_token`, if it is a valid ID token from our
    /// provider, for this client, made for the sign-in that sent `nonce`.
    pub async fn validate(&self, id_token: &str, nonce: &str) -> Result<Identity, Error> {
        let discovered = self.discovered().await?;
        let header = header(id_token)?;

        // TODO(step 05): decide how the token must be signed, and with which
        // key: the provider says which algorithms it signs with, whatever
        // the token's header claims, and the key is the one of the
        // provider's published keys that the header names.
        // See book/src/05-google-oidc.md, "The algorithm" and "The key".
        let _ = (&discovered.algorithms, &header.alg, &header.kid);

        // TODO(step 05): believe the claims only once the signature verifies
        // with that key: for now they are read unchecked, so anyone can
        // write a token that signs in as anyone.
        // See book/src/05-google-oidc.md, "The signature, the issuer, the
        // audience and the time".
        let claims: Claims =
            jsonwebtoken::dangerous::insecure_decode_claims(id_token).map_err(invalid)?;

        // TODO(step 05): a token from another issuer, or issued to another
        // client (alone, or beside us), proves nothing here: refuse it.
        // See book/src/05-google-oidc.md, "The signature, the issuer, the
        // audience and the time" and "The authorized party".

        // TODO(step 05): a token is good for a while only: refuse one that
        // has expired, or is not valid yet, give or take `LEEWAY`.
        // See book/src/05-google-oidc.md, "The signature, the issuer, the
        // audience and the time" and "When it was issued".

        // TODO(step 05): the token must be the answer to this sign-in, not
        // to another one (even this user's): refuse it unless it carries
        // the `nonce` this sign-in sent.
        // See book/src/05-google-oidc.md, "The nonce".
        let _ = nonce;

        // The account's key: `sub`, unless the provider names people
        // otherwise.
        let mut claims = claims;
        claims.sub = self.settings.dialect.subject(&claims.sub, &claims.other)?;
        Ok(Identity::try_from(claims)?)
    }
}

/// The token's header, read before its signature is checked: only to
/// learn which key to check it with.
fn header(token: &str) -> Result<Header, Invalid> {
    let encoded = token.split('.').next().unwrap_or_default();
    let json = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Invalid::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| Invalid::Malformed)
}

/// Which check jsonwebtoken's error says failed.
fn invalid(error: jsonwebtoken::errors::Error) -> Error {
    let invalid = match error.kind() {
        ErrorKind::InvalidSignature => Invalid::Signature,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => Invalid::Algorithm,
        ErrorKind::InvalidIssuer => Invalid::Issuer,
        ErrorKind::InvalidAudience => Invalid::Audience,
        ErrorKind::ExpiredSignature => Invalid::Expired,
        ErrorKind::ImmatureSignature => Invalid::NotYetValid,
        _ => Invalid::Malformed,
    };
    invalid.into()
}

#[cfg(test)]
mod tests;
