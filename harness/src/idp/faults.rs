//! Ways the provider misbehaves on purpose, so a check can prove that a
//! step refuses a bad answer. A fault is armed for one flow: the next
//! answer it applies to has it, and then the provider is honest again.

use serde_json::{Map, Value, json};

use super::shape::{HOME_TENANT, OTHER_TENANT, tenant_url};

/// One defect, in one answer. ID-token faults apply to the next token
/// answer that succeeds; userinfo faults to the next userinfo answer that
/// succeeds; token-endpoint faults to the next token request, whatever it
/// holds. Faults armed together apply together where they can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The ID token is signed by the right key, then one byte of its
    /// signature is changed.
    BadSignature,
    /// The ID token's header says `"alg": "none"` and it has no signature.
    AlgNone,
    /// The ID token says `"alg": "HS256"` and the current `kid`, and is an
    /// HMAC keyed with the public key's PEM text
    /// ([`super::SigningKey::public_pem`]): a client that lets the token
    /// pick the algorithm verifies it with the key it trusts, and passes.
    Hs256WithPublicKey,
    /// The ID token is signed by the right key but names a `kid` the JWKS
    /// does not hold.
    UnknownKid,
    /// `iss` is the issuer with `/impostor` appended: a prefix check
    /// passes, an exact comparison does not.
    WrongIssuer,
    /// `aud` is another client's id (`azp` is still the client).
    WrongAudience,
    /// `aud` lists the client and an untrusted party, and `azp` names the
    /// untrusted party (OpenID Connect Core 3.1.3.7, points 3 to 5).
    UntrustedAudience,
    /// Issued two hours ago, `exp` an hour ago.
    Expired,
    /// `nbf` is an hour from now.
    NotYetValid,
    /// `nonce` is one the client never sent.
    WrongNonce,
    /// No `nonce` claim, though the client sent one.
    MissingNonce,
    /// The userinfo answer's `sub` differs from the ID token's (in its last
    /// character: another account).
    UserinfoOtherSub,
    /// The token endpoint answers 400 `invalid_grant`, whatever it was sent.
    TokenInvalidGrant,
    /// The token endpoint answers a bare 500.
    TokenServerError,
    /// The token endpoint answers 200, `Content-Type: application/json`,
    /// with an HTML page for a body.
    TokenNonsense,
    /// Microsoft's shape: `iss` is another tenant's issuer
    /// ([`super::OTHER_TENANT`]'s, or [`super::HOME_TENANT`]'s for a user of
    /// that one) while `tid` stays the user's: a client that checks `iss`
    /// only against the discovery template, without the token's own
    /// `tid`, passes it.
    IssuerOtherTenant,
    /// Microsoft's shape: `iss` is literally `{base}/{tenantid}/v2.0`, the
    /// multi-tenant discovery document's template, braces and all.
    IssuerPlaceholder,
    /// The token endpoint holds its answer back for
    /// [`super::Options::slow_answer`] (15 s unless changed), longer than
    /// a client should wait; then answers normally.
    TokenSlow,
}

/// The answer a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    TokenEndpoint,
    IdToken,
    Userinfo,
}

impl Fault {
    pub const ALL: [Fault; 18] = [
        Fault::BadSignature,
        Fault::AlgNone,
        Fault::Hs256WithPublicKey,
        Fault::UnknownKid,
        Fault::WrongIssuer,
        Fault::WrongAudience,
        Fault::UntrustedAudience,
        Fault::Expired,
        Fault::NotYetValid,
        Fault::WrongNonce,
        Fault::MissingNonce,
        Fault::UserinfoOtherSub,
        Fault::TokenInvalidGrant,
        Fault::TokenServerError,
        Fault::TokenNonsense,
        Fault::TokenSlow,
        Fault::IssuerOtherTenant,
        Fault::IssuerPlaceholder,
    ];

    pub(super) fn stage(self) -> Stage {
        match self {
            Fault::UserinfoOtherSub => Stage::Userinfo,
            Fault::TokenInvalidGrant
            | Fault::TokenServerError
            | Fault::TokenNonsense
            | Fault::TokenSlow => Stage::TokenEndpoint,
            _ => Stage::IdToken,
        }
    }

