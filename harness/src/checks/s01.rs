//! Step 01: a login form, a protected page, static files, a session cookie.

use super::{expect_no_store, expect_redirect, local_location, query_param};
use crate::{
    check::{Check, Ctx, Failure, Outcome},
    check_fn, html,
    http::{Http, Reply},
    sandbox::random_token,
};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            id: "s01.starts",
            title: "the server starts and answers GET /",
            points: 1,
            requires: None,
            hint: "Read HOST and PORT from the environment, listen there, and answer GET /. The lines your server printed are below.",
            book: "grading.md#how-your-server-is-started",
            asvs: &[],
            run: check_fn!(starts),
        },
        Check {
            id: "s01.home-form",
            title: "GET / shows a sign-in form posting to /login",
            points: 1,
            requires: Some("s01.starts"),
            hint: "The page needs <form method=\"post\" action=\"/login\"> with inputs named username and password.",
            book: "01-hardcoded.md#the-sign-in-form",
            asvs: &[],
            run: check_fn!(home_form),
        },
        Check {
            id: "s01.static-files",
            title: "files under STATIC_DIR are served with their content type",
            points: 2,
            requires: Some("s01.starts"),
            hint: "Serve /static/<path> from the folder in STATIC_DIR (not a folder of your own), byte for byte, with a Content-Type that matches the file's extension.",
            book: "01-hardcoded.md#static-files-and-path-traversal",
            asvs: &["V14.4.1"],
            run: check_fn!(static_files),
        },
        Check {
            id: "s01.static-missing",
            title: "a missing static file is 404",
            points: 1,
            requires: Some("s01.starts"),
            hint: "A path under /static/ with no file behind it must answer 404 Not Found.",
            book: "01-hardcoded.md#static-files-and-path-traversal",
            asvs: &[],
            run: check_fn!(static_missing),
        },
        Check {
            id: "s01.static-traversal",
            title: "no path under /static/ reads a file outside STATIC_DIR",
            points: 3,
            requires: Some("s01.static-files"),
            hint: "Decode the path first, then refuse any `..`, absolute or drive component before you touch the file system; tower-http's ServeDir does this for you. Redirects are followed while they stay under /static/; where they end must be 404.",
            book: "01-hardcoded.md#static-files-and-path-traversal",
            asvs: &["V12.3.1", "V12.3.2"],
            run: check_fn!(static_traversal),
        },
        Check {
            id: "s01.login-success",
            title: "signing in with a right password: 303 to /cabinet and a session cookie",
            points: 2,
            requires: Some("s01.starts"),
            hint: "On POST /login with a right username and password, start a session, set the `session` cookie and answer 303 See Other to /cabinet. In the kit's exercise: `Users::verify` compares `digest(password)` with the user's digest by `ct_eq`; `TowerSession::start` calls `self.session.cycle_id()`, then `self.session.insert(SIGNED_IN, signed_in)`.",
            book: "01-hardcoded.md#starting-a-session",
            asvs: &[],
            run: check_fn!(login_success),
        },
        Check {
            id: "s01.login-every-user",
            title: "every user in fixtures/users.toml can sign in",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "Load every user of fixtures/users.toml, and take the password exactly as the form sent it (spaces, quotes and any Unicode included).",
            book: "01-hardcoded.md#checking-a-password",
            asvs: &["V2.1.4"],
            run: check_fn!(login_every_user),
        },
        Check {
            id: "s01.username-case",
            title: "usernames are compared without case",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "The contract compares usernames without case: `ALICE` is alice. Passwords keep their case.",
            book: "01-hardcoded.md#checking-a-password",
            asvs: &[],
            run: check_fn!(username_case),
        },
        Check {
            id: "s01.login-wrong-password",
            title: "a wrong, empty or almost-right password gets 401 and no session",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Compare the whole password (not a prefix, not trimmed, not case-folded), answer 401 with the form again, and sign no one in. In the kit's exercise: `user.filter(|_| matches)` once `ct_eq` has compared the digests.",
            book: "01-hardcoded.md#checking-a-password",
            asvs: &["V2.1.3"],
            run: check_fn!(login_wrong_password),
        },
        Check {
            id: "s01.login-unknown-user",
            title: "an unknown user gets the same answer as a wrong password",
            points: 2,
            requires: Some("s01.login-wrong-password"),
            hint: "Answer an unknown username exactly as a wrong password: same status, same page, same message, so no one can learn which usernames exist. In the kit's exercise: compare against `self.dummy_digest` when `self.get(username)` finds no one.",
            book: "01-hardcoded.md#checking-a-password",
            asvs: &[],
            run: check_fn!(login_unknown_user),
        },
        Check {
            id: "s01.no-password-in-answers",
            title: "a failed sign-in's answer never holds the password typed in",
            points: 1,
            requires: Some("s01.login-wrong-password"),
            hint: "Show the form again with an empty password field: never put what was typed into the page (not even escaped, not as a value=\"...\"), a header or a message.",
            book: "01-hardcoded.md#checking-a-password",
            asvs: &["V7.1.1"],
            run: check_fn!(no_password_in_answers),
        },
        Check {
            id: "s01.cookie-flags",
            title: "the session cookie is HttpOnly, SameSite=Lax, Path=/ and lasts the browser session",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Set-Cookie: session=<id>; HttpOnly; SameSite=Lax; Path=/ with no Max-Age or Expires, and no Secure when PUBLIC_URL is http://.",
            book: "01-hardcoded.md#the-session-cookie",
            asvs: &["V3.2.3", "V3.4.2", "V3.4.3"],
            run: check_fn!(cookie_flags),
        },
        Check {
            id: "s01.cookie-secure-https",
            title: "behind an https:// PUBLIC_URL the session cookie is Secure",
            points: 1,
            requires: Some("s01.cookie-flags"),
            hint: "Read PUBLIC_URL; when it starts with https:// add Secure to the session cookie.",
            book: "01-hardcoded.md#the-session-cookie",
            asvs: &["V3.4.1"],
            run: check_fn!(cookie_secure_https),
        },
        Check {
            id: "s01.session-fixation",
            title: "a session id from before sign-in never becomes signed in",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Give the session a new id at every sign-in (tower-sessions: `cycle_id`), whatever cookie the browser sent.",
            book: "01-hardcoded.md#starting-a-session",
            asvs: &["V3.2.1"],
            run: check_fn!(session_fixation),
        },
        Check {
            id: "s01.cabinet-anonymous",
            title: "GET /cabinet without a session: 303 to /?next=%2Fcabinet",
            points: 2,
            requires: Some("s01.starts"),
            hint: "Before showing the cabinet, find who is signed in; send anyone else to /?next=%2Fcabinet. In the kit's exercise: `let Some(username) = session.current_user().await else { ... }`, and `Redirect::to` in the `else`.",
            book: "01-hardcoded.md#guarding-a-page",
            asvs: &["V4.1.1"],
            run: check_fn!(cabinet_anonymous),
        },
        Check {
            id: "s01.cabinet-signed-in",
            title: "GET /cabinet signed in: 200, the username, Cache-Control: no-store",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Show the signed-in username on /cabinet and send Cache-Control: no-store so no cache keeps the page.",
            book: "01-hardcoded.md#guarding-a-page",
            asvs: &["V8.2.1"],
            run: check_fn!(cabinet_signed_in),
        },
        Check {
            id: "s01.home-signed-in",
            title: "GET / signed in: 200, a page showing the username",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "Look up the session on GET / too: signed in, show the username instead of the sign-in form.",
            book: "01-hardcoded.md#guarding-a-page",
            asvs: &[],
            run: check_fn!(home_signed_in),
        },
        Check {
            id: "s01.me-signed-in",
            title: "GET /api/me signed in: 200 JSON with the username, no-store",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Answer {\"username\": \"...\"} as application/json, with Cache-Control: no-store.",
            book: "01-hardcoded.md#guarding-a-page",
            asvs: &["V8.2.1"],
            run: check_fn!(me_signed_in),
        },
        Check {
            id: "s01.me-anonymous",
            title: "GET /api/me without a session: 401 JSON with an error, no-store",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Answer 401 with a JSON object holding a string `error`, with Cache-Control: no-store; an unknown or garbled cookie is no session.",
            book: "01-hardcoded.md#guarding-a-page",
            asvs: &["V4.1.1", "V8.2.1"],
            run: check_fn!(me_anonymous),
        },
        Check {
            id: "s01.next-local",
            title: "sign-in goes on to a local `next` path",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "When the form's `next` field is a local path, redirect there after sign-in instead of /cabinet.",
            book: "01-hardcoded.md#where-to-go-after-sign-in",
            asvs: &[],
            run: check_fn!(next_local),
        },
        Check {
            id: "s01.next-refused",
            title: "sign-in never redirects to another site (`//x`, `https://x`, `/\\x`)",
            points: 2,
            requires: Some("s01.next-local"),
            hint: "Follow `next` only when it starts with exactly one `/` followed by neither `/` nor `\\`; otherwise go to /cabinet.",
            book: "01-hardcoded.md#where-to-go-after-sign-in",
            asvs: &["V5.1.5"],
            run: check_fn!(next_refused),
        },
        Check {
            id: "s01.nosniff",
            title: "every answer says X-Content-Type-Options: nosniff",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Add X-Content-Type-Options: nosniff to every answer (pages, static files, redirects, 404s, errors) in one layer around the whole app, so no browser guesses a type the Content-Type does not say.",
            book: "01-hardcoded.md#security-headers-and-clickjacking",
            asvs: &["V14.4.4"],
            run: check_fn!(nosniff),
        },
        Check {
            id: "s01.frame-ancestors",
            title: "no other site may frame a page: CSP frame-ancestors or X-Frame-Options",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Add Content-Security-Policy: frame-ancestors 'none' (or X-Frame-Options: DENY) to every answer in one layer around the whole app, so no other site can show your pages in a frame and steal a click (clickjacking).",
            book: "01-hardcoded.md#security-headers-and-clickjacking",
            asvs: &["V14.4.7"],
            run: check_fn!(frame_ancestors),
        },
    ]
}

