//! The checks of every step, a module a step, and what they share.

pub mod s01;
pub mod s02;
pub mod s03;
pub mod s04;
pub mod s05;
pub mod s06;

use reqwest::Url;

use crate::{check::Failure, http::Reply};

/// Where a redirect leads, as a path and query on this server; `None` when
/// it leads to another site (another host, port or scheme).
pub fn local_location(reply: &Reply, base_url: &str) -> Option<String> {
    let location = reply.header("location")?;
    let base = Url::parse(base_url).ok()?;
    let target = base.join(location).ok()?;
    let same_host = matches!(target.host_str(), Some("127.0.0.1" | "localhost"));
    let same_site = same_host && target.port_or_known_default() == base.port_or_known_default();
    same_site.then(|| match target.query() {
        Some(query) => format!("{}?{query}", target.path()),
        None => target.path().to_owned(),
    })
}

/// Fails unless `reply` is `303 See Other` to `path` on this server.
pub fn expect_redirect(reply: &Reply, base_url: &str, path: &str) -> Result<(), Failure> {
    let expected = format!("303 See Other with Location: {path}");
    if reply.status != 303 {
        return Err(reply.fail(expected));
    }
    match local_location(reply, base_url) {
        Some(location) if location == path => Ok(()),
        _ => Err(reply.fail(expected)),
    }
}

/// Fails unless the answer has `Cache-Control: no-store`.
pub fn expect_no_store(reply: &Reply) -> Result<(), Failure> {
    // Repeated Cache-Control fields are one comma-separated list (RFC 9110, 5.3).
    let no_store = reply
        .header_values("cache-control")
        .iter()
        .any(|value| value.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-store")));
    if no_store {
        Ok(())
    } else {
        Err(reply.fail("Cache-Control: no-store (a private page must never be cached)"))
    }
}

/// The value of query parameter `name` in a local path, decoded.
pub fn query_param(path_and_query: &str, name: &str) -> Option<String> {
    let url = Url::parse(&format!("http://x{path_and_query}")).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
