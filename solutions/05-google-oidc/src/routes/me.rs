//! `GET /api/me`: who is signed in, as JSON: `username`, `email`, `name`
//! and `provider` ("password" or "google").

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{AppState, profile::Profile};

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let anonymous =
        || (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response();
    let Some(username) = session.current_user().await else {
        return anonymous();
    };
    match Profile::find(&state.reads, &username).await {
        Ok(Some(profile)) => Json(profile).into_response(),
        Ok(None) => anonymous(),
        Err(error) => {
            tracing::error!(%error, "cannot read the account");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "internal error" })))
                .into_response()
        }
    }
}
