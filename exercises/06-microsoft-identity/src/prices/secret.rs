//! A value that lets whoever holds it in: the identity endpoint's header
//! value, and the access tokens it gives.

use std::fmt;

use axum::http::HeaderValue;
use serde::Deserialize;

/// A secret string. It has no `Display`, and its `Debug` prints
/// `Secret(..)`: a `{:?}` of the settings, a token or an error, in a log
/// line or a panic, shows that there is a secret and never what it is.
/// The only way to the value is [`Secret::header`], which makes the one
/// thing a secret is for.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The header value `prefix` + the secret, marked sensitive (so that
    /// HTTP/2's header compression never indexes it, and its `Debug` says
    /// `Sensitive`); `None` if it cannot be a header value (a control
    /// character, a line break).
    pub fn header(&self, prefix: &str) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert!(!format!("{:?}", secret.header("Bearer ").unwrap()).contains("hunter2"));
    }

    #[test]
    fn a_value_that_cannot_be_a_header_is_refused() {
        assert!(Secret::new("two\r\nlines").header("").is_none());
        assert_eq!(Secret::new("abc").header("Bearer ").unwrap(), "Bearer abc");
    }
}
