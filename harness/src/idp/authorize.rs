//! `/authorize`: where an app sends the browser to sign in. For a check it
//! approves at once, as the user the check chose; for a person it shows a
//! page to pick a test user and press Allow or Deny. Either way the browser
//! goes back to the app's redirect URI with a code, or with an error.

use std::{collections::VecDeque, fmt::Write as _, sync::Arc, time::Instant};

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use super::{
    Provider, Shape, TestUser, entra,
    grants::Code,
    lock,
    page::{escape, page},
    params::{Params, is_form, with_query},
    shape::{self, HOME_TENANT, Tenant},
};

pub(super) const PATH: &str = "/authorize";

/// The scopes Google grants without a consent screen of its own.
pub(super) const SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// A decision made in advance, in place of a person on the sign-in page.
#[derive(Clone, Debug)]
pub(super) enum Approval {
    As(Box<TestUser>),
    Deny,
}

#[derive(Default)]
pub(super) struct Approvals {
    /// One for each of the next valid requests.
    queued: VecDeque<Approval>,
    /// For every request once the queue is empty.
    pub(super) always: Option<TestUser>,
}

impl Approvals {
    pub(super) fn always(user: Option<TestUser>) -> Self {
        Self { queued: VecDeque::new(), always: user }
    }

    pub(super) fn push(&mut self, approval: Approval) {
        self.queued.push_back(approval);
    }

    pub(super) fn clear_queue(&mut self) {
        self.queued.clear();
    }

    fn next(&mut self) -> Option<Approval> {
        self.queued
            .pop_front()
            .or_else(|| self.always.clone().map(|user| Approval::As(Box::new(user))))
    }
}

/// An authorization request that passed every rule.
struct Request {
    client_id: String,
    redirect_uri: String,
    scope: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    login_hint: Option<String>,
    /// `prompt=none`: the app wants an answer without any page.
    silent: bool,
    /// Microsoft's shape: the tenant whose endpoint was asked.
    tenant: Option<Tenant>,
}

/// Why a request is refused, and to whom that is said.
enum Refusal {
    /// The redirect URI cannot be trusted, so the person is told and
    /// nothing goes anywhere: an attacker's URI would receive the answer.
    Page { error: &'static str, message: String },
    /// The app is told, at its registered redirect URI (RFC 6749 4.1.2.1).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl Refusal {
    fn to_app(request: &Request, error: &'static str, description: &str) -> Refusal {
        Refusal::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error,
            description: description.to_owned(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page { error, message } => page(
                StatusCode::BAD_REQUEST,
                &format!("Error 400: {error}"),
                &format!(
                    "<p>{}</p>\n<p>The app that sent you here asked for something this \
                     provider refuses, so you were not sent back to it.</p>",
                    escape(&message)
                ),
            ),
            Refusal::Redirect { redirect_uri, state, error, description } => {
                let mut pairs = vec![("error", error), ("error_description", &description)];
                if let Some(state) = &state {
                    pairs.push(("state", state));
                }
                found(&with_query(&redirect_uri, &pairs))
            }
        }
    }
}

/// `302 Found`, as Google answers an authorization request.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// `GET /authorize?...`: the request as the app wrote it.
pub(super) async fn ask(
    State(provider): State<Arc<Provider>>,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let request = match validate(&provider, &params) {
        Ok(request) => Request { tenant: shape::split(provider.shape, uri.path()).0, ..request },
        Err(refusal) => return refusal.into_response(),
    };
    let approval = lock(&provider.approvals).next();
    match approval {
        Some(Approval::As(user)) => approve(&provider, request, *user),
        Some(Approval::Deny) => denied(&request),
        None if request.silent => Refusal::to_app(
            &request,
            "login_required",
            "prompt=none, and nobody is signed in at this provider",
        )
        .into_response(),
        None => sign_in_page(&provider, &request, &params),
    }
}

/// `POST /authorize`: the sign-in page's answer, carrying the request along
/// in hidden fields. Those came back through the browser, so every rule is
/// checked again.
pub(super) async fn decide(
    State(provider): State<Arc<Provider>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return Refusal::Page {
            error: "invalid_request",
            message: "The sign-in page's answer was not a form.".into(),
        }
        .into_response();
    }
    let mut form = Params::parse(&body);
    let decision = form.take("decision");
    let chosen = form.take("user");
    let typed = form.take("login").filter(|login| !login.trim().is_empty());
    let request = match validate(&provider, &form) {
        Ok(request) => Request { tenant: shape::split(provider.shape, uri.path()).0, ..request },
        Err(refusal) => return refusal.into_response(),
    };
    match decision.as_deref() {
        Some("deny") => denied(&request),
        Some("allow") => {
            let user = {
                let config = lock(&provider.config);
                match (typed, chosen) {
                    (Some(login), _) => {
                        config.user(&login).cloned().unwrap_or_else(|| new_user(&request, &login))
                    }
                    (None, Some(name)) => match config.user(&name) {
                        Some(user) => user.clone(),
                        None => {
                            return Refusal::Page {
                                error: "invalid_request",
                                message: format!("There is no test user {name:?}."),
                            }
                            .into_response();
                        }
                    },
                    (None, None) => {
                        return Refusal::Page {
                            error: "invalid_request",
                            message: "Pick a test user, or type one.".into(),
                        }
                        .into_response();
                    }
                }
            };
            approve(&provider, request, user)
        }
        _ => Refusal::Page { error: "invalid_request", message: "Press Allow or Deny.".into() }
            .into_response(),
    }
}

