//! `GET /msi/token?resource=..&api-version=2019-08-01`: Azure App
//! Service's local token endpoint, which hands the app a token for a
//! resource when it proves, with `X-IDENTITY-HEADER`, that it runs there.

use std::sync::Arc;

use axum::{
    Json,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{Fault, Shared, lock, random_guid, unix_now};

pub(super) const PATH: &str = "/msi/token";
pub(super) const HEADER: &str = "x-identity-header";
pub(super) const RESOURCE_PARAM: &str = "resource";
pub(super) const API_VERSION_PARAM: &str = "api-version";
/// The only version App Service's endpoint of this shape answers.
pub(super) const API_VERSION: &str = "2019-08-01";

/// The resource a token is for under [`Fault::WrongResource`].
pub(super) const OTHER_RESOURCE: &str = "https://management.azure.com/";

/// App Service's error answer: 400 with a message and a correlation id.
fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "statusCode": 400,
            "message": message,
            "correlationId": random_guid(),
        })),
    )
        .into_response()
}

pub(super) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let fault = lock(&shared.settings).identity_fault;
    if fault == Some(Fault::Slow) {
        let delay = lock(&shared.settings).slow;
        tokio::time::sleep(delay).await;
    }
    if fault == Some(Fault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let query: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let param = |name: &str| {
        query.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    };
    let secret_sent = headers.get(HEADER).is_some_and(|v| v.as_bytes() == shared.header.as_bytes());
    if !secret_sent {
        return bad_request(
            "The X-IDENTITY-HEADER header is missing or wrong: send IDENTITY_HEADER's value.",
        );
    }
    match param(API_VERSION_PARAM) {
        Some(API_VERSION) => {}
        Some(other) => {
            return bad_request(&format!(
                "api-version {other:?} is not supported: send api-version={API_VERSION}."
            ));
        }
        None => return bad_request(&format!("api-version is missing: send {API_VERSION}.")),
    }
    let Some(asked) = param(RESOURCE_PARAM) else {
        return bad_request("resource is missing: name the resource the token is for.");
    };
    let resource = match fault {
        Some(Fault::WrongResource) => OTHER_RESOURCE.to_owned(),
        _ => asked.to_owned(),
    };
    let lifetime = lock(&shared.settings).lifetime;
    let expires_on = unix_now() + lifetime.as_secs();
    let access_token = shared.issue(&resource, expires_on);
    Json(json!({
        "access_token": access_token,
        // A string, as App Service writes it.
        "expires_on": expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": shared.client_id,
    }))
    .into_response()
}
