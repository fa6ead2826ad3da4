//! Query strings and form bodies as the endpoints read them: in order, with
//! repeats kept, because OAuth refuses a parameter given twice (RFC 6749
//! section 3.1) and a map would hide it. And Basic credentials, which OAuth
//! form-encodes too.

use axum::http::{HeaderMap, header};
use base64::{Engine as _, engine::general_purpose::STANDARD};

#[derive(Clone, Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// `a=1&b=2`, as a query string or an `application/x-www-form-urlencoded` body.
    pub(super) fn parse(input: &[u8]) -> Params {
        Params(form_urlencoded::parse(input).into_owned().collect())
    }

    /// The value of `name`. OAuth treats a parameter sent without a value
    /// as omitted (RFC 6749 section 3.1), and so does this.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    pub(super) fn is_repeated(&self, name: &str) -> bool {
        self.0.iter().filter(|(k, _)| k == name).count() > 1
    }

    /// Removes every `name` and returns the first one's value.
    pub(super) fn take(&mut self, name: &str) -> Option<String> {
        let value = self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        self.0.retain(|(k, _)| k != name);
        value
    }

    /// The first parameter given more than once, if any.
    pub(super) fn repeated(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (name, _))| {
            self.0[..i].iter().any(|(earlier, _)| earlier == name).then_some(name.as_str())
        })
    }

    pub(super) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub(super) fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

/// Whether the body is a form, whatever its charset parameter says.
pub(super) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `base` with `pairs` added to its query, as a redirect to an app's
/// redirect URI needs: that URI may already have a query of its own.
pub(super) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    let separator = match base.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some(_) => "&",
    };
    format!("{base}{separator}{}", query.finish())
}

/// The client id and secret of an Authorization header's `Basic
/// base64(id:secret)`, where id and secret were form-encoded before base64
/// (RFC 6749 section 2.3.1). `None` when the header is anything else.
pub(super) fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |text: &str| {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((form_decode(id)?, form_decode(secret)?))
}
