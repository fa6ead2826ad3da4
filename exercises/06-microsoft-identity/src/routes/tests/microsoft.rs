//! A provider in Microsoft's shape, written for these tests alone: one
//! server for every tenant, whose multi-tenant discovery documents name
//! the issuer `{base}/{tenantid}/v2.0` with the placeholder as it is, and
//! whose ID tokens say who signed in with `tid` and `oid`.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{body_string_contains, method, path, path_regex},
};

use super::key;
use crate::entra::{CONSUMERS, PLACEHOLDER};

/// The app's registration at Microsoft: a GUID, as Entra ID gives them.
pub const CLIENT_ID: &str = "0d5c3f1e-7a2b-4c9d-8e6f-1a2b3c4d5e6f";
pub const CLIENT_SECRET: &str = "ms-test-secret";

/// The organisation the app is made for.
pub const HOME: &str = "4a1c6b2e-5d3f-4e8a-9b7c-1d2e3f4a5b6c";
/// Another organisation, whose people may sign in to a multi-tenant app.
pub const OTHER: &str = "8f2d9c1a-3b4e-4f5a-8c6d-7e8f9a0b1c2d";

/// Where Microsoft publishes its keys, for every tenant.
pub const JWKS: &str = "/common/discovery/v2.0/keys";

/// Someone with an account in a tenant, as their ID token names them.
#[derive(Clone, Debug)]
pub struct Person {
    pub tid: String,
    pub oid: String,
    /// Pairwise: Microsoft's `sub` differs for every app.
    pub sub: String,
    /// What they sign in with: their admin may change it.
    pub preferred_username: String,
    pub email: String,
    pub name: String,
}

impl Person {
    pub fn new(tid: &str, oid: &str, preferred_username: &str, name: &str) -> Self {
        Self {
            tid: tid.to_owned(),
            oid: oid.to_owned(),
            sub: format!("{}{}", &tid[..8], oid.replace('-', "")),
            preferred_username: preferred_username.to_owned(),
            email: preferred_username.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// Alice, of the home tenant.
pub fn alice() -> Person {
    Person::new(
        HOME,
        "00000000-0000-4000-8000-00000000a11c",
        "alice@contoso.example",
        "Alice Liddell",
    )
}

/// Dave, of the other tenant.
pub fn dave() -> Person {
    Person::new(OTHER, "00000000-0000-4000-8000-00000000da7e", "dave@fabrikam.example", "Dave Dodo")
}

/// Someone with a personal account (outlook.com): the consumers tenant.
pub fn petra() -> Person {
    Person::new(CONSUMERS, "00000000-0000-4000-8000-0000000be7a0", "petra@outlook.example", "Petra")
}

pub struct MockMicrosoft {
    server: MockServer,
}

impl MockMicrosoft {
    /// Discovery for every tenant's address, and the keys.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/[^/]+/v2\.0/\.well-known/openid-configuration$"))
            .respond_with(Discovery { base: server.uri() })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(JWKS))
            .respond_with(ResponseTemplate::new(200).set_body_json(key::microsoft().jwks()))
            .mount(&server)
            .await;
        Self { server }
    }

    /// `MS_ISSUER` for `tenant`: `organizations`, `common` or a tenant id.
    pub fn issuer(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.server.uri())
    }

    /// Where `tenant`'s sign-in page is.
    pub fn authorize(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/authorize", self.server.uri())
    }

    /// The claims of an honest ID token for `person`, issued now to this
    /// app, with `nonce`: `iss` names their own tenant.
    pub fn claims(&self, person: &Person, nonce: &str) -> Map<String, Value> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "ver": "2.0",
            "iss": self.issuer(&person.tid),
            "aud": CLIENT_ID,
            "tid": person.tid,
            "oid": person.oid,
            "sub": person.sub,
            "preferred_username": person.preferred_username,
            "email": person.email,
            "name": person.name,
            "nonce": nonce,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        });
        claims.as_object().expect("an object").clone()
    }

    /// The token endpoint answers `code`'s exchange, once, with an ID
    /// token of `claims`; any other code gets wiremock's 404.
    pub async fn answers(&self, code: &str, claims: &Map<String, Value>) {
        Mock::given(method("POST"))
            .and(path_regex(r"^/[^/]+/oauth2/v2\.0/token$"))
            .and(body_string_contains(format!("code={code}")))
            .respond_with(key::token_answer(&key::microsoft().sign(claims)))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
    }

    /// How many requests reached this provider, any address.
    pub async fn requests(&self) -> usize {
        self.server.received_requests().await.expect("requests are recorded").len()
    }

    /// How many codes the app tried to exchange.
    pub async fn exchanges(&self) -> usize {
        let requests = self.server.received_requests().await.expect("requests are recorded");
        requests.iter().filter(|r| r.url.path().ends_with("/oauth2/v2.0/token")).count()
    }
}

/// The discovery document of the tenant the address names, as Microsoft
/// writes it: the multi-tenant ones name their issuer with `{tenantid}`.
struct Discovery {
    base: String,
}

impl Respond for Discovery {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let tenant = request.url.path().split('/').nth(1).unwrap_or_default();
        let issuer_tenant = match tenant {
            "organizations" | "common" => PLACEHOLDER,
            "consumers" => CONSUMERS,
            tenant_id => tenant_id,
        };
        let base = &self.base;
        let endpoint = |rest: &str| format!("{base}/{tenant}/{rest}");
        ResponseTemplate::new(200).set_body_json(json!({
            "issuer": format!("{base}/{issuer_tenant}/v2.0"),
            "authorization_endpoint": endpoint("oauth2/v2.0/authorize"),
            "token_endpoint": endpoint("oauth2/v2.0/token"),
            "jwks_uri": format!("{base}{JWKS}"),
            "end_session_endpoint": endpoint("oauth2/v2.0/logout"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported":
                ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name",
                "preferred_username", "email", "oid", "tid", "ver"],
            "tenant_region_scope": null,
        }))
    }
}
