//! What the harness and the book must agree on: the checks tables the
//! book includes, the security checklist (ASVS), and the headings the
//! hints link to.

pub mod listings;

use std::fmt::Write as _;

use crate::{check::Check, steps::Step};

/// Where a step's checks table lives, under `book/src/`.
pub fn checks_table_path(step: &Step) -> String {
    format!("checks/{}.md", step.id)
}

/// The book's table of a step's checks, made from the registry.
pub fn checks_table(step: &Step) -> String {
    let mut table = String::from(
        "<!-- Made by `cargo authlings dev book` from the harness's checks: do not edit. -->\n\n\
         | id | points | needs | what it checks |\n|---|---|---|---|\n",
    );
    for check in (step.checks)() {
        let needs = check.requires.map_or(String::new(), |id| format!("`{id}`"));
        // The table is included into the step's chapter, so a link to a
        // section of that chapter is just its anchor.
        let link = match check.book.split_once('#') {
            Some((file, anchor)) if file == format!("{}.md", step.folder) => format!("#{anchor}"),
            _ => check.book.to_owned(),
        };
        // A title is text, not HTML: `<id>` must show, not vanish as a tag.
        let title = check.title.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;");
        writeln!(table, "| `{}` | {} | {needs} | [{title}]({link}) |", check.id, check.points)
            .unwrap();
    }
    table
}

/// Where the security checklist's generated tables live, under `book/src/`
/// (included by `asvs.md`).
pub const ASVS_TABLE_PATH: &str = "checks/asvs.md";

/// The OWASP ASVS 4.0.3 requirements the checks name, each in a few words
/// of our own (the standard's full text: <https://github.com/OWASP/ASVS>,
/// CC BY-SA 4.0). A check's `asvs` may only name a requirement listed here.
pub const ASVS: &[(&str, &str)] = &[
    ("V2.1.1", "user-set passwords are at least 12 characters long"),
    ("V2.1.2", "passwords of 64 characters are allowed, longer than 128 refused"),
    ("V2.1.3", "passwords are never truncated"),
    ("V2.1.4", "any printable Unicode character, spaces and emoji included, may be in a password"),
    ("V2.1.7", "passwords are checked against a list of breached or common passwords"),
    ("V2.1.9", "no composition rules (upper case, digits, symbols) for passwords"),
    (
        "V2.2.1",
        "anti-automation stops brute force and credential stuffing without letting attackers lock accounts",
    ),
    ("V2.4.1", "passwords are stored salted and hashed with an approved password hashing function"),
    ("V2.4.2", "each credential has its own random salt of at least 32 bits"),
    (
        "V2.4.5",
        "argon2id runs with at least 15 MiB of memory, 2 iterations and 1 degree of parallelism",
    ),
    ("V2.10.4", "secrets and keys are not in the source code"),
    ("V3.1.1", "session tokens never appear in URLs"),
    ("V3.2.1", "a new session token is made at every sign-in"),
    ("V3.2.2", "session tokens have at least 64 bits of entropy"),
    (
        "V3.2.3",
        "session tokens are kept in the browser only by secure means, such as well-set cookies",
    ),
    ("V3.2.4", "session tokens are made with approved cryptographic algorithms"),
    ("V3.3.1", "signing out and expiry invalidate the session token on the server"),
    (
        "V3.3.2",
        "a session that stays signed in is re-authenticated after a lifetime or an idle period",
    ),
    ("V3.3.4", "users can see their active sessions and end any of them"),
    ("V3.4.1", "session cookies are `Secure`"),
    ("V3.4.2", "session cookies are `HttpOnly`"),
    ("V3.4.3", "session cookies carry `SameSite` against cross-site request forgery"),
    ("V3.4.4", "session cookies use the `__Host-` prefix"),
    ("V3.4.5", "session cookies have the most precise `Path` when a domain is shared"),
    ("V3.5.1", "users can revoke the OAuth tokens of linked applications"),
    (
        "V3.5.3",
        "stateless tokens are signed and protected against tampering, replay and key substitution",
    ),
    ("V3.7.1", "sensitive actions need a full, valid session or re-authentication"),
    ("V4.1.1", "access control is enforced on the server"),
    ("V4.1.3", "users reach only what they are authorised for (least privilege)"),
    ("V4.1.5", "access control fails closed, also on errors"),
    ("V4.2.2", "state-changing requests are protected against cross-site request forgery"),
    ("V5.1.3", "input is validated against an allow list"),
    ("V5.1.5", "redirects go only to allowed destinations"),
    ("V5.3.1", "output is encoded for its context (HTML, attributes, URLs, headers)"),
    ("V5.3.3", "escaping protects against reflected, stored and DOM cross-site scripting"),
    ("V5.3.4", "database queries are parameterised"),
    ("V5.3.9", "no local or remote file inclusion"),
    ("V6.2.2", "proven cryptographic algorithms and libraries, no home-made cryptography"),
    ("V6.2.8", "cryptographic comparisons take constant time"),
    ("V6.3.1", "unguessable values come from a cryptographically secure random generator"),
    ("V7.1.1", "credentials are never logged; session tokens only hashed"),
    ("V7.4.1", "unexpected or security-sensitive errors show a generic message"),
    ("V8.1.2", "copies of sensitive data kept on the server are protected from other users"),
    ("V8.2.1", "anti-caching headers keep sensitive pages out of browser caches"),
    ("V8.3.1", "sensitive data travels in the body or headers, never in the query string"),
    (
        "V8.3.4",
        "the sensitive data the application makes or handles is known, and handled by a policy",
    ),
    ("V9.2.1", "connections to other servers use trusted TLS certificates"),
    ("V11.1.6", "no time-of-check to time-of-use races in sensitive operations"),
    (
        "V12.3.1",
        "file names from requests are not used directly by the file system: no path traversal",
    ),
    ("V12.3.2", "file names from requests cannot disclose, create or delete local files"),
    ("V13.2.1", "each HTTP method is a valid choice for the action it triggers"),
    (
        "V13.2.3",
        "services using cookies refuse cross-site requests (CSRF token, double submit or Origin check)",
    ),
    ("V14.4.1", "every answer has a Content-Type that matches its content"),
    ("V14.4.4", "every answer carries `X-Content-Type-Options: nosniff`"),
    (
        "V14.4.7",
        "content may not be framed by other sites: CSP `frame-ancestors` or `X-Frame-Options`",
    ),
    ("V14.5.3", "CORS allows only listed origins, never `null`"),
];

