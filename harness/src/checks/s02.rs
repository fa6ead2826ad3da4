//! Step 02: registration with argon2id, logout, session renewal,
//! cross-site refusal, throttling; and everything of step 01 still holds.

use std::time::Duration;

use argon2::{PasswordVerifier, password_hash::phc::PasswordHash};
use tokio::task::JoinSet;

use super::s01::{self, expect_anonymous, post_login, sign_in, signed_in_cookie};
use crate::{
    check::{Check, Ctx, Failure, Outcome},
    check_fn,
    fixtures::User,
    html,
    http::{Http, Reply},
    sandbox::random_token,
};

/// Step 01's checks that still apply, with sign-in now needing a registered
/// account; then step 02's own.
pub fn checks() -> Vec<Check> {
    let mut checks: Vec<Check> = s01::checks()
        .into_iter()
        // Step 02 has no compiled-in users.
        .filter(|check| check.id != "s01.login-every-user")
        .map(|mut check| {
            if check.id == "s01.login-success" {
                check.requires = Some("s02.register");
            }
            check
        })
        .collect();
    let login_success = checks.iter().position(|c| c.id == "s01.login-success").expect("kept");
    checks.splice(login_success..login_success, [
        Check {
            id: "s02.register-form",
            title: "GET /register and /register/ show a form posting to /register",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Serve both paths with <form method=\"post\" action=\"/register\"> holding inputs username and password.",
            book: "02-registration.md#registering",
            asvs: &[],
            run: check_fn!(register_form),
        },
        Check {
            id: "s02.register",
            title: "registering: 303 to /cabinet, signed in, passwords with spaces, quotes and Unicode",
            points: 3,
            requires: Some("s01.starts"),
            hint: "On POST /register with a valid new name and password, store the account, start a session and answer 303 to /cabinet.",
            book: "02-registration.md#registering",
            asvs: &["V2.1.4"],
            run: check_fn!(register),
        },
    ]);
    checks.extend([
        Check {
            id: "s02.register-taken",
            title: "a taken username, in any case, gets 409",
            points: 2,
            requires: Some("s02.register"),
            hint: "Compare usernames without case: if `Alice` exists, `ALICE` is taken too. Answer 409 Conflict.",
            book: "02-registration.md#registration-rules",
            asvs: &[],
            run: check_fn!(register_taken),
        },
        Check {
            id: "s02.username-rules",
            title: "usernames outside 3-32 of a-z 0-9 _ . - get 400",
            points: 1,
            requires: Some("s02.register"),
            hint: "Refuse names shorter than 3 or longer than 32 characters, or with anything but letters, digits, `_`, `.` and `-`, with 400.",
            book: "02-registration.md#registration-rules",
            asvs: &["V5.1.3"],
            run: check_fn!(username_rules),
        },
        Check {
            id: "s02.password-length",
            title: "passwords of 8 to 128 characters are taken, shorter or longer get 400",
            points: 1,
            requires: Some("s02.register"),
            hint: "Count characters, not bytes: 8 to 128 of any kind. Answer 400 with the reason otherwise.",
            book: "02-registration.md#registration-rules",
            asvs: &["V2.1.1", "V2.1.2"],
            run: check_fn!(password_length),
        },
        Check {
            id: "s02.password-common",
            title: "a password from fixtures/common-passwords.txt gets 400",
            points: 1,
            requires: Some("s02.register"),
            hint: "Load fixtures/common-passwords.txt and refuse any password in it, compared without case.",
            book: "02-registration.md#registration-rules",
            asvs: &["V2.1.7"],
            run: check_fn!(password_common),
        },
        Check {
            id: "s02.password-not-username",
            title: "a password equal to the username gets 400",
            points: 1,
            requires: Some("s02.register"),
            hint: "Refuse a password that is the username (compared without case).",
            book: "02-registration.md#registration-rules",
            asvs: &[],
            run: check_fn!(password_not_username),
        },
        Check {
            id: "s02.no-truncation",
            title: "every character of a long password counts (no truncation at 72 bytes)",
            points: 2,
            requires: Some("s02.register"),
            hint: "Hash the whole password. bcrypt, for one, silently ignores everything after 72 bytes; argon2id does not.",
            book: "02-registration.md#storing-passwords",
            asvs: &["V2.1.3"],
            run: check_fn!(no_truncation),
        },
        Check {
            id: "s02.hashed",
            title: "users.json holds argon2id hashes (m>=19456, t>=2), salted, and never the password",
            points: 3,
            requires: Some("s02.register"),
            hint: "Store only `password_hash`: an argon2id PHC string made with a random salt, at OWASP's parameters or stronger.",
            book: "02-registration.md#storing-passwords",
            asvs: &["V2.4.1", "V2.4.2", "V2.4.5"],
            run: check_fn!(hashed),
        },
        Check {
            id: "s02.logout",
            title: "POST /logout ends the session on the server and expires the cookie",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Delete the session from the store (tower-sessions: `flush`), not only the cookie: a copied cookie must stop working.",
            book: "02-registration.md#signing-out",
            asvs: &["V3.3.1"],
            run: check_fn!(logout),
        },
        Check {
            id: "s02.logout-get",
            title: "GET /logout shows a sign-out button and changes nothing",
            points: 1,
            requires: Some("s02.logout"),
            hint: "A GET can be triggered by a link or an image: only show a form posting to /logout.",
            book: "02-registration.md#signing-out",
            asvs: &["V4.2.2"],
            run: check_fn!(logout_get),
        },
        Check {
            id: "s02.sign-out-button",
            title: "signed-in pages (/ and /cabinet) show a sign-out button",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "Signed in, / and /cabinet need a <form method=\"post\" action=\"/logout\">.",
            book: "02-registration.md#signing-out",
            asvs: &[],
            run: check_fn!(sign_out_button),
        },
        Check {
            id: "s02.session-renewed",
            title: "a new sign-in gives a new session id and ends the old one",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Renew the session id at every sign-in, and make sure the old id is gone from the store.",
            book: "02-registration.md#renewing-the-session-id",
            asvs: &["V3.2.1"],
            run: check_fn!(session_renewed),
        },
        Check {
            id: "s02.cross-origin",
            title: "POSTs from another site (Origin, Sec-Fetch-Site) get 403 and change nothing",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Before any POST handler runs, compare Origin with PUBLIC_URL's origin and refuse `Sec-Fetch-Site: cross-site`, with 403.",
            book: "02-registration.md#refusing-cross-site-requests",
            asvs: &["V4.2.2", "V13.2.3"],
            run: check_fn!(cross_origin),
        },
        Check {
            id: "s02.throttle",
            title: "after 5 failures in 60 s a username gets 429 with Retry-After, right password or not",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Count failures per username in a 60 s window; past 5, answer 429 with Retry-After without checking the password.",
            book: "02-registration.md#throttling",
            asvs: &["V2.2.1"],
            run: check_fn!(throttle),
        },
        Check {
            id: "s02.throttle-per-user",
            title: "throttling one username leaves every other one alone",
            points: 1,
            requires: Some("s02.throttle"),
            hint: "Key the failure count by username (compared without case), not by client address or globally.",
            book: "02-registration.md#throttling",
            asvs: &["V2.2.1"],
            run: check_fn!(throttle_per_user),
        },
        Check {
            id: "s02.parallel-registrations",
            title: "20 registrations at once: none lost, users.json valid",
            points: 2,
            requires: Some("s02.register"),
            hint: "Serialise the read-modify-write of users.json (one lock around it), or two writers will each drop the other's account.",
            book: "02-registration.md#one-file-many-writers",
            asvs: &["V11.1.6"],
            run: check_fn!(parallel_registrations),
        },
        Check {
            id: "s02.users-file-survives-kill",
            title: "users.json is valid JSON after the server is killed mid-write, and accounts survive a restart",
            points: 2,
            requires: Some("s02.parallel-registrations"),
            hint: "Write to a temporary file in the same folder, then rename it over users.json: a rename is atomic, a rewrite is not.",
            book: "02-registration.md#one-file-many-writers",
            asvs: &[],
            run: check_fn!(users_file_survives_kill),
        },
    ]);
    checks
}

