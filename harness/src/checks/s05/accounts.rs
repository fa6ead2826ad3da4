//! Who the provider's user becomes: signed in with a new session, found by
//! (provider, sub) and never by email or name, written to the database;
//! and password accounts that keep working beside them.
//!
//! From the outside an account is its `username`: the contract keeps it
//! unique, so two sign-ins showing one username are one account.

use serde_json::Value;

use super::{
    browser::Browser,
    flow::{self, field},
    new_google_user, new_sub, provider,
};
use crate::{
    check::{Ctx, Failure, Outcome},
    checks::s01::{expect_anonymous, sign_in as password_sign_in, signed_in_cookie},
    idp::TestUser,
    sandbox::random_token,
};

/// Signs `user` in with Google in a new browser; returns `/api/me`.
async fn google_account(cx: &Ctx, user: &TestUser) -> Result<Value, Failure> {
    let provider = provider(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    flow::sign_in(&mut browser, provider, user).await?;
    flow::me_signed_in(&mut browser, &format!("{} has just signed in with Google", user.email))
        .await
}

fn username(me: &Value) -> String {
    field(me, "username").unwrap_or_default().to_lowercase()
}

pub async fn sign_in(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let user = new_google_user("gina");
    let mut browser = Browser::new(&cx.http.base_url);
    // An id an attacker planted before the victim signs in.
    let planted = format!("{}Ab-_{}", random_token(), &random_token()[..4]);
    browser.plant("session", &planted);
    let signed_in = flow::sign_in(&mut browser, provider, &user).await?;
    for (old, what) in [
        (Some(planted.as_str()), "the session id planted before sign-in"),
        (signed_in.session_before.as_deref(), "the session id the browser held during sign-in"),
    ] {
        let Some(old) = old else { continue };
        if signed_in.session == old {
            return Err(Failure::new(format!("a new session id at sign-in, not {what}"))
                .sent(format!("the whole sign-in, ending in GET {}", signed_in.callback.target))
                .got(format!("Set-Cookie: session={old} (the same id)")));
        }
        expect_anonymous(&cx.http, old, &format!("{what} must not become signed in")).await?;
    }
    let cabinet = browser.open("/cabinet").await?;
    if cabinet.status != 200 {
        return Err(cabinet.fail("200: the sign-in led to /cabinet"));
    }
    let me = flow::me_signed_in(&mut browser, "signed in with Google").await?;
    let wanted = [("provider", "google"), ("email", &user.email), ("name", &user.name)];
    if wanted.iter().any(|(name, value)| field(&me, name) != Some(value)) {
        return Err(Failure::new(format!(
            "/api/me with \"provider\": \"google\", \"email\": {:?} and \"name\": {:?}, from the ID token",
            user.email, user.name
        ))
        .sent("GET /api/me after signing in with Google")
        .got(me.to_string()));
    }
    over_a_password_session(cx, &user, &username(&me)).await
}

/// A browser signed in with a password signs in with Google: it gets a new
/// session id, and its old one never becomes the Google account's.
async fn over_a_password_session(cx: &Ctx, user: &TestUser, google_username: &str) -> Outcome {
    let local = cx.user(0).clone();
    cx.ensure_account(&cx.http, &local).await?;
    let old = password_sign_in(&cx.http, &local.username, &local.password).await?;
    let mut browser = Browser::new(&cx.http.base_url);
    browser.plant("session", &old);
    let signed_in = flow::sign_in(&mut browser, provider(cx)?, user).await?;
    let sent = format!(
        "a sign-in with a password as {}, then with Google as {} in the same browser",
        local.username, user.email
    );
    if signed_in.session == old {
        return Err(Failure::new("a new session id at the Google sign-in")
            .sent(sent)
            .got(format!("Set-Cookie: session={old}, the id of the password session")));
    }
    let reply = cx.http.get("/api/me").session(&old).send().await?;
    let json: Option<Value> = serde_json::from_slice(&reply.body).ok();
    if reply.status == 200 && json.as_ref().is_some_and(|me| username(me) == google_username) {
        return Err(Failure::new(format!(
            "the password session's id never to become {google_username}'s"
        ))
        .sent(format!("{sent}, then GET /api/me with the old id"))
        .got(reply.summary()));
    }
    Ok(())
}

pub async fn auto_register(cx: &mut Ctx) -> Outcome {
    let user = new_google_user("ruth");
    google_account(cx, &user).await?;
    let rows = super::db::users_with_subject(cx, &user.sub).await?;
    let shown = format!("{rows:?}");
    let google = rows.iter().find(|row| row.provider.as_deref() == Some("google"));
    let Some(row) = google else {
        return Err(Failure::new(format!(
            "a row in users with provider = 'google' and subject = '{}' (the ID token's sub)",
            user.sub
        ))
        .sent(format!("a first sign-in of {} with Google", user.email))
        .got(format!("rows with that subject: {shown}")));
    };
    if row.email.as_deref() != Some(user.email.as_str())
        || row.name.as_deref() != Some(user.name.as_str())
    {
        return Err(Failure::new(format!(
            "the row's email = {:?} and name = {:?}, from the ID token",
            user.email, user.name
        ))
        .sent(format!("a first sign-in of {} with Google", user.email))
        .got(shown));
    }
    Ok(())
}

pub async fn same_user_again(cx: &mut Ctx) -> Outcome {
    let user = new_google_user("sam");
    let first = google_account(cx, &user).await?;
    let again = google_account(cx, &user).await?;
    if username(&first) != username(&again) {
        return Err(Failure::new("the same account both times (the same username)")
            .sent(format!("two sign-ins of {} (sub {}) with Google", user.email, user.sub))
            .got(format!("/api/me said {first}, then {again}")));
    }
    // No row at all, or no readable table, is s05.auto-register's to judge.
    if let Ok(rows) = super::db::users_with_subject(cx, &user.sub).await
        && rows.len() > 1
    {
        return Err(Failure::new(format!("one users row with subject '{}'", user.sub))
            .sent(format!("two sign-ins of {} with Google", user.email))
            .got(format!("{} rows: {rows:?}", rows.len())));
    }
    Ok(())
}

pub async fn email_change_keeps_account(cx: &mut Ctx) -> Outcome {
    let user = new_google_user("erik");
    let before = google_account(cx, &user).await?;
    let moved = TestUser {
        email: format!("erik.{}@example.org", &random_token()[..8]),
        name: format!("{} Renamed", user.name),
        ..user.clone()
    };
    let after = google_account(cx, &moved).await?;
    if username(&before) != username(&after) {
        return Err(Failure::new(
            "the same account: the sub is the same, only the email address changed",
        )
        .sent(format!(
            "sign-ins as sub {} with {}, then with {}",
            user.sub, user.email, moved.email
        ))
        .got(format!("/api/me said {before}, then {after}")));
    }
    Ok(())
}

pub async fn same_email_other_sub(cx: &mut Ctx) -> Outcome {
    let owner = new_google_user("olga");
    let other = TestUser { sub: new_sub(), name: "Someone Else".into(), ..owner.clone() };
    let first = google_account(cx, &owner).await?;
    let second = google_account(cx, &other).await?;
    if username(&first) == username(&second) {
        return Err(Failure::new(
            "two accounts: another sub is another person, whatever email address the provider gives",
        )
        .sent(format!(
            "sign-ins with Google as sub {}, then as sub {}, both with {}",
            owner.sub, other.sub, owner.email
        ))
        .got(format!("/api/me said {first}, then {second}: the same account")));
    }
    Ok(())
}

pub async fn local_account_not_taken_over(cx: &mut Ctx) -> Outcome {
    let local = format!("loc{}", &random_token()[..8]);
    let password = format!("pw {} local", random_token());
    let fields = [("username", local.as_str()), ("password", password.as_str())];
    signed_in_cookie(&cx.http.post_form("/register", &fields).send().await?)?;
    let namesake = TestUser {
        name: local.clone(),
        sub: new_sub(),
        ..TestUser::made_up(&format!("{local}@example.com"))
    };
    let me = google_account(cx, &namesake).await?;
    if field(&me, "provider") != Some("google") || username(&me) == local {
        return Err(Failure::new(format!(
            "a new Google account, not the password account {local:?}"
        ))
        .sent(format!(
            "registering {local:?} with a password, then a Google sign-in of {} named {local:?}",
            namesake.email
        ))
        .got(format!("/api/me said {me}")));
    }
    // The password account is untouched: its own password, its own provider.
    let cookie = password_sign_in(&cx.http, &local, &password).await?;
    let reply = cx.http.get("/api/me").session(&cookie).send().await?;
    let own: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let still_local = own
        .as_ref()
        .is_some_and(|me| username(me) == local && field(me, "provider") == Some("password"));
    if !still_local {
        return Err(
            reply.fail(format!("200 with \"username\": {local:?} and \"provider\": \"password\""))
        );
    }
    Ok(())
}

pub async fn password_still_works(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = password_sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.get("/api/me").session(&cookie).send().await?;
    let me: Option<Value> = serde_json::from_slice(&reply.body).ok();
    if reply.status != 200 || me.as_ref().and_then(|me| field(me, "provider")) != Some("password") {
        return Err(reply.fail(format!(
            "200 with \"username\": {:?} and \"provider\": \"password\"",
            user.username
        )));
    }
    Ok(())
}
