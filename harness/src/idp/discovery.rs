//! `GET /.well-known/openid-configuration`: where everything is and what
//! the provider accepts. A client reads this and hard-codes nothing else.

use std::sync::Arc;

use axum::{Json, extract::State, http::Uri};
use serde_json::{Value, json};

use super::{
    Provider, authorize, end_session, keys,
    shape::{self, Shape, Tenant},
    token, userinfo,
};

pub(super) const PATH: &str = "/.well-known/openid-configuration";

pub(super) async fn document(State(provider): State<Arc<Provider>>, uri: Uri) -> Json<Value> {
    match shape::split(provider.shape, uri.path()) {
        (Some(tenant), _) if provider.shape == Shape::Microsoft => {
            Json(microsoft(&provider.base, &tenant))
        }
        _ => Json(google(&provider.base)),
    }
}

fn google(issuer: &str) -> Value {
    json!({
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
    })
}

/// Entra ID's document of one tenant: the endpoints under the prefix it
/// was fetched from. A multi-tenant document cannot name one issuer, so,
/// like Microsoft's, it names `.../{tenantid}/v2.0` with those very
/// braces, for the client to fill in from the token's `tid`. Like
/// Microsoft's, it does not list `code_challenge_methods_supported`,
/// though S256 is required as ever.
fn microsoft(base: &str, tenant: &Tenant) -> Value {
    let at = shape::tenant_url(base, tenant.segment());
    let issuer = match tenant {
        Tenant::Single(id) => shape::tenant_url(base, id),
        Tenant::Multi(_) => shape::tenant_url(base, "{tenantid}"),
    };
    let region = match tenant {
        Tenant::Single(_) => json!("EU"),
        Tenant::Multi(_) => Value::Null,
    };
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{at}{}", authorize::PATH),
        "token_endpoint": format!("{at}{}", token::PATH),
        "userinfo_endpoint": format!("{at}{}", userinfo::PATH),
        "jwks_uri": format!("{at}{}", keys::PATH),
        "end_session_endpoint": format!("{at}{}", end_session::PATH),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": authorize::SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "request_uri_parameter_supported": false,
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
            "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
            "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email",
        ],
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    })
}
