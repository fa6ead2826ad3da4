//! One sign-in with the provider, step by step, the harness being the
//! browser: `GET /login/google`, the provider (told in advance what to
//! answer), the redirect back to `/auth/callback`.

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use super::browser::Browser;
use crate::{
    check::Failure,
    checks::expect_redirect,
    html,
    http::{Reply, transport_words},
    idp::{Fault, TestUser},
    provider::Provider,
    text::excerpt,
};

/// Where `GET /login/google` sent the browser.
pub struct Authorization {
    pub url: Url,
}

impl Authorization {
    pub fn param(&self, name: &str) -> Option<String> {
        first(&self.url, name)
    }
}

fn first(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Which provider a sign-in goes to, and the server's addresses for it:
/// Google's in step 05, Microsoft's beside it in step 06.
pub struct Leg<'a> {
    pub idp: &'a crate::idp::Idp,
    /// From the discovery document, as a server reads it.
    pub authorization_endpoint: String,
    /// `/login/google`.
    pub start: &'a str,
    /// `/auth/callback`.
    pub callback: &'a str,
}

impl Provider {
    /// Google's leg: `/login/google` to `/auth/callback`.
    pub fn leg(&self) -> Leg<'_> {
        Leg {
            idp: &self.idp,
            authorization_endpoint: self.authorization_endpoint.clone(),
            start: "/login/google",
            callback: "/auth/callback",
        }
    }
}

/// `GET /login/google`: fails unless it is `303 See Other` to the
/// provider's authorization endpoint.
pub async fn begin(browser: &mut Browser, provider: &Provider) -> Result<Authorization, Failure> {
    begin_via(browser, &provider.leg()).await
}

/// Starts `leg`'s sign-in by opening its start address.
pub async fn begin_via(browser: &mut Browser, leg: &Leg<'_>) -> Result<Authorization, Failure> {
    let reply = browser.open(leg.start).await?;
    expect_sent_to_provider(&reply, leg)
}

/// Fails unless `reply` is `303 See Other` to `leg`'s authorization endpoint.
pub fn expect_sent_to_provider(reply: &Reply, leg: &Leg<'_>) -> Result<Authorization, Failure> {
    let endpoint = &leg.authorization_endpoint;
    let url = reply.header("location").and_then(|location| Url::parse(location).ok());
    match url {
        Some(url) if reply.status == 303 && without_query(&url) == *endpoint => {
            Ok(Authorization { url })
        }
        _ => Err(reply.fail(format!(
            "303 See Other to the provider's authorization_endpoint, {endpoint}?... \
             (read from the issuer's /.well-known/openid-configuration)"
        ))),
    }
}

fn without_query(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.to_string()
}

/// Where the provider sent the browser back: a path and query on the server.
pub struct Callback {
    pub target: String,
    url: Url,
}

impl Callback {
    pub fn param(&self, name: &str) -> Option<String> {
        first(&self.url, name)
    }

    /// The same callback with `name` set to `value`, or left out for `None`.
    pub fn with_param(&self, name: &str, value: Option<&str>) -> String {
        let mut url = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| k != name)
            .chain(value.map(|v| (name.to_owned(), v.to_owned())))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    }
}

/// The browser at the provider: it answers as it was told in advance
/// (approve or deny), and must send the browser back to the server's
/// callback.
pub async fn at_provider(
    authorization: &Authorization,
    base_url: &str,
) -> Result<Callback, Failure> {
    at_provider_for(authorization, base_url, "/auth/callback").await
}

