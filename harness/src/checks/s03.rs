//! Step 03: sessions as JSON files behind an HMAC-signed cookie. The
//! harness knows `SESSION_SECRET`, so it checks signatures itself, signs
//! cookies of its own, and reads and writes the session folder.

use std::{
    collections::BTreeSet,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::task::JoinSet;

use super::{
    s01::{expect_anonymous, post_login, sign_in, sign_in_at_once, signed_in_cookie},
    s02,
};
use crate::{
    check::{Check, Ctx, Failure, Outcome},
    check_fn,
    http::{Http, Reply},
    sandbox::random_token,
};

/// Step 02's checks, which still hold, and step 03's own.
pub fn checks() -> Vec<Check> {
    let mut checks = s02::checks();
    checks.extend([
        Check {
            id: "s03.cookie-format",
            title: "the cookie is <id>.<sig>: a 22+ character id and its HMAC-SHA256",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Set session=<id>.<sig>, sig = unpadded URL-safe base64 of HMAC-SHA256(SESSION_SECRET bytes, id).",
            book: "03-file-sessions.md#signing-the-cookie",
            asvs: &["V3.2.2"],
            run: check_fn!(cookie_format),
        },
        Check {
            id: "s03.session-file",
            title: "sign-in writes sessions/<id>.json: username, expires_at, ends_at, mode 0600, no password",
            points: 2,
            requires: Some("s03.cookie-format"),
            hint: "Write $DATA_DIR/sessions/<id>.json holding username, expires_at (now + SESSION_TTL_SECS) and ends_at (now + SESSION_ABSOLUTE_TTL_SECS), in Unix seconds, readable by the server's user only.",
            book: "03-file-sessions.md#the-file-store",
            asvs: &["V3.2.3", "V8.3.4"],
            run: check_fn!(session_file),
        },
        Check {
            id: "s03.tampered-cookie-refused",
            title: "tampered, unsigned, foreign-key and signature-swapped cookies are no session",
            points: 3,
            requires: Some("s03.cookie-format"),
            hint: "Recompute the HMAC of the id and compare it in constant time with the cookie's; anything that does not match is no cookie.",
            book: "03-file-sessions.md#verifying-the-cookie",
            asvs: &["V3.2.2", "V3.5.3"],
            run: check_fn!(tampered_cookie_refused),
        },
        Check {
            id: "s03.harness-signed-session",
            title: "a session file and cookie made by the harness are accepted",
            points: 2,
            requires: Some("s03.cookie-format"),
            hint: "Read sessions/<id>.json for a verified id, whoever wrote it: the contract fixes the file and the cookie, not your code.",
            book: "03-file-sessions.md#the-file-store",
            asvs: &[],
            run: check_fn!(harness_signed_session),
        },
        Check {
            id: "s03.id-traversal-refused",
            title: "signed ids that leave the folder (../x, /abs, %2F, %00) read and create nothing",
            points: 3,
            requires: Some("s03.harness-signed-session"),
            hint: "Check the id against [A-Za-z0-9_-]{22,} before it goes near a path; a valid signature does not make an id safe.",
            book: "03-file-sessions.md#ids-are-user-input",
            asvs: &["V12.3.1", "V5.1.3"],
            run: check_fn!(id_traversal_refused),
        },
        Check {
            id: "s03.logout-removes-file",
            title: "signing out removes the session's file",
            points: 2,
            requires: Some("s03.session-file"),
            hint: "On POST /logout delete sessions/<id>.json, then expire the cookie.",
            book: "03-file-sessions.md#the-file-store",
            asvs: &["V3.3.1"],
            run: check_fn!(logout_removes_file),
        },
        Check {
            id: "s03.restart-keeps-sessions",
            title: "a restart with the same secret keeps everyone signed in",
            points: 2,
            requires: Some("s03.session-file"),
            hint: "Keep nothing about sessions only in memory: the file and the secret are all a restarted server needs.",
            book: "03-file-sessions.md#restarts-and-key-rotation",
            asvs: &[],
            run: check_fn!(restart_keeps_sessions),
        },
        Check {
            id: "s03.new-secret-voids-sessions",
            title: "a restart with a new SESSION_SECRET signs everyone out",
            points: 2,
            requires: Some("s03.restart-keeps-sessions"),
            hint: "Sign with the secret from the environment at every start; never store it or a derived key in the data folder.",
            book: "03-file-sessions.md#restarts-and-key-rotation",
            asvs: &["V3.3.1"],
            run: check_fn!(new_secret_voids_sessions),
        },
        Check {
            id: "s03.expiry",
            title: "past SESSION_TTL_SECS unused, a session is refused and its file removed",
            points: 3,
            requires: Some("s03.session-file"),
            hint: "Compare expires_at with the clock on every request; past it, refuse the session and delete the file then and there.",
            book: "03-file-sessions.md#expiry-on-the-server",
            asvs: &["V3.3.2"],
            run: check_fn!(expiry),
        },
        Check {
            id: "s03.absolute-lifetime",
            title: "however much it is used, a session ends SESSION_ABSOLUTE_TTL_SECS after sign-in",
            points: 2,
            requires: Some("s03.session-file"),
            hint: "Write ends_at at sign-in; a renewal moves expires_at, but never past ends_at, and a session past either is refused and its file removed.",
            book: "03-file-sessions.md#an-end-no-renewal-passes",
            asvs: &["V3.3.2"],
            run: check_fn!(absolute_lifetime),
        },
        Check {
            id: "s03.two-cookies",
            title: "a request with two session cookies is signed out, whichever comes first",
            points: 2,
            requires: Some("s03.cookie-format"),
            hint: "Count the `session` cookies in the Cookie header: with more than one (a sibling subdomain may have planted one), treat the request as signed out instead of taking the first.",
            book: "03-file-sessions.md#two-cookies-of-one-name",
            asvs: &[],
            run: check_fn!(two_cookies),
        },
        Check {
            id: "s03.parallel-sign-ins",
            title: "20 sign-ins at once give 20 distinct, valid sessions and no stray files",
            points: 2,
            requires: Some("s03.session-file"),
            hint: "Random ids of 128 bits or more never collide; write each file through a temporary file that is renamed, never left behind.",
            book: "03-file-sessions.md#atomic-writes-and-crashes",
            asvs: &["V3.2.2"],
            run: check_fn!(parallel_sign_ins),
        },
        Check {
            id: "s03.files-survive-kill",
            title: "killed with SIGKILL mid-write, every session file left still parses",
            points: 2,
            requires: Some("s03.parallel-sign-ins"),
            hint: "Write each session to a temporary file in the same folder and rename it: a rename is atomic, a rewrite is not.",
            book: "03-file-sessions.md#atomic-writes-and-crashes",
            asvs: &[],
            run: check_fn!(files_survive_kill),
        },
        Check {
            id: "s03.sigterm",
            title: "on SIGTERM the server exits 0 within 5 s",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Handle SIGTERM: stop accepting, finish what is in flight, and exit 0 (axum: with_graceful_shutdown).",
            book: "03-file-sessions.md#shutting-down",
            asvs: &[],
            run: check_fn!(sigterm),
        },
    ]);
    checks
}

fn secret(cx: &Ctx) -> String {
    cx.env("SESSION_SECRET").unwrap_or_default().to_owned()
}

/// `<id>.<sig>` as the contract defines it.
pub fn sign(secret: &str, id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(id.as_bytes());
    format!("{id}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn is_id(text: &str) -> bool {
    text.len() >= 22 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn sessions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sessions")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A time in a session file: Unix seconds, as a JSON number. The contract does
/// not ask for whole seconds, so `1795264591.25` (Python's `time.time()`)
/// counts as much as `1795264591`.
fn unix_seconds(value: &serde_json::Value) -> Option<f64> {
    value.as_f64().filter(|at| at.is_finite())
}

/// The id of a cookie value the contract's way, or a failure saying why not.
fn id_of(reply: &Reply, value: &str, secret: &str) -> Result<String, Failure> {
    let expected = "session=<id>.<sig>, <id> of [A-Za-z0-9_-]{22,}, <sig> the unpadded URL-safe base64 of HMAC-SHA256(SESSION_SECRET, <id>)";
    let Some((id, _)) = value.split_once('.').filter(|(id, _)| is_id(id)) else {
        return Err(reply.fail(expected));
    };
    if sign(secret, id) != value {
        return Err(reply.fail(format!("{expected}; the harness computes {}", sign(secret, id))));
    }
    Ok(id.to_owned())
}

async fn cookie_format(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let reply = post_login(&cx.http, &user.username, &user.password, None, None).await?;
    let value = signed_in_cookie(&reply)?;
    id_of(&reply, &value, &secret(cx)).map(drop)
}

/// Signs in and returns the cookie value and the session file's path.
async fn signed_in(cx: &Ctx, http: &Http, data_dir: &Path) -> Result<(String, PathBuf), Failure> {
    let user = cx.user(0).clone();
    let reply = post_login(http, &user.username, &user.password, None, None).await?;
    let value = signed_in_cookie(&reply)?;
    let id = id_of(&reply, &value, &secret(cx))?;
    Ok((value, sessions_dir(data_dir).join(format!("{id}.json"))))
}

async fn session_file(cx: &mut Ctx) -> Outcome {
    let (_, path) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("the session file {shown}")).got(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let user = cx.user(0);
    let username_ok =
        json["username"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&user.username));
    let ttl = cx.seconds("SESSION_TTL_SECS", 1800);
    let absolute = cx.seconds("SESSION_ABSOLUTE_TTL_SECS", 43_200);
    let now = now() as f64;
    let (ttl, absolute) = (ttl as f64, absolute as f64);
    let expires_at = unix_seconds(&json["expires_at"]);
    let expires_ok = expires_at.is_some_and(|at| at > now && at <= now + ttl + 5.0);
    let ends_ok = unix_seconds(&json["ends_at"]).is_some_and(|at| {
        at > now + absolute - 60.0
            && at <= now + absolute + 5.0
            && expires_at.is_some_and(|expires| expires <= at)
    });
    if !username_ok || !expires_ok || !ends_ok {
        return Err(Failure::new(format!(
            "{shown} to hold {{\"username\": {:?}, \"expires_at\": <Unix seconds, now + SESSION_TTL_SECS>, \"ends_at\": <Unix seconds, now + SESSION_ABSOLUTE_TTL_SECS>}}",
            user.username
        ))
        .got(crate::text::excerpt(&text, 300)));
    }
    // As typed, and as it would stand inside a JSON string.
    let escaped = serde_json::to_string(&user.password).unwrap_or_default();
    if text.contains(&user.password) || text.contains(escaped.trim_matches('"')) {
        return Err(Failure::new(format!("{shown} never to hold the password"))
            .got(crate::text::excerpt(&text, 300)));
    }
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(Failure::new(format!(
            "{shown} readable by the server's user only (mode 0600)"
        ))
        .got(format!("mode {mode:o}")));
    }
    Ok(())
}

async fn tampered_cookie_refused(cx: &mut Ctx) -> Outcome {
    let (value, _) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    let (other, _) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    let (id, sig) = value.split_once('.').expect("checked format");
    let (other_id, other_sig) = other.split_once('.').expect("checked format");
    let flip = |text: &str, at: usize| {
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).expect("ASCII")
    };
    let foreign = sign(&format!("not-the-secret-{}", random_token()), id);
    let tampered = [
        (format!("{}.{sig}", flip(id, 0)), "the id's first character changed"),
        (format!("{}.{sig}", flip(id, id.len() - 1)), "the id's last character changed"),
        (format!("{id}.{}", flip(sig, 0)), "the signature's first character changed"),
        (
            format!("{id}.{}", flip(sig, sig.len() / 2)),
            "a character in the middle of the signature changed",
        ),
        (id.to_owned(), "the id alone, unsigned"),
        (format!("{id}."), "the id with an empty signature"),
        (format!("{id}.{other_sig}"), "the id with another session's signature"),
        (format!("{other_id}.{sig}"), "another session's id with this one's signature"),
        (foreign, "the id signed with another key"),
        (format!("{value}="), "the signature padded with ="),
        (format!("{value}.{sig}"), "a second signature appended"),
    ];
    for (cookie, what) in tampered {
        expect_anonymous(&cx.http, &cookie, &format!("{what}: no session")).await?;
    }
    // The untouched cookies still work, so the refusals above mean something.
    for cookie in [&value, &other] {
        let me = cx.http.get("/api/me").session(cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: the untouched cookie is still signed in"));
        }
    }
    Ok(())
}

