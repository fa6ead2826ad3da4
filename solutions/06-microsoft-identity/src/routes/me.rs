//! `GET /api/me`: step 05's answer, with `providers`: every provider the
//! account signs in with, its own first.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use step05_solution::AppState;

use crate::accounts;

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let anonymous =
        || (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response();
    let Some(username) = session.current_user().await else {
        return anonymous();
    };
    match accounts::profile(&state.pool, &state.reads, &username).await {
        Ok(Some((profile, providers))) => Json(json!({
            "username": profile.username,
            "provider": profile.provider,
            "providers": providers,
            "email": profile.email,
            "name": profile.name,
        }))
        .into_response(),
        Ok(None) => anonymous(),
        Err(error) => {
            tracing::error!(%error, "cannot read the account");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "internal error" })))
                .into_response()
        }
    }
}