async fn starts(cx: &mut Ctx) -> Outcome {
    cx.http.get("/").send().await.map(drop)
}

async fn home_form(cx: &mut Ctx) -> Outcome {
    let reply = cx.http.get("/").send().await?;
    let expected = "200 with an HTML page holding <form method=\"post\" action=\"/login\"> with inputs username and password";
    if reply.status != 200 || reply.media_type() != "text/html" || login_form(&reply).is_none() {
        return Err(reply.fail(expected));
    }
    Ok(())
}

pub(super) fn login_form(reply: &Reply) -> Option<html::Form> {
    html::forms(&reply.text()).into_iter().find(|form| {
        form.posts_to("/login") && form.has_control("username") && form.has_control("password")
    })
}

async fn static_files(cx: &mut Ctx) -> Outcome {
    for file in &cx.sandbox.files {
        let reply = cx.http.get(&format!("/static/{}", file.url_path)).send().await?;
        let expected = format!(
            "200, Content-Type: {}, and the file's {} bytes",
            file.content_type,
            file.bytes.len()
        );
        if reply.status != 200
            || reply.media_type() != file.content_type
            || reply.body != file.bytes
        {
            return Err(reply.fail(expected));
        }
    }
    Ok(())
}

async fn static_missing(cx: &mut Ctx) -> Outcome {
    let token = random_token();
    for path in
        [format!("/static/missing-{token}.txt"), format!("/static/docs/missing-{token}.html")]
    {
        let reply = cx.http.get(&path).send().await?;
        if reply.status != 404 {
            return Err(reply.fail("404 Not Found"));
        }
    }
    Ok(())
}