/// [`at_provider`], for a server whose callback is at `callback_path`.
pub async fn at_provider_for(
    authorization: &Authorization,
    base_url: &str,
    callback_path: &str,
) -> Result<Callback, Failure> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a plain HTTP client");
    let sent = format!("GET {} (the browser at the provider)", authorization.url);
    let response = client.get(authorization.url.clone()).send().await.map_err(|e| {
        Failure::new("the mock provider to answer").sent(&sent).got(transport_words(&e))
    })?;
    let status = response.status().as_u16();
    let location =
        response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let callback = format!("{base_url}{callback_path}");
    match location.and_then(|l| Url::parse(&l).ok()) {
        Some(url) if without_query(&url) == callback => {
            let target = format!("{}?{}", url.path(), url.query().unwrap_or_default());
            Ok(Callback { target, url })
        }
        _ => Err(Failure::new(format!(
            "the provider to accept the authorization request and send the browser back to {callback}"
        ))
        .sent(sent)
        .got(format!(
            "{status} from the provider: {}",
            excerpt(&html::visible_text(&body), 400)
        ))),
    }
}

/// A sign-in that went through.
pub struct SignedIn {
    pub callback: Callback,
    /// The `session` cookie the browser held on its way back.
    pub session_before: Option<String>,
    /// The `session` cookie it set.
    pub session: String,
}

/// The way to the callback for `user`, with `fault` armed at the
/// provider, without going there: the browser has started the sign-in,
/// and the provider has answered.
pub async fn to_callback(
    browser: &mut Browser,
    provider: &Provider,
    user: &TestUser,
    fault: Option<Fault>,
) -> Result<(Authorization, Callback), Failure> {
    to_callback_via(browser, &provider.leg(), user, fault).await
}

/// [`to_callback`] through `leg`.
pub async fn to_callback_via(
    browser: &mut Browser,
    leg: &Leg<'_>,
    user: &TestUser,
    fault: Option<Fault>,
) -> Result<(Authorization, Callback), Failure> {
    leg.idp.reset();
    leg.idp.approve_next_as(user);
    let authorization = begin_via(browser, leg).await?;
    from_provider(browser, leg, authorization, fault).await
}

/// The provider's answer to `authorization`, which the browser was sent
/// to, with `fault` armed: the way back to the server's callback.
pub async fn from_provider(
    browser: &Browser,
    leg: &Leg<'_>,
    authorization: Authorization,
    fault: Option<Fault>,
) -> Result<(Authorization, Callback), Failure> {
    if let Some(fault) = fault {
        leg.idp.inject(fault);
    }
    let callback = at_provider_for(&authorization, &browser.base_url, leg.callback).await?;
    if callback.param("code").is_none() {
        return Err(Failure::new("the provider to accept the request and send back a code")
            .sent(format!("GET {}", authorization.url))
            .got(format!("the provider refused it: {}", callback.target)));
    }
    Ok((authorization, callback))
}

/// A sign-in as far as the server's answer to the callback, which is the
/// caller's to judge.
pub struct Attempt {
    pub authorization: Authorization,
    pub callback: Callback,
    /// The `session` cookie the browser held on its way back.
    pub session_before: Option<String>,
    pub reply: Reply,
}

pub async fn attempt(
    browser: &mut Browser,
    provider: &Provider,
    user: &TestUser,
    fault: Option<Fault>,
) -> Result<Attempt, Failure> {
    attempt_via(browser, &provider.leg(), user, fault).await
}

/// [`attempt`] through `leg`.
pub async fn attempt_via(
    browser: &mut Browser,
    leg: &Leg<'_>,
    user: &TestUser,
    fault: Option<Fault>,
) -> Result<Attempt, Failure> {
    let (authorization, callback) = to_callback_via(browser, leg, user, fault).await?;
    back_at_server(browser, authorization, callback).await
}

/// The browser back at the server's callback.
pub async fn back_at_server(
    browser: &mut Browser,
    authorization: Authorization,
    callback: Callback,
) -> Result<Attempt, Failure> {
    let session_before = browser.session().map(str::to_owned);
    let reply = browser.return_from_provider(&callback.target).await?;
    Ok(Attempt { authorization, callback, session_before, reply })
}

