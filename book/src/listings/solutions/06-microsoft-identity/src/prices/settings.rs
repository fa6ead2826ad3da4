//! Where the token comes from and where it goes: the four variables App
//! Service (or the grader) sets.

use std::{net::IpAddr, time::Duration};

use reqwest::Url;

use super::{Error, Secret};

/// The whole of one `/api/prices` request, token and prices together, and
/// each HTTP request on the way: the contract's bound.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A token is not used in its last five minutes: a request that starts
/// with it must not have it expire on the way, and the clocks of this
/// server and the price service may differ by a minute or two.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long a failed token fetch is answered from memory: while the
/// identity endpoint is down, requests fail at once instead of each
/// waiting out [`TIMEOUT`], and the endpoint is not asked again and again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3);

/// The variables, in the order they are read.
const VARIABLES: [&str; 4] =
    ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "PRICE_SERVICE_URL", "PRICE_SERVICE_RESOURCE"];

/// How the server reaches its identity endpoint and the price service.
/// `Debug` shows everything but the identity header's value.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `IDENTITY_ENDPOINT`: `http://localhost:PORT/msi/token` on App Service.
    pub identity_endpoint: Url,
    /// `IDENTITY_HEADER`: sent as `X-IDENTITY-HEADER`, so that a request
    /// forged through the app (SSRF) cannot ask for a token.
    pub identity_header: Secret,
    /// `$PRICE_SERVICE_URL/prices`.
    pub prices_url: Url,
    /// `PRICE_SERVICE_RESOURCE`: the audience of the token, as the price
    /// service's app registration names it (`api://...`).
    pub resource: String,
    /// [`TIMEOUT`], but in tests.
    pub timeout: Duration,
    /// [`REFRESH_MARGIN`], but in tests.
    pub refresh_margin: Duration,
    /// [`RETRY_AFTER`], but in tests.
    pub retry_after: Duration,
}

impl Settings {
    /// The settings from the environment: see [`Settings::from_lookup`].
    pub fn from_env() -> Result<Option<Self>, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `var`, which gives a variable's value by its
    /// name. `Ok(None)` when any of the four is missing or empty: the
    /// server runs, and `/api/prices` says it is not configured (a warning
    /// names what is missing). An error when one is set but cannot work.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Error> {
        let values = VARIABLES.map(|name| var(name).filter(|value| !value.trim().is_empty()));
        let missing: Vec<&str> =
            VARIABLES.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
        if !missing.is_empty() {
            tracing::warn!(
                missing = missing.join(", "),
                "the price service is not configured: /api/prices answers 503"
            );
            return Ok(None);
        }
        let [Some(endpoint), Some(header), Some(service), Some(resource)] = values else {
            unreachable!("none is missing");
        };
        let identity_header = Secret::new(header);
        if identity_header.header("").is_none() {
            // Not the value: it is a secret, even a broken one.
            return Err(invalid("IDENTITY_HEADER", "cannot be an HTTP header value".into()));
        }
        Ok(Some(Self {
            identity_endpoint: url("IDENTITY_ENDPOINT", &endpoint, Reach::Platform)?,
            identity_header,
            prices_url: prices_url(url("PRICE_SERVICE_URL", &service, Reach::Machine)?),
            resource,
            timeout: TIMEOUT,
            refresh_margin: REFRESH_MARGIN,
            retry_after: RETRY_AFTER,
        }))
    }
}

// ANCHOR: loopback
/// Where plain HTTP may go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// This machine only: the loopback interface, which no network sees.
    Machine,
    /// This machine, or the platform's own link-local address
    /// (169.254.0.0/16, fe80::/10), which no router forwards: where the
    /// identity endpoint is on Linux App Service (`http://169.254.x.x:8081`)
    /// and IMDS on a virtual machine (`http://169.254.169.254`).
    Platform,
}

