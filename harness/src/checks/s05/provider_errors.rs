//! A token endpoint that fails: an OAuth error, a bare 500, a body that is
//! not JSON, and no answer for longer than the contract's 10 s. Each gives
//! the person a 502 page, signs no one in, and the server goes on.

use std::time::Duration;

use super::{browser::Browser, flow, new_google_user, provider};
use crate::{
    check::{Ctx, Failure, Outcome},
    http::Reply,
    idp::{Endpoint, Fault},
    provider::{Provider, SLOW_ANSWER},
};

/// How long the browser waits for the server while the provider is
/// silent: past the contract's 10 s, short of the provider's answer.
const PATIENCE: Duration = SLOW_ANSWER.saturating_sub(Duration::from_millis(500));

pub async fn provider_errors(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let outcome = async {
        // The slow one first: the quick ones need none of its time.
        failing_token_endpoint(cx, provider, Fault::TokenSlow).await?;
        for fault in [Fault::TokenInvalidGrant, Fault::TokenServerError, Fault::TokenNonsense] {
            failing_token_endpoint(cx, provider, fault).await?;
        }
        let home = cx.http.get("/").send().await?;
        if home.status != 200 {
            return Err(home.fail("200: the server keeps serving after the provider failed"));
        }
        Ok(())
    }
    .await;
    slow_answer_given(provider).await;
    outcome
}

async fn failing_token_endpoint(cx: &Ctx, provider: &Provider, fault: Fault) -> Outcome {
    let patience = if fault == Fault::TokenSlow { PATIENCE } else { crate::http::REQUEST_TIMEOUT };
    let mut browser = Browser::waiting(&cx.http.base_url, patience);
    let user = new_google_user("pat");
    let expected = format!(
        "502 Bad Gateway within {} s and no session: the provider sent {}",
        patience.as_secs_f32(),
        fault.describe()
    );
    // A server that waits for the provider is alive: its silence is this
    // check's failure, not a crash that the runner should count.
    let attempt =
        flow::attempt(&mut browser, provider, &user, Some(fault)).await.map_err(|failure| {
            if failure.no_answer {
                Failure { expected: expected.clone(), no_answer: false, ..failure }
            } else {
                failure
            }
        })?;
    if provider.idp.armed_faults().contains(&fault) {
        provider.idp.reset();
        return Err(attempt.reply.fail(format!(
            "the server to redeem the code at the token endpoint (which was set to fail) before answering; {expected}"
        )));
    }
    expect_bad_gateway(&mut browser, &attempt.reply, &expected).await
}

async fn expect_bad_gateway(browser: &mut Browser, reply: &Reply, expected: &str) -> Outcome {
    if reply.status != 502 {
        return Err(reply.fail(expected));
    }
    if let Some(me) = flow::me(browser).await? {
        return Err(Failure::new(expected)
            .sent(format!("{}, then GET /api/me", reply.sent))
            .got(format!("/api/me answered 200: {me}")));
    }
    Ok(())
}

/// Waits until the provider has given the slow answer it held back, so
/// that it cannot take a fault a later check arms for itself.
async fn slow_answer_given(provider: &Provider) {
    let pending =
        provider.idp.requests_to(Endpoint::Token).into_iter().filter(|r| r.status.is_none());
    for request in pending {
        let waited = request.at.elapsed().unwrap_or_default();
        let left = (SLOW_ANSWER + Duration::from_millis(300)).saturating_sub(waited);
        tokio::time::sleep(left).await;
    }
}