async fn static_traversal(cx: &mut Ctx) -> Outcome {
    // secret.txt sits next to STATIC_DIR: `../secret.txt` from inside it.
    let absolute = cx.sandbox.secret_path.display().to_string();
    let encoded_absolute = absolute.replace('/', "%2F");
    let targets = [
        "/static/../secret.txt".to_owned(),
        "/static/docs/../../secret.txt".to_owned(),
        "/static/%2e%2e/secret.txt".to_owned(),
        "/static/..%2fsecret.txt".to_owned(),
        "/static/%2e%2e%2fsecret.txt".to_owned(),
        "/static/..%5csecret.txt".to_owned(),
        "/static/%252e%252e%252fsecret.txt".to_owned(),
        "/static/....//secret.txt".to_owned(),
        format!("/static/{encoded_absolute}"),
        format!("/static/{absolute}"),
    ];
    for target in targets {
        let reply = follow_under_static(&cx.http, &target).await?;
        if reply.body.windows(cx.sandbox.secret.len()).any(|w| w == cx.sandbox.secret.as_bytes()) {
            return Err(reply.fail(format!(
                "404, and never the contents of {}, which is outside STATIC_DIR",
                cx.sandbox.secret_path.display()
            )));
        }
        if reply.status != 404 {
            return Err(reply.fail("404 Not Found: the path leaves STATIC_DIR"));
        }
    }
    Ok(())
}

