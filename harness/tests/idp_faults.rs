//! Every fault a test can arm gives the client exactly the named defect, in
//! one flow, and then the provider is honest again.

mod idp_common;

use std::time::{Duration, Instant};

use harness::idp::{Endpoint, Fault, Idp, Options};
use idp_common::{App, Rejected, alice, claims_of, http_client, part, start, start_with};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use oauth2::{RequestTokenError, TokenResponse};
use rsa::{
    BigUint, RsaPublicKey,
    pkcs8::{EncodePublicKey, LineEnding},
};
use serde_json::Value;

/// Arms `fault`, signs in, and checks the ID token's defects and why a
/// careful client refuses it; then that the next sign-in is honest.
async fn id_token_fault(fault: Fault, defects: &[&str], rejected: Rejected) -> (Idp, App, String) {
    let idp = start().await;
    let app = App::new(&idp).await;
    idp.inject(fault);
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let id_token = tokens.extra_fields().id_token.clone();
    assert_eq!(app.defects(&id_token, &flow.nonce).await, defects, "{fault:?}");
    assert_eq!(app.verify(&id_token, &flow.nonce).await.map(|_| ()), Err(rejected), "{fault:?}");
    assert!(idp.armed_faults().is_empty());
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let honest = &tokens.extra_fields().id_token;
    assert!(app.defects(honest, &flow.nonce).await.is_empty(), "{fault:?} once only");
    app.verify(honest, &flow.nonce).await.expect("honest again");
    (idp, app, id_token)
}

#[tokio::test]
async fn a_bad_signature() {
    id_token_fault(Fault::BadSignature, &["signature"], Rejected::Signature).await;
}

#[tokio::test]
async fn alg_none() {
    let (_, _, token) =
        id_token_fault(Fault::AlgNone, &["alg", "signature"], Rejected::Header).await;
    let (header, signature) = token.split_once('.').unwrap();
    assert_eq!(part(header)["alg"], "none");
    assert!(signature.ends_with('.'), "no signature: {token}");
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key() {
    let (idp, app, token) =
        id_token_fault(Fault::Hs256WithPublicKey, &["alg", "signature"], Rejected::Algorithm).await;
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid.as_deref(), Some(idp.signing_key().kid()));
    // The PEM a naive client would make from the JWKS is the HMAC key.
    let jwks: Value = app.get(app.endpoint("jwks_uri")).await.json().await.unwrap();
    let number = |name: &str| {
        use base64::Engine as _;
        let b64 = jwks["keys"][0][name].as_str().unwrap();
        BigUint::from_bytes_be(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64).unwrap(),
        )
    };
    let pem = RsaPublicKey::new(number("n"), number("e"))
        .unwrap()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    assert_eq!(pem, idp.signing_key().public_pem());
    let mut fooled = Validation::new(Algorithm::HS256);
    fooled.validate_aud = false;
    decode::<Value>(&token, &DecodingKey::from_secret(pem.as_bytes()), &fooled)
        .expect("an HMAC keyed with the PEM");
}

#[tokio::test]
async fn an_unknown_kid() {
    id_token_fault(Fault::UnknownKid, &["kid"], Rejected::UnknownKid).await;
}

#[tokio::test]
async fn a_wrong_issuer_that_a_prefix_check_would_pass() {
    let (idp, _, token) = id_token_fault(Fault::WrongIssuer, &["iss"], Rejected::Issuer).await;
    assert!(claims_of(&token)["iss"].as_str().unwrap().starts_with(idp.issuer()));
}

#[tokio::test]
async fn a_wrong_audience() {
    id_token_fault(Fault::WrongAudience, &["aud"], Rejected::Audience).await;
}

