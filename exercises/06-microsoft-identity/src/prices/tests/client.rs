//! `PriceClient::prices`: the token asked for, kept, shared and renewed,
//! and every way the two services can fail.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::json;
use wiremock::ResponseTemplate;

use super::mocks::*;
use crate::prices::Error;

/// Neither secret in `error`'s `Display` or `Debug`.
fn assert_no_secret(error: &Error) {
    for shown in [error.to_string(), format!("{error:?}")] {
        for secret in [TOKEN, SECOND_TOKEN, IDENTITY_HEADER] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[tokio::test]
async fn the_token_is_asked_for_as_app_service_wants_and_sent_as_bearer() {
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_takes(TOKEN).await;
    assert_eq!(mocks.client().prices().await.unwrap(), prices());

    let requests = mocks.server.received_requests().await.unwrap();
    let identity = requests.iter().find(|r| r.url.path() == IDENTITY).unwrap();
    let query: Vec<(String, String)> = identity.url.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [("resource".into(), RESOURCE.into()), ("api-version".into(), "2019-08-01".into())]
    );
    assert!(identity.headers.get("authorization").is_none());
    let service = requests.iter().find(|r| r.url.path() == PRICES).unwrap();
    assert!(service.headers.get("x-identity-header").is_none(), "the secret stays home");
}

#[tokio::test]
async fn expires_on_may_be_a_number() {
    let mocks = Mocks::start().await;
    let answer = json!({
        "access_token": TOKEN,
        "expires_on": expires_on(HOUR),
        "resource": RESOURCE,
        "token_type": "Bearer",
    });
    mocks.identity_answers(ResponseTemplate::new(200).set_body_json(answer), None).await;
    mocks.service_takes(TOKEN).await;
    let client = mocks.client();
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(mocks.requests_to(IDENTITY).await, 1, "kept, as a string's would be");
}

#[tokio::test]
async fn requests_at_once_share_one_fetch_and_later_ones_reuse_the_token() {
    let mocks = Mocks::start().await;
    // Slow enough that all eight are waiting while it is on its way.
    let answer = token_answer(TOKEN, HOUR).set_delay(Duration::from_millis(100));
    mocks.identity_answers(answer, None).await;
    mocks.service_takes(TOKEN).await;
    let client = Arc::new(mocks.client());

    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = Arc::clone(&client);
        at_once.spawn(async move { client.prices().await });
    }
    for outcome in at_once.join_all().await {
        assert_eq!(outcome.unwrap(), prices());
    }
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);

    for _ in 0..5 {
        assert_eq!(client.prices().await.unwrap(), prices());
    }
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    assert_eq!(mocks.requests_to(PRICES).await, 13);
}

#[tokio::test]
async fn a_token_in_its_last_five_minutes_is_fetched_anew() {
    let mocks = Mocks::start().await;
    // Valid for four more minutes: usable by the request it came for, but
    // not kept for the next.
    mocks.identity_gives(TOKEN, Duration::from_secs(4 * 60)).await;
    mocks.service_takes(TOKEN).await;
    let client = mocks.client();
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);

    // Six minutes: kept.
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, Duration::from_secs(6 * 60)).await;
    mocks.service_takes(TOKEN).await;
    let client = mocks.client();
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
}

#[tokio::test]
async fn a_token_is_renewed_when_its_margin_is_reached() {
    let mocks = Mocks::start().await;
    mocks.identity_answers(token_answer(TOKEN, Duration::from_secs(3)), Some(1)).await;
    mocks.identity_gives(SECOND_TOKEN, HOUR).await;
    mocks.service_takes(TOKEN).await;
    mocks.service_takes(SECOND_TOKEN).await;
    let mut settings = mocks.settings();
    // Expires in 3 s, not used in its last 1 s: kept at first, then not.
    settings.refresh_margin = Duration::from_secs(1);
    let client = crate::prices::PriceClient::new(settings).unwrap();
    client.prices().await.unwrap();
    client.prices().await.unwrap();
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    // expires_on is in whole seconds: 3 s from now is 2 to 3 s from now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    client.prices().await.unwrap();
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);
    let requests = mocks.server.received_requests().await.unwrap();
    let last = requests.iter().rev().find(|r| r.url.path() == PRICES).unwrap();
    assert_eq!(last.headers["authorization"], format!("Bearer {SECOND_TOKEN}").as_str());
}