/// How many redirects the traversal check follows, as a browser would.
const STATIC_REDIRECTS: usize = 3;

/// GETs `target` byte for byte, then follows up to [`STATIC_REDIRECTS`]
/// redirects to this server that stay under `/static/` (Werkzeug answers a
/// doubled slash with a 308 to the merged path). The last answer.
async fn follow_under_static(http: &Http, target: &str) -> Result<Reply, Failure> {
    let mut reply = http.raw_get(target).await?;
    let mut sent = reply.sent.clone();
    for _ in 0..STATIC_REDIRECTS {
        if !matches!(reply.status, 301 | 302 | 303 | 307 | 308) {
            break;
        }
        let Some(next) = local_location(&reply, &http.base_url) else { break };
        if !next.starts_with("/static/") {
            break;
        }
        reply = http.raw_get(&next).await?;
        sent = format!("{sent}, redirected to {}", reply.sent);
    }
    reply.sent = sent;
    Ok(reply)
}

/// Answers of every kind a browser meets: a page, each static file, two
/// 404s, a redirect and a JSON 401.
async fn answers_of_every_kind(cx: &Ctx) -> Result<Vec<Reply>, Failure> {
    let token = &random_token()[..12];
    let mut paths = vec!["/".to_owned()];
    paths.extend(cx.sandbox.files.iter().map(|file| format!("/static/{}", file.url_path)));
    paths.extend([
        format!("/static/missing-{token}.txt"),
        format!("/no-such-page-{token}"),
        "/cabinet".to_owned(),
        "/api/me".to_owned(),
    ]);
    let mut replies = Vec::new();
    for path in paths {
        replies.push(cx.http.get(&path).send().await?);
    }
    Ok(replies)
}

/// A failure showing `reply` and what it said in the header `name`.
fn header_failure(reply: &Reply, names: &[&str], expected: &str) -> Failure {
    let mut failure = reply.fail(expected);
    let shown: Vec<String> = names
        .iter()
        .map(|name| match reply.header_values(name).as_slice() {
            [] => format!("{name}: (none)"),
            values => values.iter().map(|v| format!("{name}: {v}")).collect::<Vec<_>>().join("\n"),
        })
        .collect();
    failure.got = failure.got.map(|got| format!("{got}\n{}", shown.join("\n")));
    failure
}

async fn nosniff(cx: &mut Ctx) -> Outcome {
    for reply in answers_of_every_kind(cx).await? {
        let values = reply.header_values("x-content-type-options");
        if !values.iter().any(|v| v.trim().eq_ignore_ascii_case("nosniff")) {
            return Err(header_failure(
                &reply,
                &["x-content-type-options"],
                "X-Content-Type-Options: nosniff on every answer, whatever its status or type",
            ));
        }
    }
    Ok(())
}

/// Whether an answer forbids every other site to frame it: a CSP whose
/// `frame-ancestors` is `'none'` or `'self'`, or, with no `frame-ancestors`
/// at all (which would win over it), `X-Frame-Options: DENY` or `SAMEORIGIN`.
pub(super) fn frames_refused(reply: &Reply) -> bool {
    let sources = |directive: &str| -> Option<Vec<String>> {
        let mut words = directive.split_ascii_whitespace();
        let name = words.next()?;
        name.eq_ignore_ascii_case("frame-ancestors")
            .then(|| words.map(str::to_ascii_lowercase).collect())
    };
    let frame_ancestors: Vec<Vec<String>> = reply
        .header_values("content-security-policy")
        .iter()
        .flat_map(|policy| policy.split([';', ',']).filter_map(sources).collect::<Vec<_>>())
        .collect();
    if !frame_ancestors.is_empty() {
        // Every policy is enforced: one that allows no other site is enough.
        return frame_ancestors.iter().any(
            |sources| matches!(sources.as_slice(), [only] if only == "'none'" || only == "'self'"),
        );
    }
    let xfo = reply.header_values("x-frame-options");
    !xfo.is_empty()
        && xfo.iter().all(|v| {
            v.trim().eq_ignore_ascii_case("deny") || v.trim().eq_ignore_ascii_case("sameorigin")
        })
}

