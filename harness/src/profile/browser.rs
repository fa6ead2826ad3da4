//! A small browser for grading apps written elsewhere: it keeps cookies and
//! follows redirects on the app's own site (301, 302, 303, 307, 308), and
//! stops at a redirect to another site, so that a check sees where the app
//! sends people (a provider, or somewhere it should not).

use std::{collections::BTreeMap, fmt::Write as _};

use reqwest::{Method, Url};

use crate::{
    check::Failure,
    http::{REQUEST_TIMEOUT, Reply, SetCookie},
};

/// What a request carries.
#[derive(Clone, Debug)]
pub enum Body {
    None,
    Form(Vec<(String, String)>),
}

/// The answers to one request and the redirects it was sent on.
pub struct Hops {
    /// Every answer, the last one being where the redirects ended.
    pub replies: Vec<Reply>,
    /// The URL of the last answer.
    pub url: Url,
    /// A redirect to another site that was not followed.
    pub off_site: Option<Url>,
}

impl Hops {
    pub fn last(&self) -> &Reply {
        self.replies.last().expect("at least one answer")
    }

    /// The path of the last answer, without a trailing slash (`/` stays).
    pub fn path(&self) -> String {
        trim_slash(self.url.path())
    }

    /// What was sent and what came back, every hop, for a failure message.
    pub fn story(&self) -> String {
        let mut text = String::new();
        for (i, reply) in self.replies.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            write!(text, "{} -> {}", reply.sent, reply.summary().replace('\n', "\n    ")).unwrap();
        }
        if let Some(url) = &self.off_site {
            write!(text, "\n(a redirect to another site, {url}, not followed)").unwrap();
        }
        text
    }
}

/// `/cabinet/` and `/cabinet` are the same page here.
pub fn trim_slash(path: &str) -> String {
    match path.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    base: Url,
    /// The app's cookies, by name.
    pub jar: BTreeMap<String, String>,
    /// Every cookie the app set, in order, with its attributes.
    pub set: Vec<SetCookie>,
    /// Who this browser signed in as (its name or email, in lower case),
    /// where a page tells signed in from not only by naming them.
    pub person: Option<String>,
}

impl Browser {
    pub fn new(base_url: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a plain HTTP client");
        Self {
            client,
            base: Url::parse(base_url).expect("a base URL"),
            jar: BTreeMap::new(),
            set: Vec::new(),
            person: None,
        }
    }

    /// The same cookies, in a browser of its own (another tab, or a thief).
    pub fn with_cookies(&self, jar: &BTreeMap<String, String>) -> Self {
        let mut copy = Browser::new(self.base.as_str());
        copy.jar = jar.clone();
        copy.person = self.person.clone();
        copy
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    pub fn is_app(&self, url: &Url) -> bool {
        url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    pub async fn get(&mut self, path: &str) -> Result<Hops, Failure> {
        let url = self.url(path);
        self.go(Method::GET, url, Body::None).await
    }

    /// Sends the request and follows the app's redirects, ten at most.
    pub async fn go(&mut self, method: Method, url: Url, body: Body) -> Result<Hops, Failure> {
        let (mut method, mut url, mut body) = (method, url, body);
        let mut replies = Vec::new();
        for _ in 0..10 {
            let reply = self.send(method.clone(), &url, &body).await?;
            let status = reply.status;
            let next = reply.header("location").and_then(|l| url.join(l).ok());
            replies.push(reply);
            let Some(next) = next.filter(|_| matches!(status, 301 | 302 | 303 | 307 | 308)) else {
                return Ok(Hops { replies, url, off_site: None });
            };
            if !self.is_app(&next) {
                return Ok(Hops { replies, url, off_site: Some(next) });
            }
            if !matches!(status, 307 | 308) {
                method = Method::GET;
                body = Body::None;
            }
            url = next;
        }
        Err(Failure::new("at most 10 redirects").got(format!("more, the last to {url}")))
    }

    /// One request, no redirect followed; cookies sent and kept.
    pub async fn send(&mut self, method: Method, url: &Url, body: &Body) -> Result<Reply, Failure> {
        let mut sent = format!("{method} {}", url_words(url, &self.base));
        let mut builder = self.client.request(method, url.clone());
        if self.is_app(url) && !self.jar.is_empty() {
            let cookie: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let cookie = cookie.join("; ");
            write!(sent, " with Cookie: {}", crate::text::excerpt(&cookie, 120)).unwrap();
            builder = builder.header("cookie", cookie);
        }
        if let Body::Form(fields) = body {
            let shown: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            write!(sent, " with form {}", shown.join(", ")).unwrap();
            builder = builder.form(fields);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => {
                return Err(Failure::no_answer(sent, crate::http::transport_words(&error)));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(error) => {
                return Err(Failure::no_answer(sent, crate::http::transport_words(&error)));
            }
        };
        let reply = Reply { sent, status, headers, body };
        if self.is_app(url) {
            for raw in reply.header_values("set-cookie") {
                if let Some(cookie) = SetCookie::parse(&raw) {
                    if cookie.is_removal() {
                        self.jar.remove(&cookie.name);
                    } else {
                        self.jar.insert(cookie.name.clone(), cookie.value.clone());
                    }
                    self.set.push(cookie);
                }
            }
        }
        Ok(reply)
    }
}

/// A URL as a failure message shows it: a path on the app, in full elsewhere.
fn url_words(url: &Url, base: &Url) -> String {
    if url.host_str() == base.host_str() && url.port() == base.port() {
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    } else {
        url.to_string()
    }
}