/// Writes a session file of the harness's own, returns its signed cookie.
fn plant_session(cx: &Ctx, data_dir: &Path, id: &str, username: &str) -> Result<String, Failure> {
    let path = sessions_dir(data_dir).join(format!("{id}.json"));
    let json = serde_json::json!({
        "username": username, "expires_at": now() + 600, "ends_at": now() + 3600
    });
    std::fs::write(&path, json.to_string())
        .and_then(|()| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)))
        .map_err(|e| {
            Failure::new(format!("the harness to write {}", path.display())).got(e.to_string())
        })?;
    Ok(sign(&secret(cx), id))
}

async fn harness_signed_session(cx: &mut Ctx) -> Outcome {
    let user = cx.user(1).clone();
    // 32 characters: longer than the shortest id, and not what a server makes.
    let id = format!("harness_{}", &random_token()[..24]);
    let cookie = plant_session(cx, &cx.data_dir(), &id, &user.username)?;
    let me = cx.http.get("/api/me").session(&cookie).send().await?;
    let json: serde_json::Value = serde_json::from_slice(&me.body).unwrap_or_default();
    let right = json["username"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&user.username));
    if me.status != 200 || !right {
        return Err(me.fail(format!(
            "200 {{\"username\": {:?}}}: the harness wrote sessions/{id}.json and signed {id} with SESSION_SECRET",
            user.username
        )));
    }
    Ok(())
}

