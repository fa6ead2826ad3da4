//! The mock provider is strict by default: every rule a careless client
//! could break is enforced, and answered as RFC 6749 says.

mod idp_common;

use std::time::Duration;

use harness::idp::{ClientAuthMethod, Endpoint, Options};
use idp_common::{
    App, CLIENT_ID, OTHER_CLIENT_ID, OTHER_SECRET, REDIRECT_URI, SECRET, alice, authorize_url,
    good_params, pkce, redirect, start, start_with, token_error_words,
};
use oauth2::{AuthType, PkceCodeVerifier, TokenResponse};
use serde_json::Value;

/// `good_params` with `name` set to `value` (`None`: left out).
fn with(challenge: &str, changes: &[(&'static str, Option<&str>)]) -> Vec<(&'static str, String)> {
    let mut params = good_params(challenge);
    for (name, value) in changes {
        match params.iter_mut().find(|(k, _)| k == name) {
            Some(param) => match value {
                Some(value) => param.1 = (*value).to_owned(),
                None => params.retain(|(k, _)| k != name),
            },
            None => params.push((name, value.unwrap().to_owned())),
        }
    }
    params
}

fn url(idp: &harness::idp::Idp, params: &[(&'static str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    authorize_url(idp, &pairs)
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_a_400_page_and_no_redirect() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, challenge) = pkce();
    for changes in [
        vec![("client_id", Some("nobody"))],
        vec![("client_id", None)],
        vec![("redirect_uri", None)],
        vec![("redirect_uri", Some("http://127.0.0.1:9/callback/"))],
        vec![("redirect_uri", Some("http://127.0.0.1:9/callback?next=1"))],
        vec![("redirect_uri", Some("http://localhost:9/callback"))],
        vec![("redirect_uri", Some("http://127.0.0.1:10/callback"))],
        vec![("redirect_uri", Some("HTTP://127.0.0.1:9/callback"))],
        vec![("redirect_uri", Some("http://127.0.0.1:9/callback\"><script>x</script>"))],
    ] {
        let answer = app.get(url(&idp, &with(&challenge, &changes))).await;
        assert_eq!(answer.status(), 400, "{changes:?}");
        assert!(answer.headers().get("location").is_none(), "{changes:?}");
        let page = answer.text().await.unwrap();
        assert!(page.contains("Error 400"), "{page}");
        assert!(!page.contains("<script>x"), "escaped: {page}");
    }
    // A repeated redirect_uri cannot be trusted either.
    let mut params = good_params(&challenge);
    params.push(("redirect_uri", "http://evil.example/".into()));
    let answer = app.get(url(&idp, &params)).await;
    assert_eq!(answer.status(), 400);
}

/// Refused at the redirect URI, with the state, as `error`.
async fn refused_with(idp: &harness::idp::Idp, params: &[(&'static str, String)]) -> String {
    let app = App::new(idp).await;
    let answer = app.get(url(idp, params)).await;
    let (to, query) = redirect(&answer);
    assert_eq!(to, REDIRECT_URI);
    assert_eq!(query.get("state").map(String::as_str), Some("the-state"), "{query:?}");
    assert!(!query.contains_key("code"), "{query:?}");
    assert!(query.contains_key("error_description"), "{query:?}");
    query["error"].clone()
}

#[tokio::test]
async fn pkce_s256_is_required_and_plain_is_refused() {
    let idp = start().await;
    idp.auto_approve_as(Some(&alice(&idp)));
    let (verifier, challenge) = pkce();
    for changes in [
        vec![("code_challenge", None), ("code_challenge_method", None)],
        vec![("code_challenge", None)],
        vec![("code_challenge_method", None)],
        vec![("code_challenge_method", Some("plain"))],
        vec![("code_challenge_method", Some("plain")), ("code_challenge", Some(verifier.as_str()))],
        vec![("code_challenge_method", Some("s256"))],
        vec![("code_challenge", Some("too-short"))],
    ] {
        let error = refused_with(&idp, &with(&challenge, &changes)).await;
        assert_eq!(error, "invalid_request", "{changes:?}");
    }
}

#[tokio::test]
async fn other_broken_authorization_requests_are_told_to_the_app() {
    let idp = start().await;
    idp.auto_approve_as(Some(&alice(&idp)));
    let (_, challenge) = pkce();
    for (changes, expected) in [
        (vec![("response_type", Some("token"))], "unsupported_response_type"),
        (vec![("response_type", None)], "invalid_request"),
        (vec![("scope", Some("email profile"))], "invalid_scope"),
        (vec![("scope", None)], "invalid_scope"),
        (
            vec![("scope", Some("openid email https://www.googleapis.com/auth/drive"))],
            "invalid_scope",
        ),
    ] {
        let error = refused_with(&idp, &with(&challenge, &changes)).await;
        assert_eq!(error, expected, "{changes:?}");
    }
    let mut repeated = good_params(&challenge);
    repeated.push(("nonce", "another".into()));
    assert_eq!(refused_with(&idp, &repeated).await, "invalid_request");
}

/// A fresh code for the test client, and its verifier.
async fn code(idp: &harness::idp::Idp, app: &App) -> (String, PkceCodeVerifier) {
    idp.approve_next_as(&alice(idp));
    let flow = app.begin();
    let code = app.code_for(&flow).await;
    (code, flow.verifier())
}

/// The OAuth error of an exchange that must fail.
async fn exchange_error(app: &App, code: &str, verifier: PkceCodeVerifier) -> String {
    match app.exchange(code, verifier).await {
        Ok(_) => panic!("the exchange succeeded"),
        Err(error) => token_error_words(&error),
    }
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant_and_spends_the_code() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (code, verifier) = code(&idp, &app).await;
    let (wrong, _) = pkce();
    assert_eq!(exchange_error(&app, &code, PkceCodeVerifier::new(wrong)).await, "invalid_grant");
    assert_eq!(exchange_error(&app, &code, verifier).await, "invalid_grant");
}

/// A token request with exactly these form fields, authenticated with
/// client_secret_post unless the fields say otherwise.
async fn token_request(app: &App, fields: &[(&str, &str)]) -> (u16, Value) {
    let answer = app.http.post(app.endpoint("token_endpoint")).form(fields).send().await.unwrap();
    let status = answer.status().as_u16();
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    (status, answer.json().await.unwrap())
}

#[tokio::test]
async fn a_missing_verifier_is_invalid_request() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (code, _) = code(&idp, &app).await;
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].as_str().unwrap().contains("code_verifier"));
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_the_token() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (code, verifier) = code(&idp, &app).await;
    let again = PkceCodeVerifier::new(verifier.secret().clone());
    let tokens = app.exchange(&code, verifier).await.unwrap();
    assert_eq!(app.userinfo(tokens.access_token().secret()).await.status(), 200);
    assert_eq!(exchange_error(&app, &code, again).await, "invalid_grant");
    let answer = app.userinfo(tokens.access_token().secret()).await;
    assert_eq!(answer.status(), 401);
    assert!(answer.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn a_code_expires() {
    let idp =
        start_with(Options { code_lifetime: Duration::from_millis(50), ..idp_common::options() })
            .await;
    let app = App::new(&idp).await;
    let (code, verifier) = code(&idp, &app).await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(exchange_error(&app, &code, verifier).await, "invalid_grant");
    // And one redeemed at once works.
    let (code, verifier) = self::code(&idp, &app).await;
    app.exchange(&code, verifier).await.unwrap();
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_its_redirect_uri() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let other = App::with(&idp, OTHER_CLIENT_ID, OTHER_SECRET, AuthType::BasicAuth).await;
    let (code, verifier) = code(&idp, &app).await;
    assert_eq!(exchange_error(&other, &code, verifier).await, "invalid_grant");

    let (code, verifier) = self::code(&idp, &app).await;
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", verifier.secret()),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_with_either_method() {
    let idp = start().await;
    for (auth, method) in [
        (AuthType::BasicAuth, ClientAuthMethod::ClientSecretBasic),
        (AuthType::RequestBody, ClientAuthMethod::ClientSecretPost),
    ] {
        let app = App::new(&idp).await;
        let wrong = App::with(&idp, CLIENT_ID, "not the secret", auth).await;
        let (code, verifier) = code(&idp, &app).await;
        assert_eq!(exchange_error(&wrong, &code, verifier).await, "invalid_client");
        let request = idp.requests_to(Endpoint::Token).pop().unwrap();
        assert_eq!(request.status, Some(401));
        assert_eq!(request.client_auth().unwrap().method, method);
    }
    let app = App::new(&idp).await;
    let answer = app
        .http
        .post(app.endpoint("token_endpoint"))
        .basic_auth(CLIENT_ID, Some("not the secret"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn a_failed_client_authentication_leaves_the_code_alone() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let wrong = App::with(&idp, CLIENT_ID, "not the secret", AuthType::BasicAuth).await;
    let (code, verifier) = code(&idp, &app).await;
    let again = PkceCodeVerifier::new(verifier.secret().clone());
    assert_eq!(exchange_error(&wrong, &code, verifier).await, "invalid_client");
    app.exchange(&code, again).await.unwrap();
}

#[tokio::test]
async fn one_client_authentication_is_required_not_two_nor_none() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (code, verifier) = code(&idp, &app).await;
    let answer = app
        .http
        .post(app.endpoint("token_endpoint"))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.secret()),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.secret()),
            ("client_id", CLIENT_ID),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn the_token_endpoint_wants_a_form_with_a_known_grant_type() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let secret = [("client_id", CLIENT_ID), ("client_secret", SECRET)];
    let (status, body) =
        token_request(&app, &[&[("grant_type", "password")][..], &secret].concat()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, body) = token_request(&app, &[&[("code", "x")][..], &secret].concat()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    let (status, body) = token_request(
        &app,
        &[&[("grant_type", "authorization_code"), ("code", "made-up")][..], &secret].concat(),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, body) = token_request(
        &app,
        &[
            &[("grant_type", "authorization_code"), ("grant_type", "authorization_code")][..],
            &secret,
        ]
        .concat(),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));

    let answer = app
        .http
        .post(app.endpoint("token_endpoint"))
        .json(&serde_json::json!({"grant_type": "authorization_code", "client_id": CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let get = app.get(app.endpoint("token_endpoint")).await;
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn userinfo_needs_a_valid_bearer_token() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let bare = app.get(app.endpoint("userinfo_endpoint")).await;
    assert_eq!(bare.status(), 401);
    assert!(bare.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let made_up = app.userinfo("made-up").await;
    assert_eq!(made_up.status(), 401);
    let body: Value = made_up.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn access_tokens_expire() {
    let idp =
        start_with(Options { token_lifetime: Duration::from_millis(100), ..idp_common::options() })
            .await;
    let app = App::new(&idp).await;
    let (_, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    assert_eq!(app.userinfo(tokens.access_token().secret()).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.userinfo(tokens.access_token().secret()).await.status(), 401);
}
