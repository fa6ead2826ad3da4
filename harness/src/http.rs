//! Requests the checks send, and answers described well enough that a
//! failure message can say exactly what was sent and what came back.

use std::{borrow::Cow, fmt::Write as _, time::Duration};

use reqwest::header::HeaderMap;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{check::Failure, text::excerpt};

/// How long one request may take before the server counts as not answering.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for one server: no cookie jar (every check says which cookie it
/// sends) and no redirects followed (every check looks at the redirect).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    pub base_url: String,
}

impl Http {
    pub fn new(base_url: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a plain HTTP client");
        Self { client, base_url: base_url.to_owned() }
    }

    pub fn get(&self, path: &str) -> Request<'_> {
        self.request("GET", path)
    }

    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Request<'_> {
        let mut request = self.request("POST", path);
        request.form = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        request
    }

    fn request(&self, method: &'static str, path: &str) -> Request<'_> {
        Request {
            http: self,
            method,
            path: path.to_owned(),
            cookie: None,
            form: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Sends `target` exactly as written, bypassing URL normalisation (which
    /// would turn `/static/../x` into `/x` before it left the harness).
    pub async fn raw_get(&self, target: &str) -> Result<Reply, Failure> {
        let sent = format!("GET {target} (sent byte for byte)");
        let authority = self.base_url.trim_start_matches("http://");
        let exchange = async {
            let mut stream = TcpStream::connect(authority).await?;
            let request =
                format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            stream.take(4 * 1024 * 1024).read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(error)) => {
                return Err(Failure::no_answer(sent, format!("the connection failed: {error}")));
            }
            Err(_) => return Err(Failure::no_answer(sent, timeout_words())),
        };
        parse_raw(sent, &raw)
    }
}

fn parse_raw(sent: String, raw: &[u8]) -> Result<Reply, Failure> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let status = raw
        .split(|&b| b == b'\n')
        .next()
        .and_then(|line| std::str::from_utf8(line).ok())
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    let (Some(split), Some(status)) = (split, status) else {
        let got = format!("not an HTTP answer: {:?}", excerpt(&String::from_utf8_lossy(raw), 200));
        return Err(Failure::new("an HTTP answer").sent(sent).got(got));
    };
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(&raw[..split]).lines().skip(1) {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    Ok(Reply { sent, status, headers, body: raw[split + 4..].to_vec() })
}

/// One request being put together by a check.
pub struct Request<'a> {
    http: &'a Http,
    method: &'static str,
    path: String,
    cookie: Option<String>,
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl Request<'_> {
    /// Sends `Cookie: session=<value>`.
    pub fn session(mut self, value: &str) -> Self {
        self.cookie = Some(format!("session={value}"));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// What was sent, for a failure message.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        if let Some(cookie) = &self.cookie {
            write!(text, " with Cookie: {cookie}").unwrap();
        }
        for (name, value) in &self.headers {
            write!(text, " with {name}: {value}").unwrap();
        }
        if !self.form.is_empty() {
            let fields: Vec<String> = self.form.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            write!(text, " with form {}", fields.join(", ")).unwrap();
        }
        text
    }

    pub async fn send(self) -> Result<Reply, Failure> {
        let sent = self.describe();
        let url = format!("{}{}", self.http.base_url, self.path);
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("a valid method");
        let mut builder = self.http.client.request(method, url);
        if let Some(cookie) = &self.cookie {
            builder = builder.header("cookie", cookie);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if !self.form.is_empty() || self.method == "POST" {
            builder = builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_form(&self.form));
        }
        receive(builder, &sent)
            .await
            .map_err(|error| Failure::no_answer(sent, transport_words(&error)))
    }
}

/// Sends `request` and reads the whole answer, as a [`Reply`] to what was `sent`.
pub async fn receive(
    request: reqwest::RequestBuilder,
    sent: &str,
) -> Result<Reply, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok(Reply { sent: sent.to_owned(), status, headers, body })
}

fn encode_form(fields: &[(String, String)]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn timeout_words() -> String {
    format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
}

/// What went wrong below HTTP, in words.
pub fn transport_words(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        timeout_words()
    } else if error.is_connect() {
        "the connection was refused: nothing listens any more (did the server crash?)".into()
    } else if error.is_body() || error.is_decode() {
        "the connection closed in the middle of the answer".into()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            write!(text, ": {cause}").unwrap();
            source = cause.source();
        }
        format!("no HTTP answer ({text})")
    }
}

/// A cookie the server set, as the browser would read it.
#[derive(Clone, Debug)]
pub struct SetCookie {
    pub raw: String,
    pub name: String,
    pub value: String,
    /// Attribute names in lower case, with their values.
    pub attributes: Vec<(String, Option<String>)>,
}

impl SetCookie {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let attributes = parts
            .map(|part| match part.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
                None => (part.trim().to_ascii_lowercase(), None),
            })
            .filter(|(k, _)| !k.is_empty())
            .collect();
        Some(Self {
            raw: raw.to_owned(),
            name: name.trim().to_owned(),
            value: value.trim().trim_matches('"').to_owned(),
            attributes,
        })
    }

    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|(k, _)| k == attribute)
    }

    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == attribute).and_then(|(_, v)| v.as_deref())
    }

    /// A cookie that deletes itself (expired, or `Max-Age` of zero or less).
    pub fn is_removal(&self) -> bool {
        self.get("max-age").and_then(|v| v.parse::<i64>().ok()).is_some_and(|age| age <= 0)
            || self.value.is_empty()
            || self.get("expires").is_some_and(|date| date.contains("1970"))
    }
}

/// An answer, with the request that got it.
pub struct Reply {
    pub sent: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header that may be repeated.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// JSON by its media type: `application/json` or any `+json` type.
    pub fn is_json(&self) -> bool {
        let media_type = self.media_type();
        media_type == "application/json" || media_type.ends_with("+json")
    }

    /// The media type without parameters, in lower case.
    pub fn media_type(&self) -> String {
        let value = self.header("content-type").unwrap_or("");
        value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
    }

    /// The last `session` cookie the answer sets, if any.
    pub fn session_cookie(&self) -> Option<SetCookie> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| SetCookie::parse(&String::from_utf8_lossy(v.as_bytes())))
            .rfind(|c| c.name == "session")
    }

    /// A session cookie that is set (not removed) by this answer.
    pub fn new_session(&self) -> Option<String> {
        self.session_cookie().filter(|c| !c.is_removal()).map(|c| c.value)
    }

    /// "303 See Other", the headers that matter and the start of the body.
    pub fn summary(&self) -> String {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut text = format!("{} {reason}", self.status);
        for name in ["location", "content-type", "cache-control", "set-cookie", "retry-after"] {
            for value in self.headers.get_all(name) {
                write!(text, "\n{name}: {}", String::from_utf8_lossy(value.as_bytes())).unwrap();
            }
        }
        let body = self.text();
        if self.media_type() == "text/html" {
            let words = crate::html::visible_text(&body);
            write!(
                text,
                "\nbody (HTML, {} bytes), its text: {}",
                self.body.len(),
                excerpt(&words, 300)
            )
            .unwrap();
        } else if !body.trim().is_empty() {
            write!(text, "\nbody: {}", excerpt(body.trim(), 300)).unwrap();
        }
        text
    }

    /// A failure that shows this exchange.
    pub fn fail(&self, expected: impl Into<String>) -> Failure {
        Failure::new(expected).sent(self.sent.clone()).got(self.summary())
    }
}
