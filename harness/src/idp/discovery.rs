//! `GET /.well-known/openid-configuration`: where everything is and what
//! the provider accepts. A client reads this and hard-codes nothing else.

use std::sync::Arc;

use axum::{Json, extract::State};
use serde_json::{Value, json};

use super::{Provider, authorize, end_session, keys, token, userinfo};

pub(super) const PATH: &str = "/.well-known/openid-configuration";

pub(super) async fn document(State(provider): State<Arc<Provider>>) -> Json<Value> {
    let issuer = &provider.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{}", authorize::PATH),
        "token_endpoint": format!("{issuer}{}", token::PATH),
        "userinfo_endpoint": format!("{issuer}{}", userinfo::PATH),
        "jwks_uri": format!("{issuer}{}", keys::PATH),
        "end_session_endpoint": format!("{issuer}{}", end_session::PATH),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": authorize::SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "aud", "azp", "email", "email_verified", "exp", "family_name", "given_name",
            "hd", "iat", "iss", "name", "nonce", "picture", "sub",
        ],
    }))
}