/// Every rule of an authorization request, in the order that decides who
/// hears about a broken one: the person, until the redirect URI is known to
/// be the client's own; the app, after that.
fn validate(provider: &Provider, params: &Params) -> Result<Request, Refusal> {
    let to_person = |error, message: String| Refusal::Page { error, message };
    if params.is_repeated("client_id") || params.is_repeated("redirect_uri") {
        return Err(to_person(
            "invalid_request",
            "client_id or redirect_uri is given more than once.".into(),
        ));
    }
    let Some(client_id) = params.get("client_id") else {
        return Err(to_person("invalid_request", "The request has no client_id.".into()));
    };
    let config = lock(&provider.config);
    let Some(client) = config.client(client_id) else {
        return Err(to_person(
            "invalid_client",
            format!("No client is registered as {client_id:?}."),
        ));
    };
    let registered = client.redirect_uris.join(", ");
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(to_person(
            "invalid_request",
            format!(
                "The request has no redirect_uri. This provider needs one, equal to one \
                 that client {client_id:?} registered: {registered}."
            ),
        ));
    };
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return Err(to_person(
            "redirect_uri_mismatch",
            format!(
                "The redirect_uri {redirect_uri:?} is not registered for client \
                 {client_id:?}. It must equal one of these, character for character: \
                 {registered}."
            ),
        ));
    }
    drop(config);

    let mut request = Request {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        // A repeated state cannot be echoed: which one would the app expect?
        state: (!params.is_repeated("state"))
            .then(|| params.get("state").map(str::to_owned))
            .flatten(),
        scope: Vec::new(),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: String::new(),
        login_hint: params.get("login_hint").map(str::to_owned),
        silent: params.get("prompt").is_some_and(|prompt| prompt.split(' ').any(|p| p == "none")),
        tenant: None,
    };
    let refuse = |error, description: &str| Err(Refusal::to_app(&request, error, description));
    if let Some(name) = params.repeated() {
        return refuse("invalid_request", &format!("{name} is given more than once"));
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return refuse("invalid_request", "response_type is missing"),
        Some(other) => {
            return refuse(
                "unsupported_response_type",
                &format!("response_type must be code, not {other:?}"),
            );
        }
    }
    let scope: Vec<String> = params
        .get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = scope.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return refuse(
            "invalid_scope",
            &format!("unknown scope {unknown:?}: this provider grants openid, email and profile"),
        );
    }
    if !scope.iter().any(|s| s == "openid") {
        return refuse(
            "invalid_scope",
            "scope must include openid: without it there is no ID token",
        );
    }
    let Some(challenge) = params.get("code_challenge") else {
        if provider.pkce_optional && params.get("code_challenge_method").is_none() {
            request.scope = scope;
            return Ok(request);
        }
        return refuse(
            "invalid_request",
            "PKCE is required: send code_challenge and code_challenge_method=S256",
        );
    };
    match params.get("code_challenge_method") {
        Some("S256") => {}
        None => {
            return refuse(
                "invalid_request",
                "code_challenge_method is missing, which means plain: send S256",
            );
        }
        Some("plain") => {
            return refuse("invalid_request", "code_challenge_method=plain is refused: send S256");
        }
        Some(other) => {
            return refuse(
                "invalid_request",
                &format!("unknown code_challenge_method {other:?}: send S256"),
            );
        }
    }
    if !is_s256_challenge(challenge) {
        return refuse(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier, \
             without padding: 43 characters of A-Z a-z 0-9 - _",
        );
    }
    request.scope = scope;
    request.code_challenge = challenge.to_owned();
    Ok(request)
}