pub(super) async fn register_account(
    http: &Http,
    username: &str,
    password: &str,
) -> Result<Reply, Failure> {
    http.post_form("/register", &[("username", username), ("password", password)]).send().await
}

/// A name no one has registered, `prefix` plus random letters.
pub(super) fn new_name(prefix: &str) -> String {
    format!("{prefix}{}", &random_token()[..8])
}

/// A strong password no list holds.
pub(super) fn new_password() -> String {
    format!("pw {} «ok»", random_token())
}

async fn register_form(cx: &mut Ctx) -> Outcome {
    for path in ["/register", "/register/"] {
        let reply = cx.http.get(path).send().await?;
        let form = html::forms(&reply.text()).into_iter().find(|form| {
            form.posts_to("/register")
                && form.has_control("username")
                && form.has_control("password")
        });
        if reply.status != 200 || form.is_none() {
            return Err(reply.fail(
                "200 with <form method=\"post\" action=\"/register\"> holding inputs username and password",
            ));
        }
    }
    Ok(())
}

async fn register(cx: &mut Ctx) -> Outcome {
    for user in cx.users.clone() {
        let reply = register_account(&cx.http, &user.username, &user.password).await?;
        super::expect_redirect(&reply, &cx.http.base_url, "/cabinet")?;
        let cookie = signed_in_cookie(&reply)?;
        let me = cx.http.get("/api/me").session(&cookie).send().await?;
        let json: Option<serde_json::Value> = serde_json::from_slice(&me.body).ok();
        let name = json.as_ref().and_then(|j| j.get("username")).and_then(|v| v.as_str());
        if me.status != 200 || !name.is_some_and(|n| n.eq_ignore_ascii_case(&user.username)) {
            return Err(me.fail(format!(
                "200 with {{\"username\": {:?}}}: registering signs the user in",
                user.username
            )));
        }
    }
    Ok(())
}