/// Every file below `dir`, relative, with its contents.
fn snapshot(dir: &Path) -> BTreeSet<(PathBuf, Vec<u8>)> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.insert((path.strip_prefix(dir).unwrap_or(&path).to_path_buf(), bytes));
            }
        }
    }
    found
}

async fn id_traversal_refused(cx: &mut Ctx) -> Outcome {
    let data_dir = cx.data_dir();
    let user = cx.user(1).clone();
    // Sessions that would sign in as a real user, if the server read them:
    // one beside the sessions folder, one in the sandbox, outside DATA_DIR.
    let planted = serde_json::json!({
        "username": user.username, "expires_at": now() + 600, "ends_at": now() + 3600
    })
    .to_string();
    let beside = data_dir.join("evil.json");
    let outside = cx.sandbox.root().join("outside.json");
    for path in [&beside, &outside] {
        std::fs::write(path, &planted).map_err(|e| {
            Failure::new(format!("the harness to write {}", path.display())).got(e.to_string())
        })?;
    }
    let outside_stem = outside.with_extension("");
    let ids = [
        "../evil".to_owned(),
        "..%2Fevil".to_owned(),
        "..%2fevil".to_owned(),
        "..\\evil".to_owned(),
        outside_stem.display().to_string(),
        format!("..{}", outside_stem.display()),
        "%2e%2e/evil".to_owned(),
        "../evil%00".to_owned(),
        "....//evil".to_owned(),
    ];
    let before = snapshot(cx.sandbox.root());
    for id in ids {
        let cookie = sign(&secret(cx), &id);
        let me = cx.http.get("/api/me").session(&cookie).send().await?;
        if me.status == 200 {
            return Err(me.fail(format!(
                "401: the id {id:?} is signed, but it names a file outside the sessions folder"
            )));
        }
        if me.status != 401 {
            return Err(me.fail("401 (a bad id is simply no session), not an error"));
        }
    }
    let after = snapshot(cx.sandbox.root());
    let outside_sessions = |set: &BTreeSet<(PathBuf, Vec<u8>)>| -> BTreeSet<PathBuf> {
        set.iter()
            .map(|(path, _)| path.clone())
            .filter(|path| !path.to_string_lossy().contains("/sessions/"))
            .collect()
    };
    let (was, is) = (outside_sessions(&before), outside_sessions(&after));
    if was != is {
        let changed: Vec<String> =
            is.symmetric_difference(&was).map(|p| p.display().to_string()).collect();
        return Err(Failure::new("no file outside the sessions folder created or removed")
            .sent("GET /api/me with signed cookies whose ids hold ../, /, %2F, %00")
            .got(format!("these changed: {}", changed.join(", "))));
    }
    Ok(())
}

