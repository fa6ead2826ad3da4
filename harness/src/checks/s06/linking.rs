//! Linking a second provider: only a signed-in user, only at the end of
//! the flow `POST /account/link/<provider>` starts, never an identity that
//! signs in to another account, and never by a sign-in alone.
//!
//! What an account signs in with is read from the outside: `/api/me`'s
//! `providers`, and which account a Microsoft sign-in lands in.

use serde_json::Value;

use super::{
    entra::{account, describe, new_user, username},
    leg, microsoft,
};
use crate::{
    check::{Ctx, Failure, Outcome},
    checks::{
        expect_redirect,
        s01::signed_in_cookie,
        s05::{browser::Browser, flow},
    },
    idp::TestUser,
    sandbox::random_token,
};

const LINK: &str = "/account/link/microsoft";

/// A new password account, signed in in a new browser.
async fn password_user(cx: &Ctx, label: &str) -> Result<(String, Browser), Failure> {
    let username = format!("{label}{}", &random_token()[..8]).to_lowercase();
    let password = format!("pw {} {label}", random_token());
    let fields = [("username", username.as_str()), ("password", password.as_str())];
    let cookie = signed_in_cookie(&cx.http.post_form("/register", &fields).send().await?)?;
    let mut browser = Browser::new(&cx.http.base_url);
    browser.plant("session", &cookie);
    Ok((username, browser))
}

/// `POST /account/link/microsoft` in `browser`, the provider approving
/// `user`, and the browser back at the callback: the server's answer.
async fn link_as(
    browser: &mut Browser,
    cx: &Ctx,
    user: &TestUser,
) -> Result<flow::Attempt, Failure> {
    let microsoft = microsoft(cx)?;
    let leg = leg(microsoft);
    microsoft.idp.reset();
    microsoft.idp.approve_next_as(user);
    let reply = browser.submit(LINK).await?;
    let authorization = flow::expect_sent_to_provider(&reply, &leg).map_err(|failure| Failure {
        expected: format!(
            "a signed-in user's link to start Microsoft's sign-in: {}",
            failure.expected
        ),
        ..failure
    })?;
    let (authorization, callback) = flow::from_provider(browser, &leg, authorization, None).await?;
    flow::back_at_server(browser, authorization, callback).await
}

