//! `/auth/callback` refusing what it must: a state that is missing, wrong
//! or another browser's, the provider's refusal, and the same callback
//! twice.

use super::{
    browser::Browser,
    flow::{self, Refusal, expect_refused},
    new_google_user, provider,
};
use crate::{
    check::{Ctx, Failure, Outcome},
    sandbox::random_token,
};

pub async fn state_missing(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    for state in [None, Some("")] {
        let mut browser = Browser::new(&cx.http.base_url);
        let (_, callback) =
            flow::to_callback(&mut browser, provider, &new_google_user("nina"), None).await?;
        let reply = browser.return_from_provider(&callback.with_param("state", state)).await?;
        expect_refused(&mut browser, &reply, Refusal::BadRequest, "the callback has no state")
            .await?;
    }
    Ok(())
}

pub async fn state_wrong(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    let (_, callback) =
        flow::to_callback(&mut browser, provider, &new_google_user("will"), None).await?;
    let forged = random_token();
    let reply = browser.return_from_provider(&callback.with_param("state", Some(&forged))).await?;
    expect_refused(
        &mut browser,
        &reply,
        Refusal::BadRequest,
        "the state is not the one sent for this sign-in",
    )
    .await
}

pub async fn state_other_browser(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    // The attacker starts a sign-in as themself and stops at the callback...
    let mut attacker = Browser::new(&cx.http.base_url);
    let (_, callback) =
        flow::to_callback(&mut attacker, provider, &new_google_user("mallet"), None).await?;
    // ...and gets a victim to open it: one with no sign-in under way, and
    // one with a sign-in of their own under way.
    let mut fresh = Browser::new(&cx.http.base_url);
    let mut busy = Browser::new(&cx.http.base_url);
    flow::begin(&mut busy, provider).await?;
    for victim in [&mut fresh, &mut busy] {
        let reply = victim.return_from_provider(&callback.target).await?;
        expect_refused(
            victim,
            &reply,
            Refusal::BadRequest,
            "this browser did not start the sign-in the callback answers (it would sign the victim in as the attacker)",
        )
        .await?;
    }
    Ok(())
}

pub async fn access_denied(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    provider.idp.reset();
    provider.idp.deny_next();
    let authorization = flow::begin(&mut browser, provider).await?;
    let callback = flow::at_provider(&authorization, &browser.base_url).await?;
    if callback.param("error").as_deref() != Some("access_denied") {
        return Err(Failure::new(
            "the provider to send error=access_denied (the person pressed Deny)",
        )
        .sent(format!("GET {}", authorization.url))
        .got(callback.target));
    }
    let reply = browser.return_from_provider(&callback.target).await?;
    expect_refused(
        &mut browser,
        &reply,
        Refusal::BadRequest,
        "the person refused the sign-in at the provider (error=access_denied)",
    )
    .await
}

pub async fn callback_replayed(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let mut browser = Browser::new(&cx.http.base_url);
    let user = new_google_user("rex");
    let (_, callback) = flow::to_callback(&mut browser, provider, &user, None).await?;
    // The browser as it was on its way back, to come back a second time.
    let mut again = browser.clone();
    let first = browser.return_from_provider(&callback.target).await?;
    if first.status != 303 || first.new_session().is_none() {
        return Err(first.fail("303 See Other and a session: the first callback signs in"));
    }
    let reply = again.return_from_provider(&callback.target).await?;
    expect_refused(
        &mut again,
        &reply,
        Refusal::Any,
        "this callback was used already: a pending sign-in and its code work once",
    )
    .await
    .map_err(|failure| Failure {
        sent: Some(format!(
            "the same callback twice, with the cookies the browser had the first time: {}",
            failure.sent.unwrap_or_default()
        )),
        ..failure
    })
}
