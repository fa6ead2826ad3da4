//! Who is the same person at Microsoft: their tenant and their object id
//! there, whatever name or address they sign in with.

use axum::http::StatusCode;

use super::{
    app::{TestApp, assert_cabinet},
    microsoft::{OTHER, Person, alice},
};

/// `person`'s username after a sign-in in a browser of their own.
async fn account_of(app: &TestApp, person: &Person) -> String {
    let mut browser = app.browser();
    assert_cabinet(&browser.sign_in_with_microsoft(person).await);
    browser.username().await.expect("signed in")
}

#[tokio::test]
async fn the_same_tenant_and_object_id_under_a_new_name_is_the_same_account() {
    let app = TestApp::start().await;
    let first = account_of(&app, &alice()).await;
    let renamed = Person {
        preferred_username: "alice.hargreaves@contoso.example".into(),
        email: "alice.hargreaves@contoso.example".into(),
        name: "Alice Hargreaves".into(),
        ..alice()
    };
    let mut browser = app.browser();
    assert_cabinet(&browser.sign_in_with_microsoft(&renamed).await);
    let (status, me) = browser.me().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], first.as_str());
    assert_eq!(me["name"], "Alice Hargreaves", "what Microsoft says now is kept");
    let updated = format!(
        "SELECT COUNT(*) FROM users
         WHERE username = '{first}' AND email = 'alice.hargreaves@contoso.example'"
    );
    assert_eq!(app.count(&updated).await, 1);
    assert_eq!(app.microsoft_accounts().await, 1);
}

#[tokio::test]
async fn another_object_id_with_the_same_name_and_email_is_another_account() {
    let app = TestApp::start().await;
    let alice_account = account_of(&app, &alice()).await;
    // Given Alice's address once she left, or set to it by an admin.
    let successor = Person {
        oid: "00000000-0000-4000-8000-0000000005cc".into(),
        sub: "successor-pairwise-sub".into(),
        ..alice()
    };
    assert_ne!(account_of(&app, &successor).await, alice_account);
    assert_eq!(app.microsoft_accounts().await, 2);
}

#[tokio::test]
async fn the_same_object_id_in_two_tenants_is_two_accounts() {
    let app = TestApp::start().await;
    let home = account_of(&app, &alice()).await;
    // Another tenant's user with the same oid, and even the same sub: only
    // the pair names a person.
    let elsewhere = Person { tid: OTHER.into(), ..alice() };
    assert_ne!(account_of(&app, &elsewhere).await, home);
    assert_eq!(app.microsoft_accounts().await, 2);
}