/// `value` as a URL that a token may be sent to: HTTPS, or plain HTTP
/// within `reach`. A token or the identity header sent in the clear over a
/// network could be read on the way; on the loopback interface it never
/// leaves the machine, and a link-local address never leaves its link.
fn url(variable: &'static str, value: &str, reach: Reach) -> Result<Url, Error> {
    let url = Url::parse(value).map_err(|e| invalid(variable, format!("not a URL: {e}")))?;
    let ip = || host_ip(&url);
    match url.scheme() {
        "https" => {}
        "http"
            if url.host_str() == Some("localhost") || ip().is_some_and(|ip| ip.is_loopback()) => {}
        "http" if reach == Reach::Platform && ip().is_some_and(is_link_local) => {}
        "http" => {
            let allowed = match reach {
                Reach::Machine => "localhost",
                Reach::Platform => "localhost or a link-local address (169.254.x.x)",
            };
            return Err(invalid(variable, format!("plain http is only for {allowed}: use https")));
        }
        other => return Err(invalid(variable, format!("{other}: is not http or https"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(variable, "must not carry a user name or password".into()));
    }
    Ok(url)
}

/// The host as an IP address, if it is one. `Url` has already written any
/// IPv4 address in dotted form (`http://2130706433/` is `127.0.0.1`); an
/// IPv6 address keeps its brackets.
fn host_ip(url: &Url) -> Option<IpAddr> {
    url.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_link_local(),
        IpAddr::V6(ip) => ip.is_unicast_link_local(),
    }
}
// ANCHOR_END: loopback

/// `$PRICE_SERVICE_URL/prices`, with or without a `/` at its end.
fn prices_url(mut service: Url) -> Url {
    if let Ok(mut segments) = service.path_segments_mut() {
        segments.pop_if_empty().push("prices");
    }
    service
}

fn invalid(variable: &'static str, problem: String) -> Error {
    Error::Settings { variable, problem }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> Result<Option<Settings>, Error> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    fn with(endpoint: &str, service: &str) -> Result<Option<Settings>, Error> {
        lookup(&[
            ("IDENTITY_ENDPOINT", endpoint),
            ("IDENTITY_HEADER", "the-header-secret"),
            ("PRICE_SERVICE_URL", service),
            ("PRICE_SERVICE_RESOURCE", "api://prices"),
        ])
    }

    #[test]
    fn any_variable_missing_or_empty_is_not_configured() {
        assert!(lookup(&[]).unwrap().is_none());
        for left_out in VARIABLES {
            let mut vars = vec![
                ("IDENTITY_ENDPOINT", "http://localhost:8081/msi/token"),
                ("IDENTITY_HEADER", "h"),
                ("PRICE_SERVICE_URL", "https://prices.example.com"),
                ("PRICE_SERVICE_RESOURCE", "api://prices"),
            ];
            vars.retain(|(name, _)| *name != left_out);
            assert!(lookup(&vars).unwrap().is_none(), "{left_out} missing");
            vars.push((left_out, " "));
            assert!(lookup(&vars).unwrap().is_none(), "{left_out} empty");
        }
    }

    #[test]
    fn plain_http_only_to_this_machine_or_the_platforms_link() {
        for endpoint in [
            "http://localhost:8081/msi/token",
            "http://127.0.0.1:8081/msi/token",
            "http://[::1]:8081/msi/token",
            "http://LOCALHOST:8081/msi/token",
            "https://identity.example.com/token",
            "http://169.254.129.3:8081/msi/token",
            "http://169.254.169.254/metadata/identity/oauth2/token",
        ] {
            assert!(with(endpoint, "https://prices.example.com").unwrap().is_some(), "{endpoint}");
        }
        for endpoint in [
            "http://identity.example.com/token",
            "http://10.0.0.4:8081/msi/token",
            "http://localhost.example.com/token",
            "http://127.0.0.1.nip.io/token",
            "ftp://localhost/token",
            "not a url",
            "https://user:pass@identity.example.com/token",
        ] {
            let error = with(endpoint, "https://prices.example.com").unwrap_err();
            assert!(
                matches!(error, Error::Settings { variable: "IDENTITY_ENDPOINT", .. }),
                "{endpoint}: {error:?}"
            );
        }
        for service in ["http://prices.example.com", "http://169.254.129.3:8080"] {
            let error = with("http://localhost:8081/", service).unwrap_err();
            assert!(matches!(error, Error::Settings { variable: "PRICE_SERVICE_URL", .. }));
        }
    }

    #[test]
    fn the_prices_are_at_slash_prices() {
        for (service, prices) in [
            ("https://prices.example.com", "https://prices.example.com/prices"),
            ("https://prices.example.com/", "https://prices.example.com/prices"),
            ("https://example.com/shop/", "https://example.com/shop/prices"),
            ("http://127.0.0.1:9000/shop", "http://127.0.0.1:9000/shop/prices"),
        ] {
            let settings = with("http://localhost:1/", service).unwrap().unwrap();
            assert_eq!(settings.prices_url.as_str(), prices);
        }
    }

    #[test]
    fn debug_hides_the_identity_header() {
        let settings = with("http://localhost:1/", "https://p.example.com").unwrap().unwrap();
        let debug = format!("{settings:?}");
        assert!(debug.contains("api://prices"), "{debug}");
        assert!(!debug.contains("the-header-secret"), "{debug}");
    }

    #[test]
    fn a_header_that_cannot_be_sent_is_refused_without_quoting_it() {
        let error = lookup(&[
            ("IDENTITY_ENDPOINT", "http://localhost:1/"),
            ("IDENTITY_HEADER", "secret\nvalue"),
            ("PRICE_SERVICE_URL", "https://p.example.com"),
            ("PRICE_SERVICE_RESOURCE", "api://prices"),
        ])
        .unwrap_err();
        assert!(matches!(error, Error::Settings { variable: "IDENTITY_HEADER", .. }));
        assert!(!error.to_string().contains("secret"));
    }
}
