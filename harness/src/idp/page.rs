//! The few HTML pages the provider shows a person: the sign-in page, its
//! error page, the signed-out page. Everything they echo is escaped: the
//! request is the app's (or an attacker's), never the provider's.

use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

/// Text made safe for HTML content and quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A whole page around `body`, which must be HTML already escaped.
pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} - Authlings mock provider</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n<h1>{title}</h1>\n{body}\n\
         <p class=\"note\">This is the Authlings mock OpenID provider, on your own computer. \
         It is not Google: no password is asked and nothing leaves this machine.</p>\n\
         </main>\n</body>\n</html>\n",
        title = escape(title),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            // Its own styles and pictures only; and no framing, so another
            // site cannot trick a person into pressing Allow.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(html),
    )
        .into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0}\
main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem}\
label{display:block;margin:.4rem 0}fieldset{border:1px solid #ddd;border-radius:.3rem}\
button{font-size:1rem;padding:.4rem 1.2rem;margin:1rem .5rem 0 0}\
code{word-break:break-all}.note{color:#666;font-size:.85rem;margin-top:2rem}\
.unverified{color:#a40}";