async fn frame_ancestors(cx: &mut Ctx) -> Outcome {
    for reply in answers_of_every_kind(cx).await? {
        if !frames_refused(&reply) {
            return Err(header_failure(
                &reply,
                &["content-security-policy", "x-frame-options"],
                "Content-Security-Policy: frame-ancestors 'none' (or 'self'), or X-Frame-Options: DENY (or SAMEORIGIN), on every answer",
            ));
        }
    }
    Ok(())
}

/// POSTs the sign-in form.
pub(super) async fn post_login(
    http: &Http,
    username: &str,
    password: &str,
    next: Option<&str>,
    cookie: Option<&str>,
) -> Result<Reply, Failure> {
    let mut fields = vec![("username", username), ("password", password)];
    if let Some(next) = next {
        fields.push(("next", next));
    }
    let mut request = http.post_form("/login", &fields);
    if let Some(cookie) = cookie {
        request = request.session(cookie);
    }
    request.send().await
}

/// Signs in and returns the new session cookie's value.
pub(super) async fn sign_in(
    http: &Http,
    username: &str,
    password: &str,
) -> Result<String, Failure> {
    let reply = post_login(http, username, password, None, None).await?;
    signed_in_cookie(&reply)
}

/// Signs `username` in `n` times at once; the distinct session cookies,
/// which must be `n`: two sign-ins never share a session.
pub(super) async fn sign_in_at_once(
    http: &Http,
    username: &str,
    password: &str,
    n: usize,
) -> Result<std::collections::BTreeSet<String>, Failure> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (http, username, password) = (http.clone(), username.to_owned(), password.to_owned());
        tasks.spawn(async move { sign_in(&http, &username, &password).await });
    }
    let mut cookies = std::collections::BTreeSet::new();
    for cookie in tasks.join_all().await {
        cookies.insert(cookie?);
    }
    if cookies.len() != n {
        return Err(Failure::new(format!("{n} distinct session ids for {n} sign-ins at once"))
            .got(format!("{} distinct", cookies.len())));
    }
    Ok(cookies)
}

pub(super) fn signed_in_cookie(reply: &Reply) -> Result<String, Failure> {
    match reply.new_session() {
        Some(value) if reply.status == 303 => Ok(value),
        _ => Err(reply.fail("303 See Other and Set-Cookie: session=<id>")),
    }
}

/// Fails if `cookie` is signed in as anyone (`/api/me` answers 200).
pub(super) async fn expect_anonymous(http: &Http, cookie: &str, why: &str) -> Outcome {
    let reply = http.get("/api/me").session(cookie).send().await?;
    if reply.status == 200 {
        return Err(reply.fail(format!("401: {why}")));
    }
    Ok(())
}

async fn login_success(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let reply = post_login(&cx.http, &user.username, &user.password, None, None).await?;
    expect_redirect(&reply, &cx.http.base_url, "/cabinet")?;
    signed_in_cookie(&reply).map(drop)
}

async fn login_every_user(cx: &mut Ctx) -> Outcome {
    for user in &cx.users {
        sign_in(&cx.http, &user.username, &user.password).await?;
    }
    Ok(())
}

async fn username_case(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    sign_in(&cx.http, &user.username.to_uppercase(), &user.password).await.map(drop)
}

async fn login_wrong_password(cx: &mut Ctx) -> Outcome {
    // Two users take turns, so that no name collects the five failures
    // that throttle it from step 02 on.
    let users = [cx.user(2).clone(), cx.user(3).clone()];
    let mut attempts = Vec::new();
    for user in &users {
        let right = user.password.as_str();
        let almost: String = right.chars().take(right.chars().count() - 1).collect();
        attempts.push((user, format!("not-{right}")));
        attempts.push((user, String::new()));
        attempts.push((user, format!("{right}x")));
        attempts.push((user, almost));
    }
    let (first, second) = (&users[0].password, &users[1].password);
    attempts[2].1 = format!(" {first} ");
    if first.to_uppercase() != *first {
        attempts[1].1 = first.to_uppercase();
    }
    if second.to_lowercase() != *second {
        attempts[4].1 = second.to_lowercase();
    }
    for (user, password) in attempts {
        let reply = post_login(&cx.http, &user.username, &password, None, None).await?;
        if reply.status != 401 {
            return Err(reply.fail("401 Unauthorized"));
        }
        if login_form(&reply).is_none() {
            return Err(reply.fail("401 with the sign-in form again (a form posting to /login)"));
        }
        if let Some(cookie) = reply.new_session() {
            expect_anonymous(&cx.http, &cookie, "a failed sign-in must sign no one in").await?;
        }
    }
    Ok(())
}