async fn logout_removes_file(cx: &mut Ctx) -> Outcome {
    let (cookie, path) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    let reply = cx.http.post_form("/logout", &[]).session(&cookie).send().await?;
    if path.exists() {
        return Err(reply.fail(format!("{} to be gone after sign-out", path.display())));
    }
    Ok(())
}

async fn restart_keeps_sessions(cx: &mut Ctx) -> Outcome {
    let (cookie, _) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    cx.restart(false).await?;
    let me = cx.http.get("/api/me").session(&cookie).send().await?;
    if me.status != 200 {
        return Err(
            me.fail("200: the server was restarted with the same SESSION_SECRET and DATA_DIR")
        );
    }
    Ok(())
}

async fn new_secret_voids_sessions(cx: &mut Ctx) -> Outcome {
    let (cookie, _) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    let original = secret(cx);
    let new = format!("{}{}", random_token(), random_token());
    cx.restart_with(&[("SESSION_SECRET", &new)]).await?;
    let outcome =
        expect_anonymous(&cx.http, &cookie, "the server was restarted with a new SESSION_SECRET")
            .await;
    cx.restart_with(&[("SESSION_SECRET", &original)]).await?;
    outcome
}

async fn expiry(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[("SESSION_TTL_SECS", "3")]).await?;
    let outcome = async {
        let user = cx.user(0).clone();
        cx.ensure_account(&other.http, &user).await?;
        let (cookie, path) = signed_in(cx, &other.http, &other.data_dir).await?;
        // Used once within the TTL: still signed in.
        let me = other.http.get("/api/me").session(&cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: the session is a moment old, SESSION_TTL_SECS=3"));
        }
        // A deliberate wait: past the TTL, unused.
        tokio::time::sleep(Duration::from_millis(4500)).await;
        let me = other.http.get("/api/me").session(&cookie).send().await?;
        if me.status != 401 {
            return Err(me.fail("401: the session went unused for 4.5 s with SESSION_TTL_SECS=3"));
        }
        if path.exists() {
            return Err(me.fail(format!(
                "{} removed once the expired session was presented",
                path.display()
            )));
        }
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

/// The absolute lifetime the check sets, and the idle one, in seconds:
/// used every half second, the session never idles out, so only `ends_at`
/// can end it.
const ABSOLUTE_TTL: u64 = 6;
const IDLE_TTL: u64 = 3;

async fn absolute_lifetime(cx: &mut Ctx) -> Outcome {
    let (idle, absolute) = (IDLE_TTL.to_string(), ABSOLUTE_TTL.to_string());
    let mut other = cx
        .start_another(&[("SESSION_TTL_SECS", &idle), ("SESSION_ABSOLUTE_TTL_SECS", &absolute)])
        .await?;
    let outcome = async {
        let user = cx.user(0).clone();
        cx.ensure_account(&other.http, &user).await?;
        let (cookie, path) = signed_in(cx, &other.http, &other.data_dir).await?;
        let signed_in_at = tokio::time::Instant::now();
        let setting = format!(
            "SESSION_TTL_SECS={IDLE_TTL}, SESSION_ABSOLUTE_TTL_SECS={ABSOLUTE_TTL}, used every 0.5 s"
        );
        // Unix seconds: a session signed in at x.99 s may end 5.01 s later.
        let surely_alive = Duration::from_secs(ABSOLUTE_TTL - 2);
        let surely_over = Duration::from_secs(ABSOLUTE_TTL + 2);
        loop {
            // A deliberate wait: the session must be used, but not too often.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let age = signed_in_at.elapsed();
            let me = other.http.get("/api/me").session(&cookie).send().await?;
            if me.status == 200 && age >= surely_over {
                return Err(me.fail(format!(
                    "401: signed in {:.1} s ago with {setting}, past its absolute lifetime",
                    age.as_secs_f64()
                )));
            }
            if me.status == 200 {
                continue;
            }
            if age < surely_alive {
                return Err(me.fail(format!(
                    "200: signed in {:.1} s ago with {setting}, well within its absolute lifetime",
                    age.as_secs_f64()
                )));
            }
            break;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let over = |field: &str| unix_seconds(&json[field]).is_some_and(|at| at <= now() as f64);
        if path.exists() && !over("ends_at") && !over("expires_at") {
            return Err(Failure::new(format!(
                "{} removed, or expired by its own expires_at or ends_at, once the session ended",
                path.display()
            ))
            .got(crate::text::excerpt(&text, 300)));
        }
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

async fn two_cookies(cx: &mut Ctx) -> Outcome {
    let alice = cx.user(0).clone();
    let mallory = cx.user(1).clone();
    let (alices, _) = signed_in(cx, &cx.http, &cx.data_dir()).await?;
    // Another real session: the attacker's own, planted by a sibling site.
    let mallorys = sign_in(&cx.http, &mallory.username, &mallory.password).await?;
    let forged = sign(&format!("not-the-secret-{}", random_token()), &random_token());
    for planted in [&mallorys, &forged] {
        for cookie in [
            format!("session={alices}; session={planted}"),
            format!("session={planted}; session={alices}"),
        ] {
            let me = cx.http.get("/api/me").header("cookie", &cookie).send().await?;
            if me.status != 401 {
                return Err(me.fail(format!(
                    "401: with two session cookies (one {}'s, one {}) the request is signed out, whichever comes first",
                    alice.username,
                    if *planted == mallorys { format!("{}'s", mallory.username) } else { "forged".to_owned() }
                )));
            }
        }
    }
    // Alone, each real cookie still works: the refusals above mean something.
    for cookie in [&alices, &mallorys] {
        let me = cx.http.get("/api/me").session(cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: the cookie sent alone is still signed in"));
        }
    }
    Ok(())
}

async fn parallel_sign_ins(cx: &mut Ctx) -> Outcome {
    let user = cx.user(1).clone();
    // Only what these sign-ins leave counts: an earlier check's SIGKILL may
    // have left a temporary file that a sweep has not reached yet.
    let dir = sessions_dir(&cx.data_dir());
    let before = file_names(&dir);
    let cookies = sign_in_at_once(&cx.http, &user.username, &user.password, 20).await?;
    for cookie in &cookies {
        let me = cx.http.get("/api/me").session(cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: every one of the 20 sessions is valid"));
        }
        let id = cookie.split_once('.').map_or("", |(id, _)| id);
        let path = sessions_dir(&cx.data_dir()).join(format!("{id}.json"));
        if !path.exists() {
            return Err(Failure::new(format!("{} to exist", path.display())));
        }
    }
    stray_files(&dir, &before)
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Fails if the folder gained anything but `<id>.json` files since `before`.
fn stray_files(dir: &Path, before: &BTreeSet<String>) -> Outcome {
    let stray: Vec<String> = file_names(dir)
        .into_iter()
        .filter(|name| !before.contains(name) && !name.strip_suffix(".json").is_some_and(is_id))
        .collect();
    if stray.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "only <id>.json files in {}, no temporary files left behind",
            dir.display()
        ))
        .got(stray.join(", ")))
    }
}

async fn files_survive_kill(cx: &mut Ctx) -> Outcome {
    let user = cx.user(1).clone();
    let mut tasks = JoinSet::new();
    for _ in 0..30 {
        let (http, user) = (cx.http.clone(), user.clone());
        tasks.spawn(async move { sign_in(&http, &user.username, &user.password).await });
    }
    let _ = tasks.join_next().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    cx.server.kill().await;
    tasks.abort_all();
    let dir = sessions_dir(&cx.data_dir());
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
            return Err(Failure::new(
                "every session file to parse after SIGKILL during 30 sign-ins",
            )
            .got(format!("{name}: {:?}", String::from_utf8_lossy(&bytes))));
        }
    }
    cx.restart(false).await
}

async fn sigterm(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[]).await?;
    let stopped = other.server.stop().await;
    let words = stopped
        .status
        .map_or("still running after 5 s, so killed".to_owned(), crate::server::exit_words);
    if !stopped.status.is_some_and(|s| s.success()) {
        return Err(Failure::new("exit status 0 within 5 s of SIGTERM")
            .sent("SIGTERM to the server's process group")
            .got(format!("{words} after {:.1} s", stopped.took.as_secs_f64())));
    }
    Ok(())
}
