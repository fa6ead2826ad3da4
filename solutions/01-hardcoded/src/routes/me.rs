//! `GET /api/me`: who is signed in, as JSON.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower_sessions::Session;

use crate::{AppState, auth};

pub async fn show(State(state): State<AppState>, session: Session) -> Response {
    match auth::current_user(&session, state.session_ttl).await {
        Some(username) => Json(json!({ "username": username })).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "not signed in" })),
        )
            .into_response(),
    }
}
