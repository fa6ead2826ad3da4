//! Linking a second provider to an account: only a signed-in user who
//! asked for it, through the sign-in started for it, and never an
//! identity away from the account it signs in to.

use axum::http::{StatusCode, header};

use super::{
    app::{Idp, TestApp, assert_cabinet, text},
    google::CAROL,
    microsoft::{alice, dave},
};

#[tokio::test]
async fn nobody_signed_in_has_no_account_to_link_to() {
    let app = TestApp::start().await;
    let mut browser = app.browser();
    let answer = browser.post("/account/link/microsoft", "").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().get(header::LOCATION).is_none(), "not sent to Microsoft");
    assert_eq!(app.microsoft.requests().await, 0, "Microsoft was not even asked");
}

#[tokio::test]
async fn a_password_user_links_microsoft_and_signs_in_with_it_later() {
    let app = TestApp::start().await;
    let mut bob = app.browser();
    bob.register("bob").await;
    assert_cabinet(&bob.link_microsoft(&alice()).await);
    let (status, me) = bob.me().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "bob", "still signed in as bob");
    assert_eq!(me["provider"], "password", "the account's own way in stays");
    assert_eq!(bob.providers().await, ["password", "microsoft"]);
    assert_eq!(app.microsoft_accounts().await, 0, "no account of its own was made");

    // Elsewhere, later: signing in with that Microsoft account is bob.
    let mut elsewhere = app.browser();
    assert_cabinet(&elsewhere.sign_in_with_microsoft(&alice()).await);
    assert_eq!(elsewhere.username().await.as_deref(), Some("bob"));
    assert_eq!(elsewhere.providers().await, ["password", "microsoft"]);
}

#[tokio::test]
async fn a_google_user_links_microsoft_and_a_microsoft_user_links_google() {
    let app = TestApp::start().await;
    let mut carol = app.browser();
    assert_cabinet(&carol.sign_in_with_google(CAROL).await);
    let carols = carol.username().await.unwrap();
    assert_cabinet(&carol.link_microsoft(&alice()).await);
    assert_eq!(carol.providers().await, ["google", "microsoft"]);
    let mut later = app.browser();
    assert_cabinet(&later.sign_in_with_microsoft(&alice()).await);
    assert_eq!(later.username().await, Some(carols));

    let mut dave_browser = app.browser();
    assert_cabinet(&dave_browser.sign_in_with_microsoft(&dave()).await);
    let daves = dave_browser.username().await.unwrap();
    let started = dave_browser.begin_link(Idp::Google).await;
    let claims = app.google.claims("104711384561138945021", &started.nonce);
    assert_cabinet(&dave_browser.come_back(&started, claims).await);
    assert_eq!(dave_browser.providers().await, ["microsoft", "google"]);
    let mut later = app.browser();
    assert_cabinet(&later.sign_in_with_google("104711384561138945021").await);
    assert_eq!(later.username().await, Some(daves));
}

#[tokio::test]
async fn a_plain_sign_in_while_signed_in_links_nothing() {
    let app = TestApp::start().await;
    let mut browser = app.browser();
    browser.register("bob").await;
    assert_cabinet(&browser.sign_in_with_microsoft(&alice()).await);
    // Signed in to Alice's own account instead, as at any sign-in.
    let now = browser.username().await.unwrap();
    assert_ne!(now, "bob");
    assert_eq!(browser.providers().await, ["microsoft"]);
    assert_eq!(app.links().await, 0);
}

#[tokio::test]
async fn a_link_abandoned_for_a_plain_sign_in_links_nothing() {
    let app = TestApp::start().await;
    let mut browser = app.browser();
    browser.register("bob").await;
    let link = browser.begin_link(Idp::Microsoft).await;
    let plain = browser.begin(Idp::Microsoft).await;
    let claims = app.microsoft.claims(&alice(), &plain.nonce);
    assert_cabinet(&browser.come_back(&plain, claims).await);
    assert_ne!(browser.username().await.as_deref(), Some("bob"));
    assert_eq!(app.links().await, 0);

    // The link's own sign-in gave way to the later one: it finds nothing.
    let claims = app.microsoft.claims(&alice(), &link.nonce);
    let late = browser.come_back(&link, claims).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.links().await, 0);
}