async fn login_unknown_user(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let unknown = format!("nobody{}", &random_token()[..8]);
    let password = format!("not-{}", user.password);
    let known = post_login(&cx.http, &user.username, &password, None, None).await?;
    let stranger = post_login(&cx.http, &unknown, &password, None, None).await?;
    if stranger.status != 401 {
        return Err(stranger.fail("401 Unauthorized"));
    }
    // What a person reads must be the same; markup, tokens and request ids
    // may differ, and the username typed in may be shown back.
    let seen_known = comparable(&known.text(), &user.username);
    let seen_stranger = comparable(&stranger.text(), &unknown);
    if known.status != stranger.status || seen_known != seen_stranger {
        let (a, b) = first_difference(&seen_known, &seen_stranger);
        return Err(Failure::new(format!(
            "the same status and text as for a wrong password ({}), apart from the username itself",
            known.status
        ))
        .sent(format!("{}\nand then {}", known.sent, stranger.sent))
        .got(format!(
            "{} for the unknown user, whose page differs where the wrong-password page says\n  ...{a}...\nand it says\n  ...{b}...",
            stranger.status
        )));
    }
    Ok(())
}

async fn no_password_in_answers(cx: &mut Ctx) -> Outcome {
    // User 1 fails once here: users 2 and 3 already failed four times each,
    // and from step 02 on, five failures throttle a name.
    let user = cx.user(1).clone();
    let unknown = format!("nobody{}", &random_token()[..8]);
    // Characters that HTML escapes, around a token that no escaping changes.
    let token = random_token();
    let typed = format!("Wr0ng \"{token}\" <&> 'pw'");
    for username in [user.username.as_str(), unknown.as_str()] {
        let reply = post_login(&cx.http, username, &typed, None, None).await?;
        if reply.status != 401 {
            return Err(reply.fail("401 Unauthorized"));
        }
        if let Some(shown) = password_shown(&reply, &typed, &token) {
            let mut failure = reply.fail(
                "401 with the form again, without the password that was typed in (in any form)",
            );
            failure.got = failure.got.map(|got| format!("{got}\n{shown}"));
            return Err(failure);
        }
    }
    Ok(())
}

/// Where an answer shows `password` (as typed, escaped or otherwise
/// encoded: `token` is the part of it no encoding changes), if it does.
fn password_shown(reply: &Reply, password: &str, token: &str) -> Option<String> {
    let body = reply.text();
    if let Some(at) = body.find(token) {
        let how = if body.contains(password) { "as typed" } else { "escaped or encoded" };
        let before: Vec<char> = body[..at].chars().rev().take(60).collect();
        let before: String = before.into_iter().rev().collect();
        let after: String = body[at..].chars().take(token.len() + 60).collect();
        let around = format!("{before}{after}").replace('\n', " ");
        return Some(format!("the page holds the password {how}: ...{around}..."));
    }
    reply
        .headers
        .iter()
        .find(|(_, value)| String::from_utf8_lossy(value.as_bytes()).contains(token))
        .map(|(name, _)| format!("the header {name} holds the password"))
}

/// The text of a failed sign-in's page, with the username typed in
/// replaced by a placeholder.
fn comparable(page: &str, username: &str) -> String {
    html::visible_text(page).replace(username, "{username}")
}

/// A few words around the first place two texts differ.
fn first_difference(a: &str, b: &str) -> (String, String) {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let window = |words: &[&str]| words[at.saturating_sub(3)..(at + 6).min(words.len())].join(" ");
    (window(&a), window(&b))
}

