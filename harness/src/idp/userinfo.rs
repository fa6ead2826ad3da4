//! `GET /userinfo` (or POST): the claims about the user, for whoever holds
//! an access token (RFC 6750 bearer token, in the Authorization header).

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    Fault, Provider, Shape, claims, entra,
    faults::{Stage, other_sub},
    lock,
};

pub(super) const PATH: &str = "/userinfo";

pub(super) async fn claims(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        // No credentials at all: the bare challenge (RFC 6750 section 3.1).
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"userinfo\"")],
            Json(json!({
                "error": "invalid_request",
                "error_description": "send the access token: Authorization: Bearer <token>",
            })),
        )
            .into_response();
    };
    let found = lock(&provider.grants)
        .token(token)
        .map(|grant| (grant.user.clone(), grant.scope.clone(), grant.client_id.clone()));
    let Some((user, scope, client_id)) = found else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"userinfo\", error=\"invalid_token\"")],
            Json(json!({
                "error": "invalid_token",
                "error_description": "the access token is unknown, expired or revoked",
            })),
        )
            .into_response();
    };
    let mut answer = match provider.shape {
        Shape::Google => claims::about(&user, &scope, &provider.base),
        Shape::Microsoft => entra::about(&user, &scope, &client_id),
    };
    let faults = lock(&provider.faults).take(Stage::Userinfo);
    if faults.contains(&Fault::UserinfoOtherSub) {
        let sub = answer["sub"].as_str().unwrap_or_default().to_owned();
        answer.insert("sub".into(), json!(other_sub(&sub)));
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|token| !token.is_empty())
}
