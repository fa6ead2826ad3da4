//! Whose provider the mock plays: Google's, with every endpoint at the
//! root and one issuer; or Microsoft Entra ID's, where every endpoint
//! lives under `/{tenant}/v2.0` and each tenant is an issuer of its own.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::Provider;

/// Which provider's shape the mock takes; see [`super::Options::shape`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// Endpoints at the root, `iss` the base URL, Google's claims.
    #[default]
    Google,
    /// Endpoints under `/{tenant}/v2.0`, `iss` naming the user's tenant,
    /// Entra ID's claims (`tid`, `oid`, a pairwise `sub`).
    Microsoft,
}

/// The tenant the fixtures' and the grader's own users belong to.
pub const HOME_TENANT: &str = "4f6c2d1a-8b3e-4c5d-9e7f-a1b2c3d4e5f6";

/// Another organisation: its users are guests wherever a single tenant
/// is expected.
pub const OTHER_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The `{tenant}` of a Microsoft-shaped path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tenant {
    /// One organisation, by its id (lowercase): only its users sign in.
    Single(String),
    /// `organizations` or `common`: anyone's work or school account.
    Multi(String),
}

impl Tenant {
    /// What a path segment names, if it is a tenant Microsoft would know.
    pub(super) fn parse(segment: &str) -> Option<Tenant> {
        match segment {
            "organizations" | "common" => Some(Tenant::Multi(segment.to_owned())),
            _ if is_guid(segment) => Some(Tenant::Single(segment.to_ascii_lowercase())),
            _ => None,
        }
    }

    /// As it appears in the path.
    pub(super) fn segment(&self) -> &str {
        match self {
            Tenant::Single(id) | Tenant::Multi(id) => id,
        }
    }

    /// Whether a user of tenant `tid` may sign in here.
    pub(super) fn admits(&self, tid: &str) -> bool {
        match self {
            Tenant::Single(id) => id.eq_ignore_ascii_case(tid),
            Tenant::Multi(_) => true,
        }
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub(super) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A GUID made of the first 16 bytes of a digest.
pub(super) fn guid_from(bytes: &[u8]) -> String {
    let hex: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `{base}/{tenant}/v2.0`: the issuer of a tenant, and the prefix of its
/// endpoints.
pub(super) fn tenant_url(base: &str, tenant: &str) -> String {
    format!("{base}/{tenant}/v2.0")
}

/// The path pattern of an endpoint at `path` in this shape.
pub(super) fn route(shape: Shape, path: &str) -> String {
    match shape {
        Shape::Google => path.to_owned(),
        Shape::Microsoft => format!("/{{tenant}}/v2.0{path}"),
    }
}

/// The endpoint's own path in a request's path (without the tenant's
/// prefix), and the tenant it was asked at.
pub(super) fn split(shape: Shape, path: &str) -> (Option<Tenant>, &str) {
    if shape == Shape::Google {
        return (None, path);
    }
    let Some((segment, rest)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return (None, path);
    };
    match (Tenant::parse(segment), rest.strip_prefix("v2.0")) {
        (Some(tenant), Some(rest)) if rest.starts_with('/') => (Some(tenant), rest),
        _ => (None, path),
    }
}

/// The prefix of the endpoints at `tenant`: empty in Google's shape.
pub(super) fn prefix(tenant: Option<&Tenant>) -> String {
    tenant.map(|t| format!("/{}/v2.0", t.segment())).unwrap_or_default()
}

/// Middleware of the Microsoft shape: a tenant that is neither a GUID nor
/// `organizations`/`common` is answered as Microsoft answers one it does
/// not know (AADSTS90002), before any endpoint sees it.
pub(super) async fn known_tenant(
    State(provider): State<Arc<Provider>>,
    request: Request,
    next: Next,
) -> Response {
    let segment = request.uri().path().trim_start_matches('/').split('/').next().unwrap_or("");
    if provider.shape == Shape::Microsoft && Tenant::parse(segment).is_none() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": "invalid_tenant",
                "error_description": format!(
                    "AADSTS90002: Tenant '{segment}' not found. Check to make sure you have \
                     the correct tenant ID: a GUID, organizations or common."
                ),
            })),
        )
            .into_response();
    }
    next.run(request).await
}