async fn register_taken(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    for name in [user.username.clone(), user.username.to_uppercase()] {
        let reply = register_account(&cx.http, &name, &new_password()).await?;
        if reply.status != 409 {
            return Err(reply.fail(format!("409 Conflict: {:?} is taken", user.username)));
        }
    }
    // The taken name still signs in with its own password, not the new one.
    sign_in(&cx.http, &user.username, &user.password).await.map(drop)
}

/// POSTs each registration, expecting 400 for every one.
async fn expect_refused(cx: &Ctx, attempts: &[(String, String)], why: &str) -> Outcome {
    for (username, password) in attempts {
        let reply = register_account(&cx.http, username, password).await?;
        if reply.status != 400 {
            return Err(reply.fail(format!("400 Bad Request: {why}")));
        }
    }
    Ok(())
}

async fn username_rules(cx: &mut Ctx) -> Outcome {
    let password = new_password();
    let tag = &random_token()[..6];
    let bad = [
        "ab".to_owned(),
        format!("{}{tag}", "x".repeat(27)),
        format!("two words{tag}"),
        format!("<b>{tag}</b>"),
        format!("ünï{tag}"),
        format!("a/b{tag}"),
    ];
    let attempts: Vec<(String, String)> =
        bad.iter().map(|name| (name.clone(), password.clone())).collect();
    expect_refused(cx, &attempts, "the username breaks the rule (3 to 32 of a-z 0-9 _ . -)")
        .await?;
    // The edges of the rule are allowed.
    let shortest = tag[..3].to_owned();
    for name in [format!("a.b-c_{tag}"), format!("{}{tag}", "y".repeat(26)), shortest] {
        let reply = register_account(&cx.http, &name, &password).await?;
        if !matches!(reply.status, 303 | 409) {
            return Err(reply.fail("303 See Other: this name keeps the rule"));
        }
    }
    Ok(())
}