/// A whole sign-in as `user` in `browser`: it must end in `303 See Other`
/// to `/cabinet` with a new session cookie.
pub async fn sign_in(
    browser: &mut Browser,
    provider: &Provider,
    user: &TestUser,
) -> Result<SignedIn, Failure> {
    sign_in_via(browser, &provider.leg(), user).await
}

/// [`sign_in`] through `leg`.
pub async fn sign_in_via(
    browser: &mut Browser,
    leg: &Leg<'_>,
    user: &TestUser,
) -> Result<SignedIn, Failure> {
    let attempt = attempt_via(browser, leg, user, None).await?;
    expect_signed_in(browser, attempt, user)
}

/// Fails unless the callback's answer signed `user` in: `303 See Other`
/// to `/cabinet` with a new session cookie.
pub fn expect_signed_in(
    browser: &Browser,
    attempt: Attempt,
    user: &TestUser,
) -> Result<SignedIn, Failure> {
    let Attempt { callback, session_before, reply, .. } = attempt;
    if let Some(code) = callback.param("code")
        && reply.header("location").is_some_and(|location| location.contains(&code))
    {
        return Err(reply.fail(
            "303 See Other to /cabinet: the code must not stay in the address bar, \
             the history or a Referer",
        ));
    }
    expect_redirect(&reply, &browser.base_url, "/cabinet").map_err(|failure| Failure {
        expected: format!(
            "{} and Set-Cookie: session=<a new id> (the provider signed in {} <{}>)",
            failure.expected, user.name, user.email
        ),
        ..failure
    })?;
    let Some(session) = reply.new_session() else {
        return Err(reply.fail("303 See Other to /cabinet and Set-Cookie: session=<a new id>"));
    };
    Ok(SignedIn { callback, session_before, session })
}

/// `/api/me` as the browser sees it: `None` when nobody is signed in.
pub async fn me(browser: &mut Browser) -> Result<Option<Value>, Failure> {
    let reply = browser.open("/api/me").await?;
    match reply.status {
        200 => serde_json::from_slice(&reply.body)
            .map(Some)
            .map_err(|_| reply.fail("200 with a JSON object")),
        _ => Ok(None),
    }
}

/// `/api/me` of a browser that must be signed in.
pub async fn me_signed_in(browser: &mut Browser, why: &str) -> Result<Value, Failure> {
    let reply = browser.open("/api/me").await?;
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(json) if reply.status == 200 && json.is_object() => Ok(json),
        _ => Err(reply.fail(format!("200 with a JSON object: {why}"))),
    }
}

/// A string field of `/api/me`'s answer.
pub fn field<'a>(me: &'a Value, name: &str) -> Option<&'a str> {
    me.get(name).and_then(Value::as_str)
}

/// How a refused callback must answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The contract's 400 for a bad state and an `error=` answer.
    BadRequest,
    /// Any error status, or a redirect that signs nobody in.
    Any,
}

/// Fails unless `reply` refuses the sign-in as `refusal` says and the
/// browser is signed in as nobody afterwards.
pub async fn expect_refused(
    browser: &mut Browser,
    reply: &Reply,
    refusal: Refusal,
    why: &str,
) -> Result<(), Failure> {
    let refused = match refusal {
        Refusal::BadRequest => reply.status == 400,
        Refusal::Any => reply.status >= 300,
    };
    if !refused {
        let expected = match refusal {
            Refusal::BadRequest => "400 Bad Request and no session",
            Refusal::Any => {
                "the sign-in refused (an error status, or a redirect that signs nobody in)"
            }
        };
        return Err(reply.fail(format!("{expected}: {why}")));
    }
    if let Some(me) = me(browser).await? {
        return Err(Failure::new(format!("nobody signed in: {why}"))
            .sent(format!("{}, then GET /api/me with the cookies it set", reply.sent))
            .got(format!("{}, then /api/me answered 200: {me}", reply.summary())));
    }
    Ok(())
}
