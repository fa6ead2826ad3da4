//! Sign in with Microsoft: the flow through the Microsoft-shaped mock, the
//! issuer of each tenant, `MS_TENANT`, and who the user becomes (keyed by
//! `tid:oid`, never by an address or a name).

use serde_json::Value;

use super::{leg, microsoft};
use crate::{
    check::{Ctx, Failure, Outcome},
    checks::s05::{
        browser::Browser,
        flow::{self, Refusal, field},
        requests::expect_sign_in_link,
    },
    idp::{Fault, HOME_TENANT, OTHER_TENANT, TestUser},
    microsoft::Microsoft,
    sandbox::random_token,
};

pub async fn login_button(cx: &mut Ctx) -> Outcome {
    expect_sign_in_link(cx, "/login/microsoft", "Microsoft").await
}

/// Someone of the home tenant who has never signed in.
pub(super) fn new_user(microsoft: &Microsoft, label: &str) -> TestUser {
    microsoft.user(&format!("{label}.{}@contoso.example", &random_token()[..8]))
}

/// Signs `user` in with Microsoft in a new browser; returns the browser
/// and `/api/me`.
pub(super) async fn account(cx: &Ctx, user: &TestUser) -> Result<(Browser, Value), Failure> {
    let microsoft = microsoft(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    flow::sign_in_via(&mut browser, &leg(microsoft), user).await?;
    let me = flow::me_signed_in(
        &mut browser,
        &format!("{} has just signed in with Microsoft", describe(user)),
    )
    .await?;
    Ok((browser, me))
}

pub(super) fn username(me: &Value) -> String {
    field(me, "username").unwrap_or_default().to_lowercase()
}

/// `preferred_username (tid …, oid …)`.
pub(super) fn describe(user: &TestUser) -> String {
    format!(
        "{} (tid {}, oid {})",
        user.preferred_username.as_deref().unwrap_or(&user.email),
        user.tid.as_deref().unwrap_or("?"),
        user.oid.as_deref().unwrap_or("?")
    )
}

pub async fn sign_in(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let user = new_user(microsoft, "mona");
    let mut browser = Browser::new(&cx.http.base_url);
    let authorization = flow::begin_via(&mut browser, &leg(microsoft)).await?;
    let redirect_uri = format!("{}/auth/microsoft/callback", cx.http.base_url);
    let wanted = [
        ("response_type", Some("code")),
        ("client_id", Some(microsoft.client_id.as_str())),
        ("redirect_uri", Some(redirect_uri.as_str())),
        ("code_challenge_method", Some("S256")),
    ];
    for (name, value) in wanted {
        if authorization.param(name).as_deref() != value {
            return Err(Failure::new(format!(
                "the authorization request with {name}={}",
                value.unwrap_or_default()
            ))
            .sent("GET /login/microsoft")
            .got(format!("303 to {}", authorization.url)));
        }
    }
    for name in ["state", "nonce", "code_challenge"] {
        if authorization.param(name).is_none_or(|value| value.is_empty()) {
            return Err(Failure::new(format!("the authorization request with a {name}"))
                .sent("GET /login/microsoft")
                .got(format!("303 to {}", authorization.url)));
        }
    }
    microsoft.idp.reset();
    microsoft.idp.approve_next_as(&user);
    let (authorization, callback) =
        flow::from_provider(&browser, &leg(microsoft), authorization, None).await?;
    let attempt = flow::back_at_server(&mut browser, authorization, callback).await?;
    flow::expect_signed_in(&browser, attempt, &user)?;
    let me = flow::me_signed_in(&mut browser, "signed in with Microsoft").await?;
    if field(&me, "provider") != Some("microsoft") {
        return Err(Failure::new("/api/me with \"provider\": \"microsoft\"")
            .sent(format!("a whole sign-in with Microsoft as {}", describe(&user)))
            .got(format!("/api/me said {me}")));
    }
    Ok(())
}

pub async fn issuer_per_tenant(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    for (fault, what) in [
        (Fault::IssuerOtherTenant, "iss is another tenant's issuer, while tid is the user's"),
        (Fault::IssuerPlaceholder, "iss is the document's issuer with {tenantid} left in it"),
    ] {
        let user = new_user(microsoft, "ivan");
        let mut browser = Browser::new(&cx.http.base_url);
        let attempt = flow::attempt_via(&mut browser, &leg(microsoft), &user, Some(fault)).await?;
        flow::expect_refused(&mut browser, &attempt.reply, Refusal::Any, what).await?;
    }
    Ok(())
}

pub async fn other_tenant_refused(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let guest = microsoft.guest(&format!("gus.{}@fabrikam.example", &random_token()[..8]));
    let mut browser = Browser::new(&cx.http.base_url);
    let attempt = flow::attempt_via(&mut browser, &leg(microsoft), &guest, None).await?;
    let why = format!(
        "MS_TENANT is {HOME_TENANT}, and the token's tid is {OTHER_TENANT} ({})",
        describe(&guest)
    );
    flow::expect_refused(&mut browser, &attempt.reply, Refusal::Any, &why).await
}

pub async fn multi_tenant(cx: &mut Ctx) -> Outcome {
    cx.restart_with(&[("MS_TENANT", "organizations")]).await?;
    let outcome = multi_tenant_accounts(cx).await;
    let home = microsoft(cx)?.tenant.clone();
    cx.restart_with(&[("MS_TENANT", &home)]).await?;
    outcome
}

async fn multi_tenant_accounts(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let resident = new_user(microsoft, "rita");
    // The same oid in another tenant: oids are unique only within one.
    let guest = TestUser {
        tid: Some(OTHER_TENANT.to_owned()),
        preferred_username: Some(format!("rita.{}@fabrikam.example", &random_token()[..8])),
        ..resident.clone()
    };
    let (_, first) = account(cx, &resident).await?;
    let (_, second) = account(cx, &guest).await.map_err(|failure| Failure {
        expected: format!(
            "with MS_TENANT=organizations, a user of any tenant signs in: {}",
            failure.expected
        ),
        ..failure
    })?;
    if username(&first) == username(&second) {
        return Err(Failure::new("two accounts: an oid names a user within one tenant only")
            .sent(format!(
                "with MS_TENANT=organizations, sign-ins as {}, then {}",
                describe(&resident),
                describe(&guest)
            ))
            .got(format!("/api/me said {first}, then {second}: the same account")));
    }
    Ok(())
}

pub async fn keyed_by_oid(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let before = new_user(microsoft, "kim");
    let renamed = format!("kim.married.{}@contoso.example", &random_token()[..8]);
    let after = TestUser {
        email: renamed.clone(),
        preferred_username: Some(renamed),
        name: "Kim Married".into(),
        ..before.clone()
    };
    let (_, first) = account(cx, &before).await?;
    let (_, second) = account(cx, &after).await?;
    if username(&first) != username(&second) {
        return Err(Failure::new(
            "the same account: tid and oid name the user, whatever their address is now",
        )
        .sent(format!("sign-ins as {}, then as {}", describe(&before), describe(&after)))
        .got(format!("/api/me said {first}, then {second}: two accounts")));
    }
    Ok(())
}

pub async fn same_email_other_oid(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let owner = new_user(microsoft, "olga");
    let other = TestUser {
        name: "Someone Else".into(),
        ..microsoft.user(&format!("other.{}@contoso.example", &random_token()[..8]))
    };
    let other = TestUser {
        email: owner.email.clone(),
        preferred_username: owner.preferred_username.clone(),
        ..other
    };
    let (_, first) = account(cx, &owner).await?;
    let (_, second) = account(cx, &other).await?;
    if username(&first) == username(&second) {
        return Err(Failure::new("two accounts: another oid is another person")
            .sent(format!(
                "sign-ins as {}, then {}, both with email {}",
                describe(&owner),
                describe(&other),
                owner.email
            ))
            .got(format!("/api/me said {first}, then {second}: the same account")));
    }
    // A Google user with the address: the sign-in links nothing by itself.
    let provider = cx.provider.as_ref().ok_or_else(|| Failure::new("the Google mock"))?;
    let google = TestUser { sub: crate::checks::s05::new_sub(), ..TestUser::made_up(&owner.email) };
    let mut browser = Browser::new(&cx.http.base_url);
    flow::sign_in(&mut browser, provider, &google).await?;
    let third = flow::me_signed_in(&mut browser, "signed in with Google").await?;
    if username(&third) == username(&first) {
        return Err(Failure::new(
            "another account: a sign-in with Google never links to a Microsoft account by email",
        )
        .sent(format!(
            "a sign-in with Microsoft as {}, then with Google as {} (email_verified true)",
            describe(&owner),
            google.email
        ))
        .got(format!("/api/me said {first}, then {third}: the same account")));
    }
    Ok(())
}