async fn password_length(cx: &mut Ctx) -> Outcome {
    let name = new_name("len");
    let attempts = [(name.clone(), "Zq7!kx2".to_owned()), (name.clone(), "Zq7!".repeat(32) + "x")];
    expect_refused(cx, &attempts, "the password has fewer than 8 or more than 128 characters")
        .await?;
    // 128 characters (many of them two bytes in UTF-8) are allowed.
    let longest: String = "ü7".repeat(64);
    let reply = register_account(&cx.http, &name, &longest).await?;
    signed_in_cookie(&reply)
        .map_err(|_| reply.fail("303 See Other: 128 characters are allowed"))?;
    let shortest = new_name("min");
    let reply = register_account(&cx.http, &shortest, "Zq7!kx2w").await?;
    signed_in_cookie(&reply).map_err(|_| reply.fail("303 See Other: 8 characters are allowed"))?;
    Ok(())
}

async fn password_common(cx: &mut Ctx) -> Outcome {
    let name = new_name("cmn");
    let attempts: Vec<(String, String)> =
        ["password1", "baseball1", "iloveyou", "Sunshine1", "QWERTYUIOP"]
            .iter()
            .map(|p| (name.clone(), (*p).to_owned()))
            .collect();
    expect_refused(
        cx,
        &attempts,
        "the password is in fixtures/common-passwords.txt (compared without case)",
    )
    .await?;
    let reply = register_account(&cx.http, &name, &new_password()).await?;
    signed_in_cookie(&reply).map_err(|_| {
        reply.fail("303 See Other: the refused attempts must not have taken the name")
    })?;
    Ok(())
}

async fn password_not_username(cx: &mut Ctx) -> Outcome {
    let name = new_name("same");
    let attempts = [(name.clone(), name.clone()), (name.clone(), name.to_uppercase())];
    expect_refused(cx, &attempts, "the password is the username").await
}

async fn no_truncation(cx: &mut Ctx) -> Outcome {
    let name = new_name("long");
    let password: String = format!("{}{}", random_token(), random_token())
        .chars()
        .chain("-the-end-counts!".chars())
        .take(80)
        .collect();
    let reply = register_account(&cx.http, &name, &password).await?;
    signed_in_cookie(&reply)?;
    let first_72: String = password.chars().take(72).collect();
    let reply = post_login(&cx.http, &name, &first_72, None, None).await?;
    if reply.status != 401 {
        return Err(reply.fail("401: only the first 72 of 80 characters were sent"));
    }
    sign_in(&cx.http, &name, &password).await.map(drop)
}

/// `users.json`, parsed, with where it was read from for messages.
fn users_file(cx: &Ctx) -> Result<(String, serde_json::Map<String, serde_json::Value>), Failure> {
    let path = cx.data_dir().join("users.json");
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("{shown} to exist")).got(e.to_string()))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => Ok((text, map)),
        _ => Err(Failure::new(format!("{shown} to hold a JSON object from username to record"))
            .got(crate::text::excerpt(&text, 300))),
    }
}

fn record<'a>(
    users: &'a serde_json::Map<String, serde_json::Value>,
    username: &str,
) -> Option<&'a serde_json::Value> {
    users.iter().find(|(key, _)| key.eq_ignore_ascii_case(username)).map(|(_, value)| value)
}