async fn cookie_flags(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let reply = post_login(&cx.http, &user.username, &user.password, None, None).await?;
    let Some(cookie) = reply.session_cookie() else {
        return Err(reply.fail("Set-Cookie: session=<id>; HttpOnly; SameSite=Lax; Path=/"));
    };
    let problems: Vec<&str> = [
        (!cookie.has("httponly"), "HttpOnly is missing: scripts could read the session id"),
        (
            !cookie.get("samesite").is_some_and(|v| v.eq_ignore_ascii_case("lax")),
            "SameSite must be Lax",
        ),
        (cookie.get("path") != Some("/"), "Path must be /"),
        (
            cookie.has("max-age") || cookie.has("expires"),
            "Max-Age or Expires makes it outlive the browser session",
        ),
        (cookie.has("secure"), "Secure must be absent when PUBLIC_URL is http://"),
    ]
    .into_iter()
    .filter_map(|(wrong, problem)| wrong.then_some(problem))
    .collect();
    if !problems.is_empty() {
        return Err(reply.fail(format!(
            "Set-Cookie: session=<id>; HttpOnly; SameSite=Lax; Path=/ (but: {})",
            problems.join("; ")
        )));
    }
    Ok(())
}

async fn cookie_secure_https(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let crate::check::Other { mut server, http, .. } =
        cx.start_another(&[("PUBLIC_URL", "https://127.0.0.1:{port}")]).await?;
    let outcome = async {
        cx.ensure_account(&http, &user).await?;
        let reply = post_login(&http, &user.username, &user.password, None, None).await?;
        match reply.session_cookie() {
            Some(cookie) if cookie.has("secure") => Ok(()),
            _ => Err(reply
                .fail("a session cookie with Secure, since PUBLIC_URL starts with https://")
                .sent(format!("{} (to a server started with PUBLIC_URL=https://...)", reply.sent))),
        }
    }
    .await;
    server.stop().await;
    outcome
}

async fn session_fixation(cx: &mut Ctx) -> Outcome {
    let alice = cx.user(0).clone();
    let bob = cx.user(1).clone();
    let http = &cx.http;

    // An id an attacker made up and planted in the victim's browser.
    let planted = format!("{}Ab-_{}", random_token(), &random_token()[..4]);
    let reply = post_login(http, &alice.username, &alice.password, None, Some(&planted)).await?;
    let fresh = signed_in_cookie(&reply)?;
    if fresh == planted {
        return Err(reply.fail("a new session id, not the one the browser sent"));
    }
    expect_anonymous(http, &planted, "the id sent before sign-in must not be signed in").await?;

    // An id the server itself handed out before sign-in.
    let early = http.get("/").send().await?.new_session();
    let early = match early {
        Some(id) => Some(id),
        None => {
            post_login(http, &alice.username, "wrong password", None, None).await?.new_session()
        }
    };
    if let Some(early) = early {
        let reply = post_login(http, &alice.username, &alice.password, None, Some(&early)).await?;
        let fresh = signed_in_cookie(&reply)?;
        if fresh == early {
            return Err(reply.fail("a new session id, not the one handed out before sign-in"));
        }
        expect_anonymous(http, &early, "the id handed out before sign-in must not be signed in")
            .await?;
    }

    // A signed-in id, used to sign in as someone else.
    let alices = sign_in(http, &alice.username, &alice.password).await?;
    let reply = post_login(http, &bob.username, &bob.password, None, Some(&alices)).await?;
    let bobs = signed_in_cookie(&reply)?;
    if bobs == alices {
        return Err(reply.fail("a new session id at every sign-in, also over an existing session"));
    }
    let old = http.get("/api/me").session(&alices).send().await?;
    if old.status == 200 && old.text().to_lowercase().contains(&bob.username.to_lowercase()) {
        return Err(old.fail(format!("the old id never signed in as {}", bob.username)));
    }
    Ok(())
}

async fn cabinet_anonymous(cx: &mut Ctx) -> Outcome {
    let garbage = format!("garbage-{}", random_token());
    for cookie in [None, Some(garbage.as_str())] {
        let mut request = cx.http.get("/cabinet");
        if let Some(cookie) = cookie {
            request = request.session(cookie);
        }
        let reply = request.send().await?;
        let location = local_location(&reply, &cx.http.base_url);
        let back_to_cabinet = location.as_deref().is_some_and(|location| {
            location.split('?').next() == Some("/")
                && query_param(location, "next").as_deref() == Some("/cabinet")
        });
        if reply.status != 303 || !back_to_cabinet {
            return Err(reply.fail("303 See Other with Location: /?next=%2Fcabinet"));
        }
    }
    Ok(())
}