    /// What the provider did, for a check's message: "the provider sent
    /// `describe()`, and the server accepted it".
    pub fn describe(self) -> &'static str {
        match self {
            Fault::BadSignature => "an ID token whose signature does not verify",
            Fault::AlgNone => "an unsigned ID token (alg: none)",
            Fault::Hs256WithPublicKey => {
                "an ID token signed with HS256, keyed with the provider's public key"
            }
            Fault::UnknownKid => "an ID token whose kid is not in the JWKS",
            Fault::WrongIssuer => "an ID token from another issuer",
            Fault::WrongAudience => "an ID token issued to another client",
            Fault::UntrustedAudience => {
                "an ID token also issued to an untrusted party, with azp naming it"
            }
            Fault::Expired => "an expired ID token",
            Fault::NotYetValid => "an ID token not valid before an hour from now (nbf)",
            Fault::WrongNonce => "an ID token with a nonce the server never sent",
            Fault::MissingNonce => "an ID token without the nonce",
            Fault::UserinfoOtherSub => "a userinfo answer about another account (sub differs)",
            Fault::TokenInvalidGrant => "a token answer of 400 invalid_grant",
            Fault::TokenServerError => "a token answer of 500",
            Fault::TokenNonsense => "a token answer that is not JSON",
            Fault::TokenSlow => "no token answer for longer than a client should wait",
            Fault::IssuerOtherTenant => {
                "an ID token whose issuer is another tenant's than its tid names"
            }
            Fault::IssuerPlaceholder => {
                "an ID token whose issuer is the discovery template, {tenantid} unfilled"
            }
        }
    }
}

/// The faults armed and not yet used.
#[derive(Default)]
pub(super) struct Armed(Vec<Fault>);

impl Armed {
    pub(super) fn arm(&mut self, fault: Fault) {
        if !self.0.contains(&fault) {
            self.0.push(fault);
        }
    }

    /// Disarms and returns the faults of `stage`: they apply to this answer.
    pub(super) fn take(&mut self, stage: Stage) -> Vec<Fault> {
        let (taken, kept) = self.0.iter().partition(|f| f.stage() == stage);
        self.0 = kept;
        taken
    }

    pub(super) fn list(&self) -> Vec<Fault> {
        self.0.clone()
    }
}

/// Someone the token was not meant for.
const OTHER_CLIENT: &str = "someone-else.apps.example.com";

/// Spoils the ID token's claims as the claim faults among `faults` say.
/// `now` is the time the honest claims were made at; `base` is the
/// provider's base URL, which Microsoft's issuers start with.
pub(super) fn tamper_claims(
    claims: &mut Map<String, Value>,
    faults: &[Fault],
    now: u64,
    base: &str,
) {
    for fault in faults {
        match fault {
            Fault::IssuerOtherTenant => {
                let other = match claims.get("tid").and_then(Value::as_str) {
                    Some(tid) if tid.eq_ignore_ascii_case(OTHER_TENANT) => HOME_TENANT,
                    _ => OTHER_TENANT,
                };
                claims.insert("iss".into(), json!(tenant_url(base, other)));
            }
            Fault::IssuerPlaceholder => {
                claims.insert("iss".into(), json!(tenant_url(base, "{tenantid}")));
            }
            Fault::WrongIssuer => {
                let issuer = claims["iss"].as_str().unwrap_or_default();
                claims.insert("iss".into(), json!(format!("{issuer}/impostor")));
            }
            Fault::WrongAudience => {
                claims.insert("aud".into(), json!(OTHER_CLIENT));
            }
            Fault::UntrustedAudience => {
                let client = claims["aud"].clone();
                claims.insert("aud".into(), json!([client, OTHER_CLIENT]));
                claims.insert("azp".into(), json!(OTHER_CLIENT));
            }
            Fault::Expired => {
                claims.insert("iat".into(), json!(now - 7200));
                claims.insert("exp".into(), json!(now - 3600));
                // Microsoft's honest `nbf` is `iat`, and moves with it (one
                // that NotYetValid set stays).
                if claims.get("nbf") == Some(&json!(now)) {
                    claims.insert("nbf".into(), json!(now - 7200));
                }
            }
            Fault::NotYetValid => {
                claims.insert("nbf".into(), json!(now + 3600));
            }
            Fault::WrongNonce => {
                let nonce = super::grants::random_value();
                claims.insert("nonce".into(), json!(nonce));
            }
            Fault::MissingNonce => {
                claims.remove("nonce");
            }
            _ => {}
        }
    }
}

/// A subject next to `sub`: same shape, another account.
pub(super) fn other_sub(sub: &str) -> String {
    let mut other: Vec<char> = sub.chars().collect();
    match other.last_mut() {
        Some(last) if last.is_ascii_digit() => {
            let digit = last.to_digit(10).expect("a digit");
            *last = char::from_digit((digit + 1) % 10, 10).expect("a digit");
            other.into_iter().collect()
        }
        _ => format!("{sub}-other"),
    }
}
