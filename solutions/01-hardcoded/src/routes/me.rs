//! `GET /api/me`: who is signed in, as JSON.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower_sessions::Session;

use crate::auth;

pub async fn show(State(site): State<kit::Site>, session: Session) -> Response {
    match auth::current_user(&session, site.session_ttl).await {
        Some(username) => Json(json!({ "username": username })).into_response(),
        None => {
            (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response()
        }
    }
}