async fn hashed(cx: &mut Ctx) -> Outcome {
    // Two more accounts with one password: their salts must differ.
    let shared = new_password();
    let twins = [new_name("twa"), new_name("twb")];
    for name in &twins {
        signed_in_cookie(&register_account(&cx.http, name, &shared).await?)?;
    }
    let (text, users) = users_file(cx)?;
    let mut accounts: Vec<User> = cx.users.clone();
    accounts
        .extend(twins.iter().map(|name| User { username: name.clone(), password: shared.clone() }));
    for user in &accounts {
        for form in
            [user.password.clone(), serde_json::to_string(&user.password).unwrap_or_default()]
        {
            let form = form.trim_matches('"');
            if text.contains(form) {
                return Err(Failure::new("users.json never holds a password, in any form")
                    .got(format!("it holds {:?}, the password of {}", form, user.username)));
            }
        }
        let hash = record(&users, &user.username)
            .and_then(|r| r.get("password_hash"))
            .and_then(|h| h.as_str())
            .ok_or_else(|| {
                Failure::new(format!(
                    "a record for {} with a string `password_hash`",
                    user.username
                ))
                .got(crate::text::excerpt(&text, 300))
            })?;
        check_phc(hash, &user.password).map_err(|problem| {
            Failure::new("an argon2id PHC string, $argon2id$v=19$m=19456,t=2,p=1$... or stronger, of the password")
                .got(format!("{hash}\n({problem})"))
        })?;
    }
    let salts: Vec<&str> = twins
        .iter()
        .filter_map(|name| record(&users, name)?.get("password_hash")?.as_str())
        .collect();
    if salts.len() == 2 && salts[0] == salts[1] {
        return Err(Failure::new(
            "two accounts with the same password to get different hashes (a random salt each)",
        )
        .got(salts[0].to_owned()));
    }
    Ok(())
}

/// Why `phc` is not an acceptable hash of `password`, if it is not.
pub(super) fn check_phc(phc: &str, password: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC string: {e}"))?;
    if hash.algorithm.as_str() != "argon2id" {
        return Err(format!("the algorithm is {}, not argon2id", hash.algorithm));
    }
    let param = |name: &str| hash.params.get_decimal(name).unwrap_or(0);
    let (m, t, p) = (param("m"), param("t"), param("p"));
    if m < 19_456 || t < 2 || p < 1 {
        return Err(format!("m={m}, t={t}, p={p} is weaker than OWASP's m=19456, t=2, p=1"));
    }
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .map_err(|_| "it is not a hash of the password".to_owned())
}

async fn logout(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.post_form("/logout", &[]).session(&cookie).send().await?;
    super::expect_redirect(&reply, &cx.http.base_url, "/")?;
    if !reply.session_cookie().is_some_and(|c| c.is_removal()) {
        return Err(reply.fail("303 to / with a Set-Cookie that expires `session` (Max-Age=0 or an Expires in the past)"));
    }
    expect_anonymous(
        &cx.http,
        &cookie,
        "after sign-out the old cookie must be worth nothing: destroy the session on the server",
    )
    .await
}

async fn logout_get(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = cx.http.get("/logout").session(&cookie).send().await?;
    let has_button = html::forms(&reply.text()).iter().any(|form| form.posts_to("/logout"));
    if reply.status != 200 || !has_button {
        return Err(reply.fail("200 with <form method=\"post\" action=\"/logout\">"));
    }
    let me = cx.http.get("/api/me").session(&cookie).send().await?;
    if me.status != 200 {
        return Err(me.fail("200: GET /logout must not sign anyone out"));
    }
    Ok(())
}

async fn sign_out_button(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    for path in ["/", "/cabinet"] {
        let reply = cx.http.get(path).session(&cookie).send().await?;
        if !html::forms(&reply.text()).iter().any(|form| form.posts_to("/logout")) {
            return Err(reply.fail("a page with <form method=\"post\" action=\"/logout\">"));
        }
    }
    Ok(())
}

async fn session_renewed(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let first = sign_in(&cx.http, &user.username, &user.password).await?;
    let reply = post_login(&cx.http, &user.username, &user.password, None, Some(&first)).await?;
    let second = signed_in_cookie(&reply)?;
    if second == first {
        return Err(reply.fail("a new session id, not the one the browser sent"));
    }
    expect_anonymous(&cx.http, &first, "the id from before the new sign-in must be gone").await
}

