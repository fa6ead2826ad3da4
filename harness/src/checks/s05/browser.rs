//! The browser of the sign-in checks: it keeps the cookies a server sets,
//! whatever their names (a server may keep the pending sign-in in a cookie
//! of its own), and sends them back as a browser would. It follows no
//! redirect by itself, so that every step of the flow can be looked at.

use std::{fmt::Write as _, time::Duration};

use crate::{
    check::Failure,
    http::{REQUEST_TIMEOUT, Reply, SetCookie, receive, transport_words},
};

#[derive(Clone, Debug)]
struct Cookie {
    name: String,
    value: String,
    path: String,
    /// `SameSite=Strict`: not sent on a navigation that comes from
    /// another site, such as the provider sending the browser back.
    strict: bool,
}

impl Cookie {
    /// RFC 6265 section 5.1.4: `/a` matches `/a`, `/a/` and `/a/b`, never `/ab`.
    fn matches(&self, path: &str) -> bool {
        path == self.path
            || path.strip_prefix(&self.path).is_some_and(|rest| {
                self.path.ends_with('/') || rest.starts_with('/') || rest.starts_with('?')
            })
    }
}

/// Where a navigation comes from, which decides the cookies it carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    OwnPages,
    /// A form of the server's own pages, posted.
    OwnForm,
    /// Google is another site than the server; the mock provider on
    /// loopback is not, but the browser behaves as with Google.
    Provider,
}

#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    /// How long it waits for an answer.
    patience: Duration,
    pub base_url: String,
    cookies: Vec<Cookie>,
}

impl Browser {
    /// A browser with no cookies that waits [`REQUEST_TIMEOUT`] for an answer.
    pub fn new(base_url: &str) -> Browser {
        Browser::waiting(base_url, REQUEST_TIMEOUT)
    }

    pub fn waiting(base_url: &str, timeout: Duration) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .expect("a plain HTTP client");
        Browser { client, patience: timeout, base_url: base_url.to_owned(), cookies: Vec::new() }
    }

    /// Puts a cookie in the jar, as an attacker can in a victim's browser.
    pub fn plant(&mut self, name: &str, value: &str) {
        self.cookies.retain(|c| c.name != name);
        self.cookies.push(Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            path: "/".into(),
            strict: false,
        });
    }

    /// The `session` cookie sent to `/`, if the browser holds one.
    pub fn session(&self) -> Option<&str> {
        self.cookies.iter().find(|c| c.name == "session" && c.matches("/")).map(|c| &*c.value)
    }

    /// Opens `target` (a path on the server, or a URL on it), as when a
    /// person follows a link of the server's own pages.
    pub async fn open(&mut self, target: &str) -> Result<Reply, Failure> {
        self.navigate(target, Via::OwnPages).await
    }

    /// Opens `target` as the redirect from the provider back to the server.
    pub async fn return_from_provider(&mut self, target: &str) -> Result<Reply, Failure> {
        self.navigate(target, Via::Provider).await
    }

    /// Submits an empty form of the server's own pages to `target` with
    /// POST, as a button in a form does: the browser says the page's
    /// origin (`Origin`).
    pub async fn submit(&mut self, target: &str) -> Result<Reply, Failure> {
        self.navigate(target, Via::OwnForm).await
    }

    async fn navigate(&mut self, target: &str, via: Via) -> Result<Reply, Failure> {
        let path = target.strip_prefix(&self.base_url).unwrap_or(target).to_owned();
        let cookie = self
            .cookies
            .iter()
            .filter(|c| c.matches(&path) && !(c.strict && via == Via::Provider))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ");
        let method = if via == Via::OwnForm { "POST" } else { "GET" };
        let mut sent = format!("{method} {path}");
        if via == Via::Provider {
            sent.push_str(" (the provider's redirect back)");
        }
        if via == Via::OwnForm {
            write!(sent, " with Origin: {}", self.base_url).unwrap();
        }
        if !cookie.is_empty() {
            write!(sent, " with Cookie: {cookie}").unwrap();
        }
        let url = format!("{}{path}", self.base_url);
        let mut request = match via {
            Via::OwnForm => self
                .client
                .post(url)
                .header("origin", &self.base_url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(""),
            _ => self.client.get(url),
        };
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        let reply = receive(request, &sent).await.map_err(|error| {
            let words = if error.is_timeout() {
                format!("no answer within {} s", self.patience.as_secs_f32())
            } else {
                transport_words(&error)
            };
            Failure::no_answer(sent, words)
        })?;
        self.keep_cookies(&reply, &path);
        Ok(reply)
    }

    fn keep_cookies(&mut self, reply: &Reply, request_path: &str) {
        for raw in reply.header_values("set-cookie") {
            let Some(set) = SetCookie::parse(&raw) else { continue };
            let path = match set.get("path") {
                Some(path) if path.starts_with('/') => path.to_owned(),
                _ => default_path(request_path),
            };
            self.cookies.retain(|c| !(c.name == set.name && c.path == path));
            if !set.is_removal() {
                let strict = set.get("samesite").is_some_and(|v| v.eq_ignore_ascii_case("strict"));
                self.cookies.push(Cookie { name: set.name, value: set.value, path, strict });
            }
        }
    }
}

/// RFC 6265 section 5.1.4: the request path up to its last `/`.
fn default_path(request_path: &str) -> String {
    let path = request_path.split('?').next().unwrap_or("/");
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(last) => path[..last].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(path: &str) -> Cookie {
        Cookie { name: "a".into(), value: "b".into(), path: path.into(), strict: false }
    }

    #[test]
    fn paths_match_as_in_rfc_6265() {
        assert!(cookie("/").matches("/auth/callback?x=1"));
        assert!(cookie("/auth").matches("/auth/callback"));
        assert!(cookie("/auth/callback").matches("/auth/callback?code=1"));
        assert!(!cookie("/auth").matches("/authority"));
        assert!(!cookie("/auth/callback").matches("/"));
        assert_eq!(default_path("/login/google?x=/y"), "/login");
        assert_eq!(default_path("/"), "/");
    }
}
