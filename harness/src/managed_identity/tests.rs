//! The two services as a step's server meets them, over HTTP.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Fault, ManagedIdentity, NO_ANSWER, RESOURCE, identity_endpoint::OTHER_RESOURCE};

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

/// `GET $IDENTITY_ENDPOINT?resource=..&api-version=..` with the header.
async fn ask_token(
    mi: &ManagedIdentity,
    resource: Option<&str>,
    api_version: Option<&str>,
    header: Option<&str>,
) -> reqwest::Result<reqwest::Response> {
    let mut query = Vec::new();
    if let Some(resource) = resource {
        query.push(("resource", resource));
    }
    if let Some(version) = api_version {
        query.push(("api-version", version));
    }
    let mut request = http().get(mi.identity_endpoint()).query(&query);
    if let Some(header) = header {
        request = request.header("X-IDENTITY-HEADER", header);
    }
    request.send().await
}

async fn token(mi: &ManagedIdentity) -> Value {
    let answer = ask_token(mi, Some(mi.resource()), Some("2019-08-01"), Some(mi.identity_header()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

async fn prices_with(mi: &ManagedIdentity, bearer: Option<&str>) -> reqwest::Response {
    let mut request = http().get(format!("{}/prices", mi.price_service_url()));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    request.send().await.unwrap()
}

fn assert_refused(answer: &reqwest::Response) {
    assert_eq!(answer.status(), 401);
    assert_eq!(answer.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
}

#[tokio::test]
async fn a_token_buys_prices() {
    let mi = ManagedIdentity::start().await.unwrap();
    assert_eq!(mi.resource(), RESOURCE);
    assert!(mi.identity_endpoint().starts_with("http://127.0.0.1:"));
    assert!(mi.identity_endpoint().ends_with("/msi/token"));
    assert!(!mi.price_service_url().ends_with('/'));
    let env: Vec<String> = mi.env().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        env,
        ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "PRICE_SERVICE_URL", "PRICE_SERVICE_RESOURCE"]
    );

    let answer = token(&mi).await;
    assert_eq!(answer["resource"], RESOURCE);
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer["client_id"].as_str().unwrap().len() == 36);
    let expires_on: u64 = answer["expires_on"].as_str().expect("a string").parse().unwrap();
    let now = super::unix_now();
    assert!((now + 24 * 3600 - 5..=now + 24 * 3600).contains(&expires_on), "{expires_on}");
    let access_token = answer["access_token"].as_str().unwrap();
    assert_eq!(mi.issued_tokens(), [access_token]);

    let answer = prices_with(&mi, Some(access_token)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.json::<Value>().await.unwrap(), mi.prices());

    let requests = mi.token_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].resource.as_deref(), Some(RESOURCE));
    assert_eq!(requests[0].api_version.as_deref(), Some("2019-08-01"));
    assert!(requests[0].header_ok);
    assert_eq!(requests[0].status, 200);
    let prices = mi.price_requests();
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].bearer.as_deref(), Some(access_token));
    assert_eq!(prices[0].status, 200);
    mi.clear_log();
    assert!(mi.token_requests().is_empty() && mi.price_requests().is_empty());
    mi.stop().await;
}

#[tokio::test]
async fn the_identity_endpoint_wants_its_header_version_and_resource() {
    let mi = ManagedIdentity::start().await.unwrap();
    let secret = mi.identity_header().to_owned();
    let cases = [
        (Some(RESOURCE), Some("2019-08-01"), None),
        (Some(RESOURCE), Some("2019-08-01"), Some("not-the-secret")),
        (Some(RESOURCE), Some("2017-09-01"), Some(secret.as_str())),
        (Some(RESOURCE), None, Some(secret.as_str())),
        (None, Some("2019-08-01"), Some(secret.as_str())),
    ];
    for (resource, version, header) in cases {
        let answer = ask_token(&mi, resource, version, header).await.unwrap();
        assert_eq!(answer.status(), 400, "{resource:?} {version:?} {header:?}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["statusCode"], 400);
        assert!(body["message"].is_string());
    }
    let logged = mi.token_requests();
    assert_eq!(logged.len(), cases.len());
    assert!(logged.iter().all(|r| r.status == 400));
    assert_eq!(
        logged.iter().map(|r| r.header_ok).collect::<Vec<_>>(),
        [false, false, true, true, true]
    );
    assert!(mi.issued_tokens().is_empty());
}

#[tokio::test]
async fn the_price_service_wants_a_token_of_its_own() {
    let mi = ManagedIdentity::start().await.unwrap();
    assert_refused(&prices_with(&mi, None).await);
    assert_refused(&prices_with(&mi, Some("made-up")).await);

    mi.set_identity_fault(Some(Fault::WrongResource));
    let answer = token(&mi).await;
    assert_eq!(answer["resource"], OTHER_RESOURCE);
    assert_refused(&prices_with(&mi, answer["access_token"].as_str()).await);

    // A token the app asked for another resource: not for this service.
    mi.set_identity_fault(None);
    let answer =
        ask_token(&mi, Some("api://elsewhere"), Some("2019-08-01"), Some(mi.identity_header()))
            .await
            .unwrap();
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["resource"], "api://elsewhere");
    assert_refused(&prices_with(&mi, answer["access_token"].as_str()).await);

    let logged = mi.price_requests();
    assert_eq!(logged.iter().map(|r| r.status).collect::<Vec<_>>(), [401, 401, 401, 401]);
    assert_eq!(logged[0].bearer, None);
    assert_eq!(logged[1].bearer.as_deref(), Some("made-up"));
}