async fn cross_origin(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let ours = cx.http.base_url.clone();
    // Another site, no site at all (a sandboxed frame), this host on another
    // port, and a browser that only says `cross-site`.
    let next_port = cx.server.port.wrapping_add(1);
    let other_port = format!("http://127.0.0.1:{next_port}");
    let evil = [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("origin", other_port.as_str()),
        ("sec-fetch-site", "cross-site"),
    ];

    for (header, value) in evil {
        // Sign-in from another site: refused, no session.
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        let reply = cx.http.post_form("/login", &fields).header(header, value).send().await?;
        if reply.status != 403 || reply.new_session().is_some() {
            return Err(reply.fail("403 Forbidden and no session cookie"));
        }
        // Registration from another site: refused, and the name stays free.
        let name = new_name("csrf");
        let password = new_password();
        let fields = [("username", name.as_str()), ("password", password.as_str())];
        let reply = cx.http.post_form("/register", &fields).header(header, value).send().await?;
        if reply.status != 403 {
            return Err(reply.fail("403 Forbidden"));
        }
        let reply = register_account(&cx.http, &name, &password).await?;
        signed_in_cookie(&reply).map_err(|_| {
            reply.fail("303: the refused cross-site registration must not have created the account")
        })?;
        // Sign-out from another site: refused, still signed in.
        let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
        let reply =
            cx.http.post_form("/logout", &[]).session(&cookie).header(header, value).send().await?;
        if reply.status != 403 {
            return Err(reply.fail("403 Forbidden"));
        }
        let me = cx.http.get("/api/me").session(&cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: a refused cross-site sign-out must leave the session alone"));
        }
    }
    // The site's own origin is not refused.
    let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
    let reply = cx
        .http
        .post_form("/login", &fields)
        .header("origin", &ours)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await?;
    signed_in_cookie(&reply)
        .map_err(|_| reply.fail("303 and a session: Origin is this site's own (PUBLIC_URL)"))
        .map(drop)
}

/// Registers a fresh account and fails it five times; returns it.
async fn throttled_account(http: &Http) -> Result<User, Failure> {
    let user = User { username: new_name("thr"), password: new_password() };
    signed_in_cookie(&register_account(http, &user.username, &user.password).await?)?;
    for attempt in 1..=5 {
        let reply =
            post_login(http, &user.username, &format!("wrong {attempt}"), None, None).await?;
        if reply.status != 401 {
            return Err(reply.fail(format!("401 for wrong password number {attempt} of 5")));
        }
    }
    Ok(user)
}

fn expect_throttled(reply: &Reply) -> Outcome {
    let wait = reply.header("retry-after").and_then(retry_after_secs);
    match wait {
        Some(seconds) if reply.status == 429 && (1..=60).contains(&seconds) => Ok(()),
        _ => Err(reply.fail(
            "429 Too Many Requests with Retry-After: <1 to 60 seconds> (in seconds or as an HTTP-date)",
        )),
    }
}

/// How many seconds from now a `Retry-After` value asks to wait: RFC 9110
/// (section 10.2.3) allows a number of seconds or an HTTP-date, and the
/// contract does not choose. A date is read against this machine's clock,
/// which the server shares, and rounded up to whole seconds; one a second in
/// the past counts as one second (dates have a resolution of one second).
fn retry_after_secs(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let now = std::time::SystemTime::now();
    match at.duration_since(now) {
        Ok(ahead) => Some(ahead.as_secs() + u64::from(ahead.subsec_nanos() > 0)),
        Err(behind) if behind.duration().as_secs() < 1 => Some(1),
        Err(_) => None,
    }
}

async fn throttle(cx: &mut Ctx) -> Outcome {
    let user = throttled_account(&cx.http).await?;
    let reply = post_login(&cx.http, &user.username, "wrong 6", None, None).await?;
    expect_throttled(&reply)?;
    // The right password must not get through (or reset the count) early.
    let reply = post_login(&cx.http, &user.username, &user.password, None, None).await?;
    expect_throttled(&reply)?;
    let reply = post_login(&cx.http, &user.username.to_uppercase(), "wrong 7", None, None).await?;
    expect_throttled(&reply)
}