#[tokio::test]
async fn an_untrusted_extra_audience_named_by_azp() {
    let (_, _, token) = id_token_fault(Fault::UntrustedAudience, &["azp"], Rejected::Azp).await;
    let claims = claims_of(&token);
    assert_eq!(claims["aud"][0], idp_common::CLIENT_ID);
    assert_eq!(claims["aud"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_expired_token() {
    id_token_fault(Fault::Expired, &["exp"], Rejected::Expired).await;
}

#[tokio::test]
async fn a_token_not_valid_yet() {
    id_token_fault(Fault::NotYetValid, &["nbf"], Rejected::NotYetValid).await;
}

#[tokio::test]
async fn a_wrong_nonce() {
    id_token_fault(Fault::WrongNonce, &["nonce"], Rejected::NonceWrong).await;
}

#[tokio::test]
async fn a_missing_nonce() {
    let (_, _, token) =
        id_token_fault(Fault::MissingNonce, &["nonce"], Rejected::NonceMissing).await;
    assert!(claims_of(&token).get("nonce").is_none());
}

#[tokio::test]
async fn faults_armed_together_apply_together() {
    let idp = start().await;
    let app = App::new(&idp).await;
    idp.inject(Fault::Expired);
    idp.inject(Fault::WrongNonce);
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    assert_eq!(app.defects(&tokens.extra_fields().id_token, &flow.nonce).await, ["exp", "nonce"]);
}

#[tokio::test]
async fn userinfo_about_another_account_once() {
    let idp = start().await;
    let app = App::new(&idp).await;
    idp.inject(Fault::UserinfoOtherSub);
    let (_, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    // A token answer does not use up a userinfo fault.
    assert_eq!(idp.armed_faults(), [Fault::UserinfoOtherSub]);
    let sub = claims_of(&tokens.extra_fields().id_token)["sub"].clone();
    let first: Value = app.userinfo(tokens.access_token().secret()).await.json().await.unwrap();
    assert_ne!(first["sub"], sub);
    assert_eq!(first["sub"].as_str().unwrap().len(), sub.as_str().unwrap().len());
    assert_eq!(first["email"], "alice@example.com", "only sub differs");
    let second: Value = app.userinfo(tokens.access_token().secret()).await.json().await.unwrap();
    assert_eq!(second["sub"], sub);
}

/// Arms `fault`, tries an exchange, and returns what the client got; then
/// checks that the next sign-in works.
async fn token_fault(idp: &Idp, app: &App, fault: Fault) -> idp_common::TokenError {
    idp.inject(fault);
    idp.approve_next_as(&alice(idp));
    let flow = app.begin();
    let code = app.code_for(&flow).await;
    let error = app.exchange(&code, flow.verifier()).await.expect_err("the exchange fails");
    let honest = App::new(idp).await;
    honest.sign_in(idp, &alice(idp)).await;
    error
}

fn last_token_status(idp: &Idp, back: usize) -> Option<u16> {
    let requests = idp.requests_to(Endpoint::Token);
    requests[requests.len() - 1 - back].status
}

#[tokio::test]
async fn the_token_endpoint_answers_invalid_grant() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let error = token_fault(&idp, &app, Fault::TokenInvalidGrant).await;
    assert_eq!(idp_common::token_error_words(&error), "invalid_grant");
}

#[tokio::test]
async fn the_token_endpoint_answers_500() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let error = token_fault(&idp, &app, Fault::TokenServerError).await;
    assert!(matches!(error, RequestTokenError::Parse(..)), "{error:?}");
    assert_eq!(last_token_status(&idp, 1), Some(500));
}

#[tokio::test]
async fn the_token_endpoint_answers_nonsense() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let error = token_fault(&idp, &app, Fault::TokenNonsense).await;
    let RequestTokenError::Parse(_, body) = &error else {
        panic!("not a parse error: {error:?}");
    };
    assert!(String::from_utf8_lossy(body).starts_with("<!doctype html>"));
    assert_eq!(last_token_status(&idp, 1), Some(200));
}

#[tokio::test]
async fn the_token_endpoint_is_too_slow_for_a_client_with_a_timeout() {
    let idp =
        start_with(Options { slow_answer: Duration::from_millis(400), ..idp_common::options() })
            .await;
    let mut app = App::new(&idp).await;
    app.http = http_client(Duration::from_millis(100));
    idp.inject(Fault::TokenSlow);
    idp.approve_next_as(&alice(&idp));
    let flow = app.begin();
    let code = app.code_for(&flow).await;
    let error = app.exchange(&code, flow.verifier()).await.expect_err("a timeout");
    let RequestTokenError::Request(oauth2::HttpClientError::Reqwest(error)) = &error else {
        panic!("not a transport error: {error:?}");
    };
    assert!(error.is_timeout(), "{error:?}");
    // The provider logged the request, and has not answered it yet.
    assert_eq!(last_token_status(&idp, 0), None);
    let honest = App::new(&idp).await;
    honest.sign_in(&idp, &alice(&idp)).await;
}

#[tokio::test]
async fn a_patient_client_gets_the_slow_answer_late() {
    let slow = Duration::from_millis(200);
    let idp = start_with(Options { slow_answer: slow, ..idp_common::options() }).await;
    let app = App::new(&idp).await;
    idp.inject(Fault::TokenSlow);
    let started = Instant::now();
    app.sign_in(&idp, &alice(&idp)).await;
    assert!(started.elapsed() >= slow, "{:?}", started.elapsed());
}

#[tokio::test]
async fn reset_disarms_and_every_fault_is_described() {
    let idp = start().await;
    for fault in Fault::ALL {
        idp.inject(fault);
        assert!(!fault.describe().is_empty());
    }
    assert_eq!(idp.armed_faults().len(), Fault::ALL.len());
    idp.inject(Fault::AlgNone);
    assert_eq!(idp.armed_faults().len(), Fault::ALL.len(), "armed once");
    idp.reset();
    assert!(idp.armed_faults().is_empty());
    let app = App::new(&idp).await;
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    assert!(app.defects(&tokens.extra_fields().id_token, &flow.nonce).await.is_empty());
}
