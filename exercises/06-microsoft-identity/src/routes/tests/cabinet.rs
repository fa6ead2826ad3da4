//! The cabinet: the ways the account signs in, and a button to link each
//! provider it does not sign in with yet.

use axum::http::StatusCode;

use super::app::{Browser, TestApp, assert_cabinet, text};
use crate::entra::Tenants;

/// What the cabinet lists under "Ways to sign in", and the providers its
/// link buttons post to.
async fn cabinet(browser: &mut Browser<'_>) -> (Vec<String>, Vec<String>) {
    let answer = browser.get("/cabinet").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let page = text(answer).await;
    let (_, list) = page.split_once("<h2>Ways to sign in</h2>").expect("the list");
    let (list, _) = list.split_once("</ul>").unwrap();
    let ways = list
        .split("<li>")
        .skip(1)
        .map(|item| item.split_once("</li>").unwrap().0.to_owned())
        .collect();
    let buttons = page
        .split(r#"action="/account/link/"#)
        .skip(1)
        .map(|rest| rest.split_once('"').unwrap().0.to_owned())
        .collect();
    (ways, buttons)
}

#[tokio::test]
async fn the_cabinet_offers_to_link_only_the_providers_not_linked() {
    let app = TestApp::start().await;
    let mut bob = app.browser();
    bob.register("bob").await;
    let (ways, buttons) = cabinet(&mut bob).await;
    assert_eq!(ways, ["a password"]);
    assert_eq!(buttons, ["google", "microsoft"]);

    assert_cabinet(&bob.link_microsoft(&super::microsoft::alice()).await);
    let (ways, buttons) = cabinet(&mut bob).await;
    assert_eq!(ways, ["a password", "Microsoft"]);
    assert_eq!(buttons, ["google"]);
}

#[tokio::test]
async fn a_microsoft_account_is_offered_google_only() {
    let app = TestApp::start().await;
    let mut alice = app.browser();
    assert_cabinet(&alice.sign_in_with_microsoft(&super::microsoft::alice()).await);
    assert_eq!(cabinet(&mut alice).await, (vec!["Microsoft".into()], vec!["google".into()]));
}

#[tokio::test]
async fn a_provider_the_server_cannot_sign_in_with_is_not_offered() {
    let app = TestApp::with(Tenants::Organizations, false).await;
    let mut bob = app.browser();
    bob.register("bob").await;
    assert_eq!(cabinet(&mut bob).await, (vec!["a password".into()], vec!["microsoft".into()]));
    let answer = bob.post("/account/link/google", "").await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert!(answer.headers().get("location").is_none());
}
