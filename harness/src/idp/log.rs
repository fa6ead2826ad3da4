//! What clients sent: every request, with its query, its form fields and
//! how it authenticated, so a check can see the PKCE verifier, the
//! redirect URI and the client authentication a step used.

use std::{fmt::Write as _, sync::Arc, time::SystemTime};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{
    Provider, authorize, discovery, end_session, keys, lock,
    params::{Params, basic_credentials, is_form},
    shape, token, userinfo,
};

/// Bigger bodies are refused: no client of this provider sends one.
const MAX_BODY: usize = 64 * 1024;

/// Form fields never kept: a log ends up in failure messages.
const SECRET_FIELDS: [&str; 1] = ["client_secret"];
const HIDDEN: &str = "(hidden)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Discovery,
    Jwks,
    Authorize,
    Token,
    Userinfo,
    EndSession,
    /// A picture, or a path the provider does not serve.
    Other,
}

impl Endpoint {
    fn of(path: &str) -> Endpoint {
        match path {
            discovery::PATH => Endpoint::Discovery,
            keys::PATH => Endpoint::Jwks,
            authorize::PATH => Endpoint::Authorize,
            token::PATH => Endpoint::Token,
            userinfo::PATH => Endpoint::Userinfo,
            end_session::PATH => Endpoint::EndSession,
            _ => Endpoint::Other,
        }
    }
}

/// The Authorization header, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// `Basic`, with the client id it carried.
    Basic {
        client_id: String,
    },
    Bearer,
    /// Another scheme, or a Basic header that does not decode.
    Other {
        scheme: String,
    },
}

/// How a client authenticated at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A `client_id` in the form and no secret anywhere.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAuth {
    pub method: ClientAuthMethod,
    pub client_id: String,
}

/// One request as the provider received it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub at: SystemTime,
    pub endpoint: Endpoint,
    pub method: String,
    pub path: String,
    /// Decoded, in order, repeats kept.
    pub query: Vec<(String, String)>,
    /// A form body's fields, decoded, `client_secret` hidden.
    pub form: Vec<(String, String)>,
    pub authorization: Option<Authorization>,
    /// `None` while the answer is being made (a slow fault's, say).
    pub status: Option<u16>,
}

impl LoggedRequest {
    /// The first value of `name` in the query.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// The first value of `name` in the form.
    pub fn form_field(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// How the client authenticated, for a token request.
    pub fn client_auth(&self) -> Option<ClientAuth> {
        match (&self.authorization, self.form_field("client_id")) {
            (Some(Authorization::Basic { client_id }), _) => Some(ClientAuth {
                method: ClientAuthMethod::ClientSecretBasic,
                client_id: client_id.clone(),
            }),
            (_, Some(client_id)) => Some(ClientAuth {
                method: if self.form_field("client_secret").is_some() {
                    ClientAuthMethod::ClientSecretPost
                } else {
                    ClientAuthMethod::None
                },
                client_id: client_id.to_owned(),
            }),
            _ => None,
        }
    }

    /// One line: `POST /token [client_secret_basic authlings-step05] grant_type=...`.
    pub fn summary(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            write!(line, "?{}", pairs_text(&self.query)).unwrap();
        }
        if let Some(auth) = self.client_auth().filter(|_| !self.form.is_empty()) {
            let method = match auth.method {
                ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
                ClientAuthMethod::ClientSecretPost => "client_secret_post",
                ClientAuthMethod::None => "no client authentication",
            };
            write!(line, " [{method} {}]", auth.client_id).unwrap();
        } else if self.authorization == Some(Authorization::Bearer) {
            line.push_str(" [Bearer token]");
        }
        if !self.form.is_empty() {
            write!(line, " {}", pairs_text(&self.form)).unwrap();
        }
        match self.status {
            Some(status) => write!(line, " -> {status}").unwrap(),
            None => line.push_str(" -> (no answer yet)"),
        }
        line
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn pairs_text(pairs: &[(String, String)]) -> String {
    let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

#[derive(Default)]
pub(super) struct Log {
    /// With a sequence number, to find an entry again when it is answered.
    entries: Vec<(u64, LoggedRequest)>,
    next: u64,
}

impl Log {
    fn push(&mut self, request: LoggedRequest) -> u64 {
        let seq = self.next;
        self.next += 1;
        self.entries.push((seq, request));
        seq
    }

    fn answered(&mut self, seq: u64, status: u16) -> Option<LoggedRequest> {
        let (_, entry) = self.entries.iter_mut().find(|(s, _)| *s == seq)?;
        entry.status = Some(status);
        Some(entry.clone())
    }

    pub(super) fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Middleware: logs the request as it arrives (so a check sees a request
/// whose answer is held back), then its status once answered.
pub(super) async fn record(
    State(provider): State<Arc<Provider>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let form = if is_form(&parts.headers) {
        hide_secrets(Params::parse(&bytes).into_pairs())
    } else {
        Vec::new()
    };
    let query = parts.uri.query().unwrap_or_default().as_bytes();
    let entry = LoggedRequest {
        at: SystemTime::now(),
        endpoint: Endpoint::of(shape::split(provider.shape, parts.uri.path()).1),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: hide_secrets(Params::parse(query).into_pairs()),
        form,
        authorization: authorization(&parts.headers),
        status: None,
    };
    let seq = lock(&provider.log).push(entry);
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let entry = lock(&provider.log).answered(seq, response.status().as_u16());
    if provider.echo
        && let Some(entry) = entry
    {
        eprintln!("idp: {}", entry.summary());
    }
    response
}

fn hide_secrets(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    for (name, value) in &mut pairs {
        if SECRET_FIELDS.contains(&name.as_str()) {
            *value = HIDDEN.to_owned();
        }
    }
    pairs
}

fn authorization(headers: &HeaderMap) -> Option<Authorization> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().unwrap_or("?");
    let scheme = value.split(' ').next().unwrap_or_default();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Authorization::Bearer);
    }
    Some(match basic_credentials(value) {
        Some((client_id, _secret)) => Authorization::Basic { client_id },
        None => Authorization::Other { scheme: scheme.to_owned() },
    })
}