/// The words of an ASVS requirement, if the catalogue has them.
pub fn asvs_words(id: &str) -> Option<&'static str> {
    ASVS.iter().find(|(known, _)| *known == id).map(|(_, words)| *words)
}

/// The security checklist's tables, made from the registry: requirement
/// by requirement with the checks that cover it, then every check.
pub fn asvs_table(steps: &[Step]) -> String {
    // A later step grades the earlier steps' checks again: each check once,
    // with the steps that grade it.
    let mut checks: Vec<(Check, Vec<&str>)> = Vec::new();
    for step in steps {
        for check in (step.checks)() {
            match checks.iter_mut().find(|(known, _)| known.id == check.id) {
                Some((_, graded_in)) => graded_in.push(step.id),
                None => checks.push((check, vec![step.id])),
            }
        }
    }
    let mut covered: Vec<&str> =
        checks.iter().flat_map(|(check, _)| check.asvs.iter().copied()).collect();
    covered.sort_by_key(|id| requirement_order(id));
    covered.dedup();
    let mut out = String::from(
        "<!-- Made by `cargo authlings dev book` from the harness's checks: do not edit. -->\n\n\
         ### Requirement by requirement\n\n\
         | ASVS 4.0.3 | what it asks | checked by |\n|---|---|---|\n",
    );
    for id in &covered {
        let by: Vec<String> = checks
            .iter()
            .filter(|(check, _)| check.asvs.contains(id))
            .map(|(check, _)| format!("`{}`", check.id))
            .collect();
        let words = asvs_words(id).unwrap_or("(not in the catalogue: add it to `book::ASVS`)");
        writeln!(out, "| {id} | {words} | {} |", by.join(", ")).unwrap();
    }
    out.push_str(
        "\n### Check by check\n\n\
         | check | points | graded in steps | ASVS 4.0.3 |\n|---|---|---|---|\n",
    );
    for (check, graded_in) in &checks {
        let ids = if check.asvs.is_empty() { "—".to_owned() } else { check.asvs.join(", ") };
        let steps = graded_in.join(", ");
        writeln!(out, "| `{}` | {} | {steps} | {ids} |", check.id, check.points).unwrap();
    }
    out
}

/// `V3.4.2` sorts as (3, 4, 2), so V12 comes after V9.
fn requirement_order(id: &str) -> Vec<u32> {
    id.trim_start_matches('V').split('.').map(|n| n.parse().unwrap_or(u32::MAX)).collect()
}

/// The ids mdBook gives the headings of a Markdown page.
pub fn heading_ids(markdown: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let Some(text) = line.strip_prefix('#').filter(|_| !in_code) else {
            continue;
        };
        let text = text.trim_start_matches('#').trim();
        let base = normalize_id(text);
        let mut id = base.clone();
        let mut n = 0;
        while ids.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        ids.push(id);
    }
    ids
}

/// mdBook's rule: letters, digits, `_` and `-` kept (lower case), spaces
/// become `-`, everything else is dropped.
fn normalize_id(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::heading_ids;

    #[test]
    fn ids_follow_mdbook() {
        let page = "# Step 01: a login form\n## Where to go after sign-in\n```\n# not a heading\n```\n## Checks\n## Checks\n";
        assert_eq!(
            heading_ids(page),
            ["step-01-a-login-form", "where-to-go-after-sign-in", "checks", "checks-1"]
        );
    }
}