async fn throttle_per_user(cx: &mut Ctx) -> Outcome {
    let locked = throttled_account(&cx.http).await?;
    expect_throttled(&post_login(&cx.http, &locked.username, "wrong 6", None, None).await?)?;
    let other = cx.user(1).clone();
    let reply = post_login(&cx.http, &other.username, &other.password, None, None).await?;
    signed_in_cookie(&reply)
        .map_err(|_| {
            reply.fail(format!(
                "303 and a session: only {} is throttled, not {}",
                locked.username, other.username
            ))
        })
        .map(drop)
}

/// Registrations under way, each in a task of its own.
type Registrations = JoinSet<Result<Reply, Failure>>;

/// Starts 20 registrations at once.
pub(super) fn register_twenty(http: &Http) -> (Vec<User>, Registrations) {
    let users: Vec<User> =
        (0..20).map(|_| User { username: new_name("par"), password: new_password() }).collect();
    let mut tasks = JoinSet::new();
    for user in &users {
        let (http, user) = (http.clone(), user.clone());
        tasks.spawn(async move { register_account(&http, &user.username, &user.password).await });
    }
    (users, tasks)
}

async fn parallel_registrations(cx: &mut Ctx) -> Outcome {
    let (users, tasks) = register_twenty(&cx.http);
    for reply in tasks.join_all().await {
        signed_in_cookie(&reply?)?;
    }
    let (text, records) = users_file(cx)?;
    for user in &users {
        if record(&records, &user.username).is_none() {
            return Err(Failure::new(format!(
                "users.json to hold all 20 accounts registered at once, {} too",
                user.username
            ))
            .sent("20 registrations at once")
            .got(format!(
                "{} records: {}",
                records.len(),
                crate::text::excerpt(&text, 200)
            )));
        }
    }
    for user in users.iter().take(3) {
        sign_in(&cx.http, &user.username, &user.password).await?;
    }
    Ok(())
}

async fn users_file_survives_kill(cx: &mut Ctx) -> Outcome {
    use std::os::unix::fs::MetadataExt;
    // A rename puts a new file (a new inode) in place; a rewrite in place
    // keeps the old one, and a crash mid-write leaves it half written.
    let path = cx.data_dir().join("users.json");
    let inode = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.ino()).ok();
    let before = inode(&path);
    let (name, password) = (new_name("ino"), new_password());
    signed_in_cookie(&register_account(&cx.http, &name, &password).await?)?;
    if before.is_some() && inode(&path) == before {
        return Err(Failure::new(
            "users.json replaced by a new file at each write (temporary file, then rename)",
        )
        .sent(format!("a registration of {name}"))
        .got("the same file (same inode) rewritten in place"));
    }
    // Once the first of 20 registrations is through, the others are being
    // written one after another: SIGKILL then lands mid-write or close to it.
    let (_, mut tasks) = register_twenty(&cx.http);
    let _ = tasks.join_next().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    cx.server.kill().await;
    tasks.abort_all();
    users_file(cx).map_err(|failure| Failure {
        expected: format!(
            "{} (the server was killed with SIGKILL while registering)",
            failure.expected
        ),
        ..failure
    })?;
    cx.restart(false).await?;
    // Accounts live in the file, not in memory: they survive the restart.
    let user = cx.user(0).clone();
    sign_in(&cx.http, &user.username, &user.password).await.map(drop)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::retry_after_secs;

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        assert_eq!(retry_after_secs("42"), Some(42));
        assert_eq!(retry_after_secs(" 7 "), Some(7));
        let in_half_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let seconds = retry_after_secs(&in_half_a_minute).expect("a date is understood");
        assert!((29..=30).contains(&seconds), "{seconds}");
        let long_ago = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
        assert_eq!(retry_after_secs(&long_ago), None);
        assert_eq!(retry_after_secs("soon"), None);
        assert_eq!(retry_after_secs("-5"), None);
    }
}
