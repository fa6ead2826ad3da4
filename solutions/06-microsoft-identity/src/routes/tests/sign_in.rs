//! Signing in with Microsoft, and the ID tokens that sign nobody in.

use axum::http::StatusCode;
use serde_json::json;

use super::{
    app::{Idp, TestApp, assert_cabinet, session_cookie, text},
    microsoft::{HOME, OTHER, alice},
};

#[tokio::test]
async fn a_home_tenant_user_signs_in_to_an_account_of_their_own() {
    let app = TestApp::start().await;
    let mut browser = app.browser();
    let started = browser.begin(Idp::Microsoft).await;
    let claims = app.microsoft.claims(&alice(), &started.nonce);
    let answer = browser.come_back(&started, claims).await;
    assert_cabinet(&answer);
    assert!(session_cookie(&answer).is_some(), "a new session id at sign-in");

    let (status, me) = browser.me().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["provider"], "microsoft");
    assert_eq!(me["providers"], json!(["microsoft"]));
    assert_eq!(me["name"], "Alice Liddell");
    // Her account is keyed by her tenant and her id there.
    let key = format!("{HOME}:{}", alice().oid);
    let keyed =
        format!("SELECT COUNT(*) FROM users WHERE provider = 'microsoft' AND subject = '{key}'");
    assert_eq!(app.count(&keyed).await, 1);
}

#[tokio::test]
async fn the_sign_in_comes_back_to_microsofts_own_callback() {
    let app = TestApp::start().await;
    let answer = app.browser().get("/login/microsoft").await;
    let location = answer.headers()["location"].to_str().unwrap();
    let url = reqwest::Url::parse(location).unwrap();
    let redirect_uri = url.query_pairs().find(|(name, _)| name == "redirect_uri").unwrap().1;
    assert_eq!(redirect_uri, "http://localhost:5000/auth/microsoft/callback");
}

/// A sign-in as Alice whose ID token's `iss` is `iss`: refused, and
/// nobody is signed in.
async fn refused_with_issuer(app: &TestApp, iss: &str) {
    let mut browser = app.browser();
    let started = browser.begin(Idp::Microsoft).await;
    let mut claims = app.microsoft.claims(&alice(), &started.nonce);
    claims.insert("iss".into(), json!(iss));
    let answer = browser.come_back(&started, claims).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY, "{iss}");
    assert_eq!(browser.username().await, None, "{iss}");
    assert_eq!(app.microsoft_accounts().await, 0, "{iss}");
}

#[tokio::test]
async fn a_token_whose_issuer_names_another_tenant_than_its_tid_is_refused() {
    let app = TestApp::start().await;
    refused_with_issuer(&app, &app.microsoft.issuer(OTHER)).await;
}

#[tokio::test]
async fn a_token_whose_issuer_is_the_placeholder_itself_is_refused() {
    let app = TestApp::start().await;
    refused_with_issuer(&app, &app.microsoft.issuer("{tenantid}")).await;
}

#[tokio::test]
async fn a_code_brought_back_to_the_other_providers_callback_is_refused() {
    let app = TestApp::start().await;
    for (from, to) in [(Idp::Microsoft, Idp::Google), (Idp::Google, Idp::Microsoft)] {
        let mut browser = app.browser();
        let started = browser.begin(from).await;
        let claims = match from {
            Idp::Microsoft => app.microsoft.claims(&alice(), &started.nonce),
            Idp::Google => app.google.claims(super::google::CAROL, &started.nonce),
        };
        let answer = browser.come_back_at(to.callback(), &started, claims).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{from:?} at {to:?}'s callback");
        assert_eq!(browser.username().await, None);
    }
    // Refused before either provider was asked about the code.
    assert_eq!(app.microsoft.exchanges().await, 0);
    assert_eq!(app.google.exchanges().await, 0);
}

#[tokio::test]
async fn the_home_page_offers_microsoft_and_google_beside_the_password_form() {
    let app = TestApp::start().await;
    let page = text(app.browser().get("/").await).await;
    assert!(page.contains(r#"href="/login/microsoft""#), "{page}");
    assert!(page.contains(r#"href="/login/google""#), "{page}");
    assert!(page.contains(r#"action="/login""#), "{page}");
}
