//! Each check of the ID token, proven by a token that only that check
//! catches: everything else about it is honest.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::oidc::{
    Error, Identity, Invalid,
    test_provider::{self, CLIENT_ID, MockProvider},
};

const NONCE: &str = "n-0S6_WzA2Mj";

async fn validate(mock: &MockProvider, token: &str) -> Result<Identity, Error> {
    mock.provider().validate(token, NONCE).await
}

async fn refused_as(mock: &MockProvider, token: &str) -> Invalid {
    match validate(mock, token).await {
        Err(Error::InvalidToken(why)) => why,
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

/// An honest token with `changes` made to its claims (`null` removes one).
fn token_with(mock: &MockProvider, changes: Value) -> String {
    let mut claims = mock.claims(NONCE);
    for (name, value) in changes.as_object().expect("an object") {
        match value {
            Value::Null => claims.remove(name),
            value => claims.insert(name.clone(), value.clone()),
        };
    }
    test_provider::key().sign(&claims)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn an_honest_token_gives_the_identity() {
    let mock = MockProvider::start().await;
    let identity = validate(&mock, &token_with(&mock, json!({}))).await.unwrap();
    assert_eq!(
        identity,
        Identity {
            subject: "108530463922154213890".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice Liddell".into()),
            picture: Some("https://example.com/alice.png".into()),
        }
    );
}

#[tokio::test]
async fn a_changed_signature_is_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({}));
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[10] ^= 0x5a;
    let spoiled = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes));
    assert_eq!(refused_as(&mock, &spoiled).await, Invalid::Signature);
}

#[tokio::test]
async fn claims_changed_after_signing_are_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({}));
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims.insert("sub".into(), json!("114203889106572394158"));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(refused_as(&mock, &forged).await, Invalid::Signature);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let mock = MockProvider::start().await;
    let header = json!({"alg": "none", "kid": test_provider::key().kid, "typ": "JWT"});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&mock.claims(NONCE)).unwrap());
    assert_eq!(refused_as(&mock, &format!("{header}.{payload}.")).await, Invalid::Algorithm);
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_refused() {
    let mock = MockProvider::start().await;
    let key = test_provider::key();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let secret = EncodingKey::from_secret(key.public_pem.as_bytes());
    let token = jsonwebtoken::encode(&header, &mock.claims(NONCE), &secret).unwrap();
    assert_eq!(refused_as(&mock, &token).await, Invalid::Algorithm);
}

#[tokio::test]
async fn an_algorithm_the_provider_does_not_advertise_is_refused() {
    let mock = MockProvider::start().await;
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some(test_provider::key().kid.clone());
    let token =
        jsonwebtoken::encode(&header, &mock.claims(NONCE), &test_provider::key().encoding).unwrap();
    assert_eq!(refused_as(&mock, &token).await, Invalid::Algorithm);
}

#[tokio::test]
async fn a_rotated_key_is_found_by_fetching_the_keys_again() {
    let mock = MockProvider::start().await;
    let provider = mock.provider();
    let first = test_provider::key().sign(&mock.claims(NONCE));
    provider.validate(&first, NONCE).await.unwrap();
    mock.rotate_keys().await;
    let rotated = test_provider::other_key().sign(&mock.claims(NONCE));
    assert!(provider.validate(&rotated, NONCE).await.is_ok());
    assert_eq!(mock.requests_to(test_provider::JWKS).await, 2);
}

#[tokio::test]
async fn a_key_the_provider_does_not_publish_is_refused_after_one_more_look() {
    let mock = MockProvider::start().await;
    // Signed by a key the JWKS does not hold.
    let token = test_provider::other_key().sign(&mock.claims(NONCE));
    assert_eq!(refused_as(&mock, &token).await, Invalid::UnknownKey);
    assert_eq!(mock.requests_to(test_provider::JWKS).await, 1);
}

#[tokio::test]
async fn a_known_kid_on_a_token_signed_by_another_key_is_refused() {
    let mock = MockProvider::start().await;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(test_provider::key().kid.clone());
    let token =
        jsonwebtoken::encode(&header, &mock.claims(NONCE), &test_provider::other_key().encoding)
            .unwrap();
    assert_eq!(refused_as(&mock, &token).await, Invalid::Signature);
}

#[tokio::test]
async fn another_issuer_is_refused_even_one_that_starts_like_ours() {
    let mock = MockProvider::start().await;
    let impostor = format!("{}/impostor", mock.issuer());
    assert_eq!(
        refused_as(&mock, &token_with(&mock, json!({"iss": impostor}))).await,
        Invalid::Issuer
    );
    let list = json!([mock.issuer()]);
    assert_eq!(
        refused_as(&mock, &token_with(&mock, json!({"iss": list}))).await,
        Invalid::Malformed
    );
}