#[tokio::test]
async fn a_token_expires() {
    let mi = ManagedIdentity::start().await.unwrap();
    mi.set_token_lifetime(Duration::from_secs(2));
    let answer = token(&mi).await;
    let expires_on: u64 = answer["expires_on"].as_str().unwrap().parse().unwrap();
    assert!(expires_on <= super::unix_now() + 2);
    let access_token = answer["access_token"].as_str().unwrap();
    assert_eq!(prices_with(&mi, Some(access_token)).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_refused(&prices_with(&mi, Some(access_token)).await);
    // reset brings back App Service's day.
    mi.reset();
    let expires_on: u64 = token(&mi).await["expires_on"].as_str().unwrap().parse().unwrap();
    assert!(expires_on > super::unix_now() + 23 * 3600);
}

#[tokio::test]
async fn down_closes_the_connection_without_an_answer() {
    let mi = ManagedIdentity::start().await.unwrap();
    let access_token = token(&mi).await["access_token"].as_str().unwrap().to_owned();
    // A client whose connection to the price service stays open.
    let kept_alive = http();
    let prices = format!("{}/prices", mi.price_service_url());
    let first = kept_alive.get(&prices).bearer_auth(&access_token).send().await.unwrap();
    assert_eq!(first.status(), 200);
    first.bytes().await.unwrap();
    mi.set_identity_fault(Some(Fault::Down));
    mi.set_price_fault(Some(Fault::Down));
    let started = Instant::now();
    let failed =
        ask_token(&mi, Some(RESOURCE), Some("2019-08-01"), Some(mi.identity_header())).await;
    assert!(failed.is_err(), "{failed:?}");
    let request = kept_alive.get(&prices).bearer_auth(&access_token).send().await;
    assert!(request.is_err(), "on a kept-alive connection too: {request:?}");
    assert_eq!(mi.price_requests().len(), 2, "one request, not retried: {:?}", mi.price_requests());
    assert!(started.elapsed() < Duration::from_secs(2), "quickly: {:?}", started.elapsed());
    assert_eq!(mi.token_requests().last().unwrap().status, NO_ANSWER);
    assert!(mi.token_requests().last().unwrap().header_ok, "logged all the same");
    assert_eq!(mi.price_requests().last().unwrap().status, NO_ANSWER);
    assert_eq!(mi.price_requests().last().unwrap().bearer.as_deref(), Some(access_token.as_str()));
    mi.reset();
    assert_eq!(prices_with(&mi, Some(&access_token)).await.status(), 200, "up again");
}

#[tokio::test]
async fn slow_holds_the_answer_back() {
    let mi = ManagedIdentity::start().await.unwrap();
    mi.set_slow(Duration::from_millis(700));
    mi.set_identity_fault(Some(Fault::Slow));
    let started = Instant::now();
    let answer = token(&mi).await;
    assert!(started.elapsed() >= Duration::from_millis(700));
    let access_token = answer["access_token"].as_str().unwrap().to_owned();

    mi.set_price_fault(Some(Fault::Slow));
    let (answer, ()) = tokio::join!(prices_with(&mi, Some(&access_token)), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(mi.price_requests().last().unwrap().status, NO_ANSWER, "logged on arrival");
    });
    assert_eq!(answer.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(1400));

    // Longer than a client waits: its own timeout ends it.
    mi.set_slow(Duration::from_secs(15));
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let gave_up = impatient.get(format!("{}/prices", mi.price_service_url())).send().await;
    assert!(gave_up.unwrap_err().is_timeout());
}

#[tokio::test]
async fn server_error_is_a_bare_500() {
    let mi = ManagedIdentity::start().await.unwrap();
    let access_token = token(&mi).await["access_token"].as_str().unwrap().to_owned();
    mi.set_identity_fault(Some(Fault::ServerError));
    mi.set_price_fault(Some(Fault::ServerError));
    let answer = ask_token(&mi, Some(RESOURCE), Some("2019-08-01"), Some(mi.identity_header()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 500);
    assert_eq!(prices_with(&mi, Some(&access_token)).await.status(), 500);
    assert_eq!(mi.token_requests().last().unwrap().status, 500);
    assert_eq!(mi.price_requests().last().unwrap().status, 500);
    assert_eq!(mi.issued_tokens().len(), 1, "no token from a failing endpoint");
}

#[tokio::test]
async fn fixed_ports_for_the_cli() {
    let probe = ManagedIdentity::start().await.unwrap();
    let (identity, price) =
        (port_of(&probe.identity_endpoint()), port_of(&probe.price_service_url()));
    probe.stop().await;
    let mi = ManagedIdentity::start_on(identity, price).await.unwrap();
    assert_eq!(mi.identity_endpoint(), format!("http://127.0.0.1:{identity}/msi/token"));
    assert_eq!(mi.price_service_url(), format!("http://127.0.0.1:{price}"));
    token(&mi).await;
    assert!(ManagedIdentity::start_on(identity, 0).await.is_err(), "the port is taken");
}

fn port_of(url: &str) -> u16 {
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
    rest.split('/').next().unwrap().parse().unwrap()
}