/// What a base64url SHA-256 without padding looks like.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Someone typed on the sign-in page: in Microsoft's shape, of the tenant
/// asked, or of [`HOME_TENANT`] at `organizations` and `common`.
fn new_user(request: &Request, login: &str) -> TestUser {
    match &request.tenant {
        None => TestUser::made_up(login),
        Some(Tenant::Single(tid)) => TestUser::made_up_in(login, tid),
        Some(Tenant::Multi(_)) => TestUser::made_up_in(login, HOME_TENANT),
    }
}

/// Back to the app with a fresh code for `user`; or, at a single tenant's
/// endpoint, with Microsoft's refusal of a user from another tenant.
fn approve(provider: &Provider, request: Request, user: TestUser) -> Response {
    if let Some(tenant) = &request.tenant
        && !tenant.admits(&entra::tid(&user))
    {
        let why = entra::not_in_tenant(&user, tenant.segment(), &request.client_id);
        return Refusal::to_app(&request, "access_denied", &why).into_response();
    }
    let code = lock(&provider.grants).issue_code(Code {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge,
        nonce: request.nonce,
        scope: request.scope,
        user,
        issued: Instant::now(),
    });
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    found(&with_query(&request.redirect_uri, &pairs))
}

fn denied(request: &Request) -> Response {
    Refusal::to_app(request, "access_denied", "the user did not allow the sign-in").into_response()
}

/// The page a person signs in on: every test user to pick from, a field to
/// type someone new, Allow and Deny. The request rides along in hidden
/// fields, escaped like everything else the page shows.
fn sign_in_page(provider: &Provider, request: &Request, params: &Params) -> Response {
    let config = lock(&provider.config);
    let hinted = request
        .login_hint
        .as_deref()
        .and_then(|hint| config.user(hint))
        .map(|user| user.username.clone());
    let mut wants = vec!["your account id"];
    if request.scope.iter().any(|s| s == "email") {
        wants.push("your email address");
    }
    if request.scope.iter().any(|s| s == "profile") {
        wants.push("your name and picture");
    }
    let mut html = String::new();
    write!(
        html,
        "<p><strong>{}</strong> wants to sign you in, and to know {}. Afterwards your \
         browser goes back to <code>{}</code>.</p>\n<form method=\"post\" action=\"{}{PATH}\">\n",
        escape(&request.client_id),
        wants.join(", "),
        escape(&request.redirect_uri),
        escape(&shape::prefix(request.tenant.as_ref())),
    )
    .unwrap();
    for (name, value) in params.pairs() {
        writeln!(
            html,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        )
        .unwrap();
    }
    html.push_str("<fieldset>\n<legend>Sign in as a test user</legend>\n");
    for (i, user) in config.users.iter().enumerate() {
        let checked = hinted.as_ref().map_or(i == 0, |h| *h == user.username);
        writeln!(
            html,
            "<label><input type=\"radio\" name=\"user\" value=\"{}\"{}> {} &lt;{}&gt;{}</label>",
            escape(&user.username),
            if checked { " checked" } else { "" },
            escape(&user.name),
            escape(&user.email),
            match provider.shape {
                Shape::Google if !user.email_verified => {
                    " <span class=\"unverified\">(email not verified)</span>".to_owned()
                }
                Shape::Google => String::new(),
                Shape::Microsoft => format!(" (tenant {})", escape(&entra::tid(user))),
            },
        )
        .unwrap();
    }
    let typed = match hinted {
        Some(_) => "",
        None => request.login_hint.as_deref().unwrap_or_default(),
    };
    write!(
        html,
        "</fieldset>\n<label>Or someone new, by username or email (this wins over the \
         choice above): <input type=\"text\" name=\"login\" value=\"{}\" \
         autocomplete=\"off\"></label>\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form>",
        escape(typed)
    )
    .unwrap();
    page(StatusCode::OK, "Sign in", &html)
}