#[tokio::test]
async fn a_link_finished_after_someone_else_signed_in_here_links_nothing() {
    let app = TestApp::start().await;
    app.browser().register("eve").await;
    let mut browser = app.browser();
    browser.register("bob").await;
    let link = browser.begin_link(Idp::Microsoft).await;
    let signed_in = browser.post("/login", "username=eve&password=wonderland-rabbit-42").await;
    assert_cabinet(&signed_in);
    let claims = app.microsoft.claims(&alice(), &link.nonce);
    assert_cabinet(&browser.come_back(&link, claims).await);
    // Neither bob, who asked, nor eve, who is signed in now, has it.
    assert_eq!(app.links().await, 0);
    assert_eq!(browser.providers().await, ["microsoft"]);
}

#[tokio::test]
async fn a_forged_callback_does_not_cancel_the_link_under_way() {
    let app = TestApp::start().await;
    let mut bob = app.browser();
    bob.register("bob").await;
    let link = bob.begin_link(Idp::Microsoft).await;
    // Another site gets bob's browser to open a callback of its making.
    for forged in ["error=access_denied", "code=forged&state=forged"] {
        let answer = bob.get(&format!("/auth/microsoft/callback?{forged}")).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{forged}");
    }
    let claims = app.microsoft.claims(&alice(), &link.nonce);
    assert_cabinet(&bob.come_back(&link, claims).await);
    assert_eq!(bob.username().await.as_deref(), Some("bob"));
    assert_eq!(bob.providers().await, ["password", "microsoft"]);
    assert_eq!(app.microsoft_accounts().await, 0);
}

#[tokio::test]
async fn an_identity_with_its_own_account_stays_with_it() {
    let app = TestApp::start().await;
    let mut alice_browser = app.browser();
    assert_cabinet(&alice_browser.sign_in_with_microsoft(&alice()).await);
    let alices = alice_browser.username().await.unwrap();

    let mut bob = app.browser();
    bob.register("bob").await;
    let answer = bob.link_microsoft(&alice()).await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let page = text(answer).await;
    assert!(page.contains("already signs in to another account"), "{page}");
    assert_eq!(bob.username().await.as_deref(), Some("bob"), "bob is still bob");
    assert_eq!(bob.providers().await, ["password"]);

    let mut later = app.browser();
    assert_cabinet(&later.sign_in_with_microsoft(&alice()).await);
    assert_eq!(later.username().await, Some(alices));
    assert_eq!(app.links().await, 0);
}

#[tokio::test]
async fn an_account_links_one_identity_of_each_provider() {
    let app = TestApp::start().await;
    let mut bob = app.browser();
    bob.register("bob").await;
    assert_cabinet(&bob.link_microsoft(&alice()).await);
    let answer = bob.link_microsoft(&dave()).await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let page = text(answer).await;
    assert!(page.contains("linked to an account of that provider already"), "{page}");
    assert_eq!(bob.providers().await, ["password", "microsoft"]);

    // Dave signs in to an account of his own; Alice's link is bob's still.
    let mut daves = app.browser();
    assert_cabinet(&daves.sign_in_with_microsoft(&dave()).await);
    assert_ne!(daves.username().await.as_deref(), Some("bob"));
    let mut alices = app.browser();
    assert_cabinet(&alices.sign_in_with_microsoft(&alice()).await);
    assert_eq!(alices.username().await.as_deref(), Some("bob"));
}

#[tokio::test]
async fn a_microsoft_account_links_no_second_microsoft_identity() {
    let app = TestApp::start().await;
    let mut alice_browser = app.browser();
    assert_cabinet(&alice_browser.sign_in_with_microsoft(&alice()).await);
    let alices = alice_browser.username().await.unwrap();
    let answer = alice_browser.link_microsoft(&dave()).await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert_eq!(alice_browser.providers().await, ["microsoft"]);
    let mut daves = app.browser();
    assert_cabinet(&daves.sign_in_with_microsoft(&dave()).await);
    assert_ne!(daves.username().await, Some(alices));
}