#[tokio::test]
async fn a_slow_identity_endpoint_fails_every_waiting_request_in_time() {
    let mocks = Mocks::start().await;
    mocks.identity_answers(token_answer(TOKEN, HOUR).set_delay(SLOW), None).await;
    mocks.service_takes(TOKEN).await;
    let client = Arc::new(mocks.client());

    let started = Instant::now();
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let client = Arc::clone(&client);
        at_once.spawn(async move { client.prices().await });
    }
    for outcome in at_once.join_all().await {
        let error = outcome.unwrap_err();
        assert!(matches!(error, Error::Timeout(_) | Error::Identity(_)), "{error:?}");
    }
    // One timeout for all four, not four in a queue.
    assert!(started.elapsed() < TIMEOUT * 2, "{:?}", started.elapsed());
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    assert_eq!(mocks.requests_to(PRICES).await, 0);

    // The fetch has failed (the HTTP client's own timeout): remembered,
    // and told at once.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let error = client.prices().await.unwrap_err();
    assert!(matches!(error, Error::Identity(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
}

#[tokio::test]
async fn a_failing_identity_endpoint_is_remembered_briefly_then_asked_again() {
    let mocks = Mocks::start().await;
    mocks.identity_answers(ResponseTemplate::new(500), Some(1)).await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_takes(TOKEN).await;
    let client = mocks.client();

    let error = client.prices().await.unwrap_err();
    assert!(matches!(&error, Error::Identity(detail) if detail.contains("500")), "{error:?}");
    assert_eq!(client.prices().await.unwrap_err(), error, "remembered");
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    assert_eq!(mocks.requests_to(PRICES).await, 0);

    tokio::time::sleep(RETRY_AFTER).await;
    assert_eq!(client.prices().await.unwrap(), prices(), "the server keeps serving");
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);
}

#[tokio::test]
async fn a_refused_kept_token_is_forgotten_and_a_new_one_tried_once() {
    let mocks = Mocks::start().await;
    mocks.identity_answers(token_answer(TOKEN, HOUR), Some(1)).await;
    mocks.identity_gives(SECOND_TOKEN, HOUR).await;
    // The first token works once, then is revoked.
    mocks.service_answers(TOKEN, ResponseTemplate::new(200).set_body_json(prices()), Some(1)).await;
    mocks.service_answers(TOKEN, ResponseTemplate::new(401), None).await;
    mocks.service_takes(SECOND_TOKEN).await;
    let client = mocks.client();

    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(client.prices().await.unwrap(), prices(), "retried with a new token");
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);
    assert_eq!(mocks.requests_to(PRICES).await, 3);
    // And the new token is the one kept.
    assert_eq!(client.prices().await.unwrap(), prices());
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);
    assert_eq!(mocks.requests_to(PRICES).await, 4);
}

#[tokio::test]
async fn a_token_refused_again_is_an_error_and_a_new_token_is_not_retried() {
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_answers(TOKEN, ResponseTemplate::new(200).set_body_json(prices()), Some(1)).await;
    mocks.service_answers(TOKEN, ResponseTemplate::new(401), None).await;
    let client = mocks.client();
    client.prices().await.unwrap();

    // Kept, refused, fetched anew (the endpoint gives the same), refused.
    let error = client.prices().await.unwrap_err();
    assert_eq!(error, Error::Refused);
    assert_eq!(mocks.requests_to(IDENTITY).await, 2);
    assert_eq!(mocks.requests_to(PRICES).await, 3);

    // That token came during the last request and is kept: refused, it is
    // retried once more with a new one, never in a loop.
    let error = client.prices().await.unwrap_err();
    assert_eq!(error, Error::Refused);
    assert_eq!(mocks.requests_to(IDENTITY).await, 3);
    assert_eq!(mocks.requests_to(PRICES).await, 5);
}

#[tokio::test]
async fn a_token_refused_as_soon_as_it_came_is_not_retried() {
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_answers(TOKEN, ResponseTemplate::new(401), None).await;
    let error = mocks.client().prices().await.unwrap_err();
    assert_eq!(error, Error::Refused);
    assert_no_secret(&error);
    assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    assert_eq!(mocks.requests_to(PRICES).await, 1);
}

#[tokio::test]
async fn a_token_for_another_resource_is_never_sent() {
    let mocks = Mocks::start().await;
    let answer = json!({
        "access_token": TOKEN,
        "expires_on": expires_on(HOUR).to_string(),
        "resource": "https://management.azure.com/",
        "token_type": "Bearer",
    });
    mocks.identity_answers(ResponseTemplate::new(200).set_body_json(answer), None).await;
    mocks.service_takes(TOKEN).await;
    let error = mocks.client().prices().await.unwrap_err();
    assert!(matches!(&error, Error::Identity(detail) if detail.contains("management")));
    assert_no_secret(&error);
    assert_eq!(mocks.requests_to(PRICES).await, 0);
}

