//! `GET /api/me`: who is signed in, as JSON.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

pub async fn show(session: kit::Session) -> Response {
    match session.current_user().await {
        Some(username) => Json(json!({ "username": username })).into_response(),
        None => {
            (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response()
        }
    }
}
