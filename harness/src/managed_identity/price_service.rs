//! `GET /prices`: the service the app calls with its managed identity's
//! token. It trusts a bearer token only if the identity endpoint issued
//! it, for this service, and it has not expired.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{Fault, Shared, lock, log::bearer, unix_now_precise};

pub(super) const PATH: &str = "/prices";

/// What an authorized request gets.
pub(super) fn prices() -> Value {
    json!({
        "currency": "EUR",
        "prices": [
            {"sku": "tea", "price": "3.20"},
            {"sku": "coffee", "price": "2.80"},
            {"sku": "scone", "price": "2.50"},
        ],
    })
}

fn refused(description: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        Json(json!({ "error": "invalid_token", "error_description": description })),
    )
        .into_response()
}

pub(super) async fn list(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let fault = lock(&shared.settings).price_fault;
    if fault == Some(Fault::Slow) {
        let delay = lock(&shared.settings).slow;
        tokio::time::sleep(delay).await;
    }
    if fault == Some(Fault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let Some(token) = bearer(&headers) else {
        return refused("send the managed identity's token: Authorization: Bearer <token>");
    };
    let issued = lock(&shared.tokens).get(&token).cloned();
    match issued {
        None => refused("the token was not issued by the identity endpoint"),
        Some(issued) if issued.resource != shared.resource => refused(&format!(
            "the token is for {:?}, not for this service ({:?})",
            issued.resource, shared.resource
        )),
        Some(issued) if unix_now_precise() >= issued.expires_on as f64 => {
            refused("the token expired (expires_on is past)")
        }
        Some(_) => ([(header::CACHE_CONTROL, "no-store")], Json(prices())).into_response(),
    }
}
