//! `GET /end_session`: RP-initiated logout (OpenID Connect RP-Initiated
//! Logout 1.0). The provider keeps no browser session to end, so what
//! matters is the app's side: whether it calls this, and where it may be
//! sent back to (only a registered `post_logout_redirect_uri`).

use std::sync::Arc;

use axum::{
    extract::{RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::Value;

use super::{
    Provider, Shape, lock,
    page::{escape, page},
    params::{Params, with_query},
};

pub(super) const PATH: &str = "/end_session";

pub(super) async fn sign_out(
    State(provider): State<Arc<Provider>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let refuse = |message: &str| {
        page(
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request",
            &format!("<p>{}</p>", escape(message)),
        )
    };
    if let Some(name) = params.repeated() {
        return refuse(&format!("{name} is given more than once."));
    }
    let hinted = match params.get("id_token_hint") {
        None => None,
        Some(token) => match audience(&provider, token) {
            Some(client_id) => Some(client_id),
            None => return refuse("The id_token_hint is not an ID token this provider issued."),
        },
    };
    let client_id = match (params.get("client_id"), hinted.as_deref()) {
        (Some(given), Some(hinted)) if given != hinted => {
            return refuse("client_id differs from the audience of the id_token_hint.");
        }
        (Some(given), _) => Some(given.to_owned()),
        (None, hinted) => hinted.map(str::to_owned),
    };
    let Some(target) = params.get("post_logout_redirect_uri") else {
        return page(
            StatusCode::OK,
            "Signed out",
            "<p>You are signed out. You can close this page.</p>",
        );
    };
    let Some(client_id) = client_id else {
        return refuse(
            "A post_logout_redirect_uri needs the client: send id_token_hint or client_id.",
        );
    };
    let registered = lock(&provider.config)
        .client(&client_id)
        .is_some_and(|client| client.post_logout_redirect_uris.iter().any(|u| u == target));
    if !registered {
        return refuse(&format!(
            "The post_logout_redirect_uri {target:?} is not registered for client {client_id:?}."
        ));
    }
    let location = match params.get("state") {
        Some(state) => with_query(target, &[("state", state)]),
        None => target.to_owned(),
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The client an ID token was issued to, if this provider signed it. An
/// expired token is still a good hint: people sign out of old sessions.
fn audience(provider: &Provider, token: &str) -> Option<String> {
    let kid = decode_header(token).ok()?.kid?;
    let key = lock(&provider.keys).find(&kid)?.clone();
    let mut validation = Validation::new(Algorithm::RS256);
    // Microsoft's issuer is the user's tenant's, one of many: the
    // signature alone says the provider issued it.
    if provider.shape == Shape::Google {
        validation.set_issuer(&[&provider.base]);
    }
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = decode::<Value>(token, key.decoding(), &validation).ok()?.claims;
    match &claims["aud"] {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(auds) => auds.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}
