//! Where to send a user after sign-in: only ever somewhere on this site.

/// Returns `next` when it is a local path, `None` when following it could
/// leave the site (an open redirect).
///
/// A local path starts with exactly one `/`. Browsers read `//host` and
/// `/\host` as another host, and they silently drop tabs and newlines inside
/// a URL, so `/\t/host` becomes `//host`: control characters are refused too.
pub fn local_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(char::is_control);
    local.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_next;

    #[test]
    fn local_paths_are_kept() {
        for path in ["/", "/cabinet", "/api/me?x=1#top", "/a//b"] {
            assert_eq!(local_next(path), Some(path), "{path}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for path in [
            "",
            "cabinet",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
        ] {
            assert_eq!(local_next(path), None, "{path:?}");
        }
    }
}
