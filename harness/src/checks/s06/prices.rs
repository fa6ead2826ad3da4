//! `GET /api/prices`: a token from the identity endpoint, sent to the
//! price service, kept and shared, renewed before it expires, bounded in
//! time, and never shown. The mocks count and log every call
//! (`crate::managed_identity`).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::microsoft;
use crate::{
    check::{Ctx, Failure, Outcome},
    checks::{s01::sign_in as password_sign_in, s05::browser::Browser},
    http::Reply,
    managed_identity::{Fault, ManagedIdentity},
};

const PRICES: &str = "/api/prices";

/// The contract's bound, and what the grader allows on top of it.
const WITHIN: Duration = Duration::from_secs(12);

/// A browser signed in as the run's first user, patient enough to see a
/// server that waits too long.
async fn signed_in(cx: &Ctx) -> Result<Browser, Failure> {
    let user = cx.user(0).clone();
    cx.ensure_account(&cx.http, &user).await?;
    let cookie = password_sign_in(&cx.http, &user.username, &user.password).await?;
    let mut browser = Browser::waiting(&cx.http.base_url, Duration::from_secs(25));
    browser.plant("session", &cookie);
    Ok(browser)
}

fn identity(cx: &Ctx) -> Result<&ManagedIdentity, Failure> {
    Ok(&microsoft(cx)?.identity)
}

/// Fails unless `reply` is 200 with the price service's JSON.
fn expect_prices(reply: &Reply, identity: &ManagedIdentity) -> Outcome {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    if reply.status != 200 || body.as_ref() != Some(&identity.prices()) {
        return Err(reply.fail(format!("200 with the price service's JSON, {}", identity.prices())));
    }
    Ok(())
}

pub async fn prices(cx: &mut Ctx) -> Outcome {
    let anonymous = cx.http.get(PRICES).send().await?;
    if anonymous.status != 401 {
        return Err(anonymous.fail("401: nobody is signed in"));
    }
    let mut browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.reset();
    identity.clear_log();
    let reply = browser.open(PRICES).await?;
    expect_prices(&reply, identity)?;
    let fetched = identity.token_requests();
    let asked = |what: &str| {
        Failure::new(format!("the server to ask the identity endpoint for a token: {what}"))
            .sent(format!("GET {PRICES}, signed in"))
    };
    for request in &fetched {
        if !request.header_ok {
            return Err(asked("with X-IDENTITY-HEADER: $IDENTITY_HEADER")
                .got("a token request without that header, or with another value"));
        }
        if request.resource.as_deref() != Some(identity.resource())
            || request.api_version.as_deref() != Some("2019-08-01")
        {
            return Err(asked(&format!(
                "resource={} and api-version=2019-08-01",
                identity.resource()
            ))
            .got(format!(
                "resource={:?}, api-version={:?}",
                request.resource, request.api_version
            )));
        }
    }
    let tokens = identity.issued_tokens();
    let bearer = identity
        .price_requests()
        .iter()
        .any(|request| request.bearer.as_ref().is_some_and(|token| tokens.contains(token)));
    if !bearer {
        return Err(Failure::new(
            "the price service called with Authorization: Bearer <a token from the identity endpoint>",
        )
        .sent(format!("GET {PRICES}, signed in"))
        .got(format!(
            "{} token request(s), {} price request(s), none with such a token",
            fetched.len(),
            identity.price_requests().len()
        )));
    }
    Ok(())
}

pub async fn token_reused(cx: &mut Ctx) -> Outcome {
    cx.restart(false).await?;
    let browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.reset();
    identity.clear_log();
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let mut browser = browser.clone();
            tokio::spawn(async move { browser.open(PRICES).await })
        })
        .collect();
    for request in requests {
        let reply =
            request.await.map_err(|e| Failure::new("a request to end").got(e.to_string()))?;
        expect_prices(&reply?, identity)?;
    }
    let concurrent = identity.token_requests().len();
    let mut browser = browser;
    for _ in 0..3 {
        expect_prices(&browser.open(PRICES).await?, identity)?;
    }
    let total = identity.token_requests().len();
    if concurrent != 1 || total != 1 {
        return Err(Failure::new(
            "one token request in all: the concurrent requests share one fetch, and the later ones reuse its token",
        )
        .sent(format!("after a restart, 8 concurrent GET {PRICES}, then 3 more one by one"))
        .got(format!(
            "{concurrent} token request(s) for the 8 concurrent ones, {total} in all"
        )));
    }
    Ok(())
}

pub async fn token_refreshed(cx: &mut Ctx) -> Outcome {
    let mocks = identity(cx)?;
    mocks.reset();
    // Two seconds of use before the 5-minute margin begins.
    mocks.set_token_lifetime(Duration::from_secs(302));
    let outcome = refreshed(cx).await;
    identity(cx)?.reset();
    outcome
}

async fn refreshed(cx: &mut Ctx) -> Outcome {
    cx.restart(false).await?;
    let mut browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.clear_log();
    expect_prices(&browser.open(PRICES).await?, identity)?;
    let first = identity.token_requests().len();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    expect_prices(&browser.open(PRICES).await?, identity)?;
    let second = identity.token_requests().len();
    if first != 1 || second != 2 {
        return Err(Failure::new(
            "a new token once fewer than 5 minutes are left before expires_on",
        )
        .sent(format!(
            "after a restart, GET {PRICES} with a token whose expires_on is 302 s away, then again 3.5 s later"
        ))
        .got(format!("{first} token request(s) after the first, {second} after the second")));
    }
    Ok(())
}