#[tokio::test]
async fn token_answers_that_cannot_be_used_are_errors() {
    let unusable = [
        json!({ "access_token": TOKEN, "expires_on": "soon", "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "access_token": TOKEN, "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "access_token": TOKEN, "expires_on": expires_on(HOUR), "resource": RESOURCE, "token_type": "PoP" }),
        json!({ "access_token": "", "expires_on": expires_on(HOUR), "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "access_token": format!("{TOKEN}\n"), "expires_on": expires_on(HOUR), "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "access_token": TOKEN, "expires_on": expires_on(Duration::ZERO) - 10, "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "access_token": 12345, "expires_on": expires_on(HOUR), "resource": RESOURCE, "token_type": "Bearer" }),
        json!({ "error": "invalid_request", "access_token_was": TOKEN }),
    ];
    for answer in unusable {
        let mocks = Mocks::start().await;
        mocks.identity_answers(ResponseTemplate::new(200).set_body_json(&answer), None).await;
        mocks.service_takes(TOKEN).await;
        let error = mocks.client().prices().await.unwrap_err();
        assert!(matches!(error, Error::Identity(_)), "{answer}: {error:?}");
        assert_no_secret(&error);
        assert_eq!(mocks.requests_to(PRICES).await, 0, "{answer}");
    }
    // Not JSON, and a body that echoes the request: neither is quoted.
    for answer in [
        ResponseTemplate::new(200).set_body_string(format!("<html>{TOKEN}</html>")),
        ResponseTemplate::new(400).set_body_string(format!("bad header {IDENTITY_HEADER}")),
        ResponseTemplate::new(200).set_body_string("x".repeat(100 * 1024)),
    ] {
        let mocks = Mocks::start().await;
        mocks.identity_answers(answer, None).await;
        let error = mocks.client().prices().await.unwrap_err();
        assert!(matches!(error, Error::Identity(_)), "{error:?}");
        assert_no_secret(&error);
    }
}

#[tokio::test]
async fn a_price_service_that_fails_is_an_error_and_the_token_stays_kept() {
    let body_with_token = format!("{{\"echo\": \"{TOKEN}\"");
    let failures = [
        ResponseTemplate::new(500).set_body_string(TOKEN),
        ResponseTemplate::new(403),
        ResponseTemplate::new(302).insert_header("location", "https://elsewhere.example.com/"),
        ResponseTemplate::new(200).set_body_string(body_with_token),
        ResponseTemplate::new(200).set_body_string("not json"),
        ResponseTemplate::new(200)
            .set_body_json(json!({ "padding": "x".repeat(crate::prices::service::MAX_BODY) })),
        ResponseTemplate::new(200).set_body_json(prices()).set_delay(SLOW),
    ];
    for failure in failures {
        let mocks = Mocks::start().await;
        mocks.identity_gives(TOKEN, HOUR).await;
        mocks.service_answers(TOKEN, failure, Some(1)).await;
        mocks.service_takes(TOKEN).await;
        let client = mocks.client();
        let started = Instant::now();
        let error = client.prices().await.unwrap_err();
        assert!(matches!(error, Error::Service(_) | Error::Timeout(_)), "{error:?}");
        assert!(started.elapsed() < TIMEOUT * 2, "{:?}", started.elapsed());
        assert_no_secret(&error);
        assert_eq!(client.prices().await.unwrap(), prices(), "the server keeps serving");
        assert_eq!(mocks.requests_to(IDENTITY).await, 1);
    }
}

#[tokio::test]
async fn the_token_and_the_prices_share_one_time_bound() {
    let mocks = Mocks::start().await;
    // Each within the bound alone, both together over it.
    let part = TIMEOUT * 3 / 5;
    mocks.identity_answers(token_answer(TOKEN, HOUR).set_delay(part), None).await;
    mocks
        .service_answers(
            TOKEN,
            ResponseTemplate::new(200).set_body_json(prices()).set_delay(part),
            None,
        )
        .await;
    let started = Instant::now();
    let error = mocks.client().prices().await.unwrap_err();
    assert_eq!(error, Error::Timeout(TIMEOUT));
    assert!(started.elapsed() < TIMEOUT + Duration::from_millis(100), "{:?}", started.elapsed());
}