#[tokio::test]
async fn a_token_for_another_client_is_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({"aud": "someone-else"}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Audience);
    let token = token_with(&mock, json!({"aud": null}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Malformed);
}

#[tokio::test]
async fn a_token_for_us_and_others_is_refused_whatever_azp_says() {
    let mock = MockProvider::start().await;
    let several = json!([CLIENT_ID, "untrusted"]);
    for azp in [json!("untrusted"), json!(null), json!(CLIENT_ID)] {
        let token = token_with(&mock, json!({"aud": several, "azp": azp}));
        assert_eq!(refused_as(&mock, &token).await, Invalid::Audience, "azp {azp}");
    }
    let token = token_with(&mock, json!({"aud": [CLIENT_ID, CLIENT_ID]}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Audience);
    let token = token_with(&mock, json!({"aud": [CLIENT_ID]}));
    assert!(validate(&mock, &token).await.is_ok(), "a list of only us is us");
}

#[tokio::test]
async fn azp_must_be_us_when_present() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({"azp": "untrusted"}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::AuthorizedParty);
    let token = token_with(&mock, json!({"azp": null}));
    assert!(validate(&mock, &token).await.is_ok(), "one audience needs no azp");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({"iat": now() - 7200, "exp": now() - 3600}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Expired);
    let token = token_with(&mock, json!({"exp": null}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Malformed);
}

#[tokio::test]
async fn a_token_from_the_future_is_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({"iat": now() + 3600, "exp": now() + 7200}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::NotYetValid);
    let token = token_with(&mock, json!({"nbf": now() + 3600}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::NotYetValid);
    let token = token_with(&mock, json!({"iat": now() + 30}));
    assert!(validate(&mock, &token).await.is_ok(), "a clock a little ahead is forgiven");
}

#[tokio::test]
async fn another_sign_ins_nonce_or_none_is_refused() {
    let mock = MockProvider::start().await;
    let token = token_with(&mock, json!({"nonce": "another-sign-in"}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Nonce);
    let token = token_with(&mock, json!({"nonce": null}));
    assert_eq!(refused_as(&mock, &token).await, Invalid::Nonce);
    let token = token_with(&mock, json!({"nonce": ""}));
    let answer = mock.provider().validate(&token, "").await;
    assert!(matches!(answer, Err(Error::InvalidToken(Invalid::Nonce))), "{answer:?}");
}

#[tokio::test]
async fn a_subject_that_is_missing_or_not_255_printable_ascii_is_refused() {
    let mock = MockProvider::start().await;
    let too_long = "1".repeat(256);
    for sub in [json!(null), json!(""), json!(too_long), json!("108530\n463"), json!("Ünï")] {
        let token = token_with(&mock, json!({ "sub": sub }));
        assert_eq!(refused_as(&mock, &token).await, Invalid::Malformed, "sub {sub}");
    }
    let longest = "1".repeat(255);
    let identity = validate(&mock, &token_with(&mock, json!({ "sub": longest }))).await;
    assert_eq!(identity.unwrap().subject, longest);
}

#[tokio::test]
async fn claims_too_long_to_be_real_are_dropped_not_cut() {
    let mock = MockProvider::start().await;
    let email = format!("{}@example.com", "a".repeat(250));
    let name = "A".repeat(257);
    let picture = format!("https://example.com/{}", "p".repeat(2048));
    let token = token_with(&mock, json!({"email": email, "name": name, "picture": picture}));
    let identity = validate(&mock, &token).await.unwrap();
    assert_eq!((identity.email, identity.name, identity.picture), (None, None, None));
    assert!(!identity.email_verified, "no address, none verified");
}

#[tokio::test]
async fn email_verified_is_true_only_when_the_provider_says_so() {
    let mock = MockProvider::start().await;
    for (claim, verified) in
        [(json!(true), true), (json!("true"), true), (json!(false), false), (json!(null), false)]
    {
        let token = token_with(&mock, json!({ "email_verified": claim }));
        assert_eq!(validate(&mock, &token).await.unwrap().email_verified, verified, "{claim}");
    }
}

#[tokio::test]
async fn garbage_is_malformed() {
    let mock = MockProvider::start().await;
    for garbage in ["", "a.b.c", "not a token", "e30.e30."] {
        assert!(validate(&mock, garbage).await.is_err(), "{garbage:?}");
    }
}