pub async fn wrong_resource(cx: &mut Ctx) -> Outcome {
    cx.restart(false).await?;
    let mut browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.reset();
    identity.clear_log();
    identity.set_identity_fault(Some(Fault::WrongResource));
    let reply = browser.open(PRICES).await;
    identity.set_identity_fault(None);
    let reply = reply?;
    let tokens = identity.issued_tokens();
    let sent = identity
        .price_requests()
        .into_iter()
        .any(|request| request.bearer.as_ref().is_some_and(|token| tokens.contains(token)));
    if sent || reply.status == 200 {
        return Err(Failure::new(format!(
            "no call to the price service with a token for another resource than {}, and no 200",
            identity.resource()
        ))
        .sent(format!("GET {PRICES}, the identity endpoint answering a token for another resource"))
        .got(format!(
            "{}; the price service {} that token",
            reply.summary(),
            if sent { "was sent" } else { "was not sent" }
        )));
    }
    Ok(())
}

/// One way a service fails, for [`outage`].
struct Outage {
    service: &'static str,
    fault: Fault,
}

pub async fn outage(cx: &mut Ctx) -> Outcome {
    let outages = [
        Outage { service: "identity endpoint", fault: Fault::Slow },
        Outage { service: "identity endpoint", fault: Fault::ServerError },
        Outage { service: "price service", fault: Fault::Slow },
        Outage { service: "price service", fault: Fault::Down },
    ];
    for outage in outages {
        let outcome = one_outage(cx, &outage).await;
        let mocks = identity(cx)?;
        mocks.set_identity_fault(None);
        mocks.set_price_fault(None);
        outcome?;
    }
    Ok(())
}

async fn one_outage(cx: &mut Ctx, outage: &Outage) -> Outcome {
    // A fresh server each time: no token kept, and no failure remembered
    // from the outage before (a server may answer one at once for a while).
    cx.restart(false).await?;
    let mut browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.reset();
    if outage.service == "price service" {
        // A token kept, so that only the price service is asked.
        expect_prices(&browser.open(PRICES).await?, identity)?;
        identity.set_price_fault(Some(outage.fault));
    } else {
        identity.set_identity_fault(Some(outage.fault));
    }
    identity.set_slow(Duration::from_secs(15));
    let started = Instant::now();
    let reply = browser.open(PRICES).await?;
    let took = started.elapsed();
    let what = format!("the {} {}", outage.service, describe(outage.fault));
    if reply.status != 502 || !reply.is_json() || took > WITHIN {
        return Err(Failure::new(format!(
            "502 with a JSON body within {} s: {what}",
            WITHIN.as_secs()
        ))
        .sent(format!("GET {PRICES}, signed in"))
        .got(format!("{} after {:.1} s", reply.summary(), took.as_secs_f32())));
    }
    let home = cx.http.get("/").send().await?;
    if home.status != 200 {
        return Err(home.fail(format!("200: the server goes on after {what}")));
    }
    Ok(())
}

fn describe(fault: Fault) -> &'static str {
    match fault {
        Fault::Slow => "silent for 15 s",
        Fault::ServerError => "answering 500",
        Fault::Down => "closing the connection unanswered",
        Fault::WrongResource => "answering a token for another resource",
    }
}

pub async fn token_secret(cx: &mut Ctx) -> Outcome {
    let mut browser = signed_in(cx).await?;
    let identity = identity(cx)?;
    identity.reset();
    let mut answers = Vec::new();
    answers.push(browser.open(PRICES).await?);
    identity.set_price_fault(Some(Fault::ServerError));
    answers.push(browser.open(PRICES).await?);
    identity.set_price_fault(None);
    answers.push(browser.open("/api/me").await?);
    answers.push(browser.open("/cabinet").await?);
    let mut secrets = identity.issued_tokens();
    secrets.push(identity.identity_header().to_owned());
    for reply in &answers {
        let text = format!("{:?}\n{}", reply.header_values("set-cookie"), reply.text());
        if let Some(secret) = secrets.iter().find(|secret| text.contains(secret.as_str())) {
            return Err(reply.fail(format!(
                "an answer without the access token or X-IDENTITY-HEADER (found {})",
                redacted(secret)
            )));
        }
    }
    // The log has had a moment to be written: the answers came after it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = cx.server.log();
    if let Some(secret) = secrets.iter().find(|secret| log.contains(secret.as_str())) {
        let line = log.lines().find(|line| line.contains(secret.as_str())).unwrap_or_default();
        return Err(Failure::new("a server log without the access token or X-IDENTITY-HEADER")
            .sent(format!("GET {PRICES}, with the price service working and then failing"))
            .got(format!(
                "a log line holding {}: {}",
                redacted(secret),
                line.replace(secret.as_str(), "<the secret>")
            )));
    }
    Ok(())
}

/// A secret's first characters only, so the report does not spread it.
fn redacted(secret: &str) -> String {
    format!("{}...", secret.chars().take(6).collect::<String>())
}
