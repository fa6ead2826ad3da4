//! `GET /api/prices`: the price list, for a signed-in user.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use super::PriceClient;

/// `GET /api/prices`. It needs a session layer outside it (the
/// `kit::Session` extractor); every answer is `Cache-Control: no-store`.
/// `client` is `None` when the price service is not configured: the route
/// then answers 503.
pub fn routes(client: Option<Arc<PriceClient>>) -> Router {
    Router::new().route("/api/prices", get(show)).layer(kit::private::no_store()).with_state(client)
}

async fn show(State(client): State<Option<Arc<PriceClient>>>, session: kit::Session) -> Response {
    // Who asks comes first: an anonymous request learns nothing, not even
    // whether the price service is configured.
    if session.current_user().await.is_none() {
        return refuse(StatusCode::UNAUTHORIZED, "not signed in");
    }
    let Some(client) = client else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "the price service is not configured");
    };
    match client.prices().await {
        Ok(prices) => Json(prices).into_response(),
        Err(error) => {
            // The detail for the log, where it helps; not for the browser,
            // whom it does not help. It never holds the token.
            tracing::warn!(%error, "cannot get the prices");
            refuse(StatusCode::BAD_GATEWAY, "the price service cannot be reached")
        }
    }
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}