fn providers(me: &Value) -> Vec<String> {
    let list = me.get("providers").and_then(Value::as_array);
    list.into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// `/api/me` of `browser`, which must be signed in as `username`.
async fn me_as(browser: &mut Browser, username: &str, why: &str) -> Result<Value, Failure> {
    let me = flow::me_signed_in(browser, why).await?;
    if self::username(&me) != username {
        return Err(Failure::new(format!("/api/me still about {username:?}: {why}"))
            .sent("GET /api/me")
            .got(format!("{me}")));
    }
    Ok(me)
}

pub async fn link(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let user = new_user(microsoft, "lena");
    let (owner, mut browser) = password_user(cx, "linker").await?;
    let attempt = link_as(&mut browser, cx, &user).await?;
    expect_redirect(&attempt.reply, &cx.http.base_url, "/cabinet")?;
    let me = me_as(&mut browser, &owner, "the link keeps the user signed in").await?;
    let listed = providers(&me);
    if !(listed.iter().any(|p| p == "password") && listed.iter().any(|p| p == "microsoft")) {
        return Err(Failure::new(
            "/api/me with \"providers\" listing \"password\" and \"microsoft\"",
        )
        .sent(format!("{owner:?} signed in with a password, then linked {}", describe(&user)))
        .got(format!("/api/me said {me}")));
    }
    let (_, later) = account(cx, &user).await?;
    if username(&later) != owner {
        return Err(Failure::new(format!(
            "a sign-in with the linked Microsoft account to sign in to {owner:?}"
        ))
        .sent(format!("a new browser, signing in with Microsoft as {}", describe(&user)))
        .got(format!("/api/me said {later}")));
    }
    Ok(())
}

pub async fn needs_sign_in(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    let reply = browser.submit(LINK).await?;
    if flow::expect_sent_to_provider(&reply, &leg(microsoft)).is_ok() {
        return Err(reply.fail(
            "no sign-in started for a link nobody asked for: 401, or a redirect to the sign-in page",
        ));
    }
    Ok(())
}

pub async fn sign_in_never_links(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    // Signed in with a password, then a plain sign-in with Microsoft.
    let (owner, mut browser) = password_user(cx, "plain").await?;
    let newcomer = new_user(microsoft, "nico");
    let attempt = flow::attempt_via(&mut browser, &leg(microsoft), &newcomer, None).await?;
    flow::expect_signed_in(&browser, attempt, &newcomer)?;
    let me = flow::me_signed_in(&mut browser, "signed in with Microsoft").await?;
    expect_not_linked(cx, &owner, &newcomer, &me, "a plain GET /login/microsoft").await?;

    // A link started, left at the provider, then a plain sign-in.
    let (owner, mut browser) = password_user(cx, "left").await?;
    let reply = browser.submit(LINK).await?;
    flow::expect_sent_to_provider(&reply, &leg(microsoft))?;
    let passer = new_user(microsoft, "pia");
    let attempt = flow::attempt_via(&mut browser, &leg(microsoft), &passer, None).await?;
    flow::expect_signed_in(&browser, attempt, &passer)?;
    let me = flow::me_signed_in(&mut browser, "signed in with Microsoft").await?;
    let how = "POST /account/link/microsoft, left at the provider, then GET /login/microsoft";
    expect_not_linked(cx, &owner, &passer, &me, how).await
}

/// Fails unless `user`'s sign-in, which gave `me`, is their own account,
/// and `owner`'s account was left as it was.
async fn expect_not_linked(
    cx: &Ctx,
    owner: &str,
    user: &TestUser,
    me: &Value,
    how: &str,
) -> Outcome {
    let sent = format!("{owner:?} signed in with a password, then {how} as {}", describe(user));
    if username(me) == owner || providers(me).iter().any(|p| p == "password") {
        return Err(Failure::new(
            "the Microsoft user signed in to an account of their own: a sign-in links nothing",
        )
        .sent(sent)
        .got(format!("/api/me said {me}")));
    }
    let (_, again) = account(cx, user).await?;
    if username(&again) == owner {
        return Err(Failure::new(format!(
            "the Microsoft user's later sign-ins not to land in {owner:?}: nothing was linked"
        ))
        .sent(sent)
        .got(format!("a later sign-in with Microsoft gave {again}")));
    }
    Ok(())
}

pub async fn taken_refused(cx: &mut Ctx) -> Outcome {
    let microsoft = microsoft(cx)?;
    let holder = new_user(microsoft, "hana");
    let (_, own) = account(cx, &holder).await?;
    let (taker, mut browser) = password_user(cx, "taker").await?;
    let attempt = link_as(&mut browser, cx, &holder).await?;
    let sent = format!(
        "{} signed in with Microsoft (account {}), then {taker:?} linked that Microsoft account",
        describe(&holder),
        username(&own)
    );
    let (_, later) = account(cx, &holder).await?;
    if username(&later) != username(&own) {
        return Err(Failure::new(format!(
            "the Microsoft user to keep signing in to their own account {}",
            username(&own)
        ))
        .sent(sent)
        .got(format!(
            "the link answered {}; a later sign-in with Microsoft gave {later}",
            attempt.reply.summary()
        )));
    }
    let mut again = Browser::new(&cx.http.base_url);
    if let Some(cookie) = browser.session() {
        again.plant("session", cookie);
    }
    if let Some(me) = flow::me(&mut again).await?
        && providers(&me).iter().any(|p| p == "microsoft")
    {
        return Err(Failure::new(format!(
            "{taker:?}'s account without Microsoft: that identity is another account's"
        ))
        .sent(sent)
        .got(format!("/api/me said {me}")));
    }
    Ok(())
}
