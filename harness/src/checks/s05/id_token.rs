//! The ID token: the provider sends one flawed token at a time, and the
//! server must refuse it and start no session; and after the provider
//! rotates its signing key, a token signed with the new key is accepted.

use super::{
    ID_TOKEN,
    browser::Browser,
    flow::{self, Refusal, expect_refused},
    new_google_user, provider,
};
use crate::{
    check::{Check, Ctx, Failure, Outcome},
    check_fn,
    idp::Fault,
};

/// One check for each defect of an ID token that the contract's
/// validation (signature against the JWKS, `iss`, `aud`, `exp`, `nonce`)
/// catches. `nbf` and the userinfo answer are not in the contract.
pub fn checks() -> Vec<Check> {
    macro_rules! refused {
        ($id:literal, $title:literal, $points:literal, $fault:expr, $hint:literal) => {{
            // Not `run`: check_fn! names its own wrapper that.
            async fn this_fault(cx: &mut Ctx) -> Outcome {
                refuses(cx, $fault).await
            }
            Check {
                id: $id,
                title: $title,
                points: $points,
                requires: Some("s05.sign-in"),
                hint: $hint,
                book: ID_TOKEN,
                asvs: &["V3.5.3"],
                run: check_fn!(this_fault),
            }
        }};
    }
    vec![
        refused!(
            "s05.id-token-bad-signature",
            "an ID token whose signature does not verify is refused",
            3,
            Fault::BadSignature,
            "Verify the RS256 signature with the JWKS key named by the token's kid; decoding the claims is not verifying them. In the kit's exercise: `jsonwebtoken::decode(id_token, &key, &validation)`, never `insecure_decode_claims`."
        ),
        refused!(
            "s05.id-token-alg-none",
            "an unsigned ID token (alg: none) is refused",
            3,
            Fault::AlgNone,
            "Accept RS256 only, whatever the token's header says: `alg: none` means no signature at all. In the kit's exercise: the first of `discovered.algorithms` that `header.alg` parses to."
        ),
        refused!(
            "s05.id-token-hs256-public-key",
            "an ID token signed with HS256 and the provider's public key is refused",
            3,
            Fault::Hs256WithPublicKey,
            "Fix the algorithm to RS256 in your code; never let the token's header choose it, or the public key becomes an HMAC secret anyone knows."
        ),
        refused!(
            "s05.id-token-unknown-kid",
            "an ID token naming a kid that is not in the JWKS is refused",
            2,
            Fault::UnknownKid,
            "Pick the key by the token's kid; when the JWKS has no such key (even after fetching it again), refuse the token. In the kit's exercise: `self.key(&kid)`, then `DecodingKey::from_jwk`."
        ),
        refused!(
            "s05.id-token-wrong-issuer",
            "an ID token from another issuer is refused",
            2,
            Fault::WrongIssuer,
            "Compare iss with the issuer of the discovery document exactly, not by prefix. In the kit's exercise: `validation.set_issuer(&[&self.settings.issuer])`."
        ),
        refused!(
            "s05.id-token-wrong-audience",
            "an ID token issued to another client is refused",
            2,
            Fault::WrongAudience,
            "aud must be (or contain) your OIDC_CLIENT_ID: a token for another app proves nothing to yours."
        ),
        refused!(
            "s05.id-token-untrusted-azp",
            "an ID token also issued to an untrusted party (azp names it) is refused",
            2,
            Fault::UntrustedAudience,
            "When aud lists more than your client, azp must be your OIDC_CLIENT_ID (OpenID Connect Core 3.1.3.7)."
        ),
        refused!(
            "s05.id-token-expired",
            "an expired ID token is refused",
            2,
            Fault::Expired,
            "Refuse a token whose exp has passed (allow a minute of clock skew at most). In the kit's exercise: `validation.validate_exp`, `validate_nbf` and `leeway = LEEWAY`, and `claims.iat` against now."
        ),
        refused!(
            "s05.id-token-wrong-nonce",
            "an ID token with a nonce this sign-in never sent is refused",
            3,
            Fault::WrongNonce,
            "Keep the nonce sent with the pending sign-in, and compare it with the token's nonce claim. In the kit's exercise: `ct_eq` of `claims.nonce` with `nonce`, refusing an empty one."
        ),
        refused!(
            "s05.id-token-missing-nonce",
            "an ID token without the nonce is refused",
            2,
            Fault::MissingNonce,
            "A token without nonce cannot be tied to this sign-in: refuse it, as one with the wrong nonce."
        ),
        Check {
            id: "s05.key-rotation",
            title: "after the provider rotates its signing key, sign-in still works",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "When a token names a kid you have not seen, fetch the JWKS again before refusing it.",
            book: ID_TOKEN,
            asvs: &[],
            run: check_fn!(key_rotation),
        },
    ]
}

/// A sign-in in which the provider sends an ID token with `fault`: the
/// server must refuse it and start no session.
async fn refuses(cx: &mut Ctx, fault: Fault) -> Outcome {
    let provider = provider(cx)?;
    let user = new_google_user("fay");
    let mut browser = Browser::new(&cx.http.base_url);
    let attempt = flow::attempt(&mut browser, provider, &user, Some(fault)).await?;
    if provider.idp.armed_faults().contains(&fault) {
        provider.idp.reset();
        return Err(Failure::new(
            "the server to redeem the code at the token endpoint (to be sent the flawed ID token)",
        )
        .sent(attempt.reply.sent.clone())
        .got(format!(
            "{}\n(no token answer was given: the server refused, or redeemed the code wrongly, before the ID token came into it)",
            attempt.reply.summary()
        )));
    }
    expect_refused(
        &mut browser,
        &attempt.reply,
        Refusal::Any,
        &format!("the provider sent {}", fault.describe()),
    )
    .await
}

async fn key_rotation(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let kid = provider.idp.rotate_keys().await.map_err(|error| {
        Failure::new("the mock provider to make a new signing key").got(error.to_string())
    })?;
    let mut browser = Browser::new(&cx.http.base_url);
    flow::sign_in(&mut browser, provider, &new_google_user("kim")).await.map(drop).map_err(
        |failure| Failure {
            expected: format!(
                "{} (the provider now signs with a new key, kid {kid}, listed in its JWKS)",
                failure.expected
            ),
            ..failure
        },
    )
}
