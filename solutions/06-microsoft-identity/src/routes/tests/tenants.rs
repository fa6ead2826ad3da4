//! `MS_TENANT`: whose people the app lets in.

use axum::http::StatusCode;

use super::{
    app::{TestApp, assert_cabinet},
    microsoft::{HOME, Person, alice, dave, petra},
};
use crate::entra::Tenants;

/// `person` signs in, or is refused and nobody is signed in.
async fn signs_in(app: &TestApp, person: &Person) -> bool {
    let mut browser = app.browser();
    let answer = browser.sign_in_with_microsoft(person).await;
    if answer.status() == StatusCode::SEE_OTHER {
        assert_cabinet(&answer);
        assert!(browser.username().await.is_some());
        true
    } else {
        assert_eq!(answer.status(), StatusCode::BAD_GATEWAY, "{person:?}");
        assert_eq!(browser.username().await, None, "{person:?}");
        false
    }
}

#[tokio::test]
async fn one_tenant_lets_in_its_own_people_only() {
    let app = TestApp::with(Tenants::Only(HOME.into()), false).await;
    assert!(!signs_in(&app, &dave()).await, "another tenant's user, with an honest token");
    assert!(!signs_in(&app, &petra()).await, "a personal account");
    assert!(signs_in(&app, &alice()).await);
    assert_eq!(app.microsoft_accounts().await, 1);
}

#[tokio::test]
async fn organizations_lets_in_any_organisation_but_not_personal_accounts() {
    let app = TestApp::with(Tenants::Organizations, false).await;
    assert!(signs_in(&app, &alice()).await);
    assert!(signs_in(&app, &dave()).await);
    assert!(!signs_in(&app, &petra()).await, "the consumers tenant is no organisation");
    assert_eq!(app.microsoft_accounts().await, 2);
}

#[tokio::test]
async fn common_lets_in_personal_accounts_too() {
    let app = TestApp::with(Tenants::Common, false).await;
    assert!(signs_in(&app, &petra()).await);
    assert!(signs_in(&app, &dave()).await);
}