async fn cabinet_signed_in(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.get("/cabinet").session(&cookie).send().await?;
    if reply.status != 200
        || reply.media_type() != "text/html"
        || !reply.text().contains(&user.username)
    {
        return Err(
            reply.fail(format!("200, an HTML page that shows the username {:?}", user.username))
        );
    }
    expect_no_store(&reply)
}

async fn home_signed_in(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.get("/").session(&cookie).send().await?;
    let shown = html::visible_text(&reply.text()).to_lowercase();
    if reply.status != 200
        || reply.media_type() != "text/html"
        || !shown.contains(&user.username.to_lowercase())
    {
        return Err(reply.fail(format!(
            "200, an HTML page that shows the username {:?}, who is signed in",
            user.username
        )));
    }
    Ok(())
}

async fn me_signed_in(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.get("/api/me").session(&cookie).send().await?;
    let json: Option<serde_json::Value> = serde_json::from_slice(&reply.body).ok();
    let username = json.as_ref().and_then(|j| j.get("username")).and_then(|v| v.as_str());
    let right = username.is_some_and(|name| name.eq_ignore_ascii_case(&user.username));
    if reply.status != 200 || !reply.is_json() || !right {
        return Err(reply.fail(format!(
            "200, Content-Type: application/json, body {{\"username\": {:?}, ...}}",
            user.username
        )));
    }
    expect_no_store(&reply)
}

async fn me_anonymous(cx: &mut Ctx) -> Outcome {
    let garbage = format!("garbage-{}", random_token());
    for cookie in [None, Some(garbage.as_str())] {
        let mut request = cx.http.get("/api/me");
        if let Some(cookie) = cookie {
            request = request.session(cookie);
        }
        let reply = request.send().await?;
        let json: Option<serde_json::Value> = serde_json::from_slice(&reply.body).ok();
        let has_error = json.as_ref().and_then(|j| j.get("error")).is_some_and(|e| e.is_string());
        if reply.status != 401 || !reply.is_json() || !has_error {
            return Err(
                reply.fail("401, Content-Type: application/json, body {\"error\": \"...\"}")
            );
        }
        expect_no_store(&reply)?;
    }
    Ok(())
}

async fn next_local(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    for next in ["/api/me", "/cabinet?tab=2"] {
        let reply = post_login(&cx.http, &user.username, &user.password, Some(next), None).await?;
        expect_redirect(&reply, &cx.http.base_url, next)?;
    }
    Ok(())
}

async fn next_refused(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let attempts = [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
        "evil.example",
    ];
    for next in attempts {
        let reply = post_login(&cx.http, &user.username, &user.password, Some(next), None).await?;
        expect_redirect(&reply, &cx.http.base_url, "/cabinet").map_err(|failure| Failure {
            expected: format!("{} (`next` is not a local path)", failure.expected),
            ..failure
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn reply(headers: &[(&'static str, &'static str)]) -> Reply {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        Reply { sent: String::new(), status: 200, headers: map, body: Vec::new() }
    }

    #[test]
    fn framing_is_refused_by_frame_ancestors_or_x_frame_options() {
        let refused = [
            vec![("content-security-policy", "frame-ancestors 'none'")],
            vec![("content-security-policy", "default-src 'self'; Frame-Ancestors 'SELF'")],
            vec![("x-frame-options", "DENY")],
            vec![("x-frame-options", "sameorigin")],
            vec![
                ("content-security-policy", "frame-ancestors https://x.example"),
                ("content-security-policy", "frame-ancestors 'none'"),
            ],
        ];
        for headers in refused {
            assert!(frames_refused(&reply(&headers)), "{headers:?}");
        }
        let allowed = [
            vec![],
            vec![("content-security-policy", "default-src 'self'")],
            vec![("content-security-policy", "frame-ancestors *")],
            vec![("content-security-policy", "frame-ancestors 'self' https://x.example")],
            // frame-ancestors wins over X-Frame-Options in browsers.
            vec![("content-security-policy", "frame-ancestors *"), ("x-frame-options", "DENY")],
            vec![("x-frame-options", "ALLOW-FROM https://x.example")],
        ];
        for headers in allowed {
            assert!(!frames_refused(&reply(&headers)), "{headers:?}");
        }
    }
}
