//! Step 04: users and sessions in SQL. Besides HTTP, the harness reads the
//! database (the SQLite file in DATA_DIR, or the PostgreSQL database made
//! for the run) and never writes to it. A session's row is tied to its
//! user through `user_id` and to a sign-in by being the row that sign-in
//! added: the cookie's value may be hashed into the row's id, or not.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use super::{
    s01::{self, expect_anonymous, post_login, sign_in, sign_in_at_once, signed_in_cookie},
    s02::{self, check_phc, new_name, new_password, register_account},
    s03,
};
use crate::{
    check::{Check, Ctx, Failure, Outcome},
    check_fn,
    database::{Db, timestamp},
    fixtures::User,
    html,
    http::{Http, Reply},
    sandbox::random_token,
};

/// Step 02's checks without users.json (a SQL version of its parallel
/// registrations follows), step 04's own, and step 03's SIGTERM check.
pub fn checks() -> Vec<Check> {
    const ABOUT_USERS_JSON: [&str; 3] =
        ["s02.hashed", "s02.parallel-registrations", "s02.users-file-survives-kill"];
    let mut checks: Vec<Check> =
        s02::checks().into_iter().filter(|check| !ABOUT_USERS_JSON.contains(&check.id)).collect();
    let sigterm =
        s03::checks().into_iter().find(|check| check.id == "s03.sigterm").expect("step 03's");
    checks.extend([
        Check {
            id: "s04.remember-box",
            title: "the sign-in form has a checkbox named remember",
            points: 1,
            requires: Some("s01.home-form"),
            hint: "Add <input type=\"checkbox\" name=\"remember\"> to the sign-in form on /.",
            book: "04-db-sessions.md#remember-me",
            asvs: &[],
            run: check_fn!(remember_box),
        },
        Check {
            id: "s04.tables",
            title: "migrations made users(id, username, password_hash, created_at) and sessions(id, user_id, expires_at)",
            points: 2,
            requires: Some("s01.starts"),
            hint: "Run the migrations at start-up, on the database in DATABASE_URL (default sqlite://$DATA_DIR/app.db), with the contract's table and column names.",
            book: "04-db-sessions.md#migrations",
            asvs: &[],
            run: check_fn!(tables),
        },
        Check {
            id: "s04.hashed",
            title: "users holds argon2id hashes (m>=19456, t>=2), salted, and no table holds a password",
            points: 3,
            requires: Some("s04.tables"),
            hint: "Keep step 02's hashing: store only the argon2id PHC string in users.password_hash, never the password, in any column.",
            book: "04-db-sessions.md#migrations",
            asvs: &["V2.4.1", "V2.4.2", "V2.4.5"],
            run: check_fn!(hashed),
        },
        Check {
            id: "s04.session-row",
            title: "each sign-in adds a sessions row with the user's id, expiring SESSION_TTL_SECS from now",
            points: 3,
            requires: Some("s04.tables"),
            hint: "At sign-in insert a row into sessions with user_id = the user's users.id and expires_at = now + SESSION_TTL_SECS.",
            book: "04-db-sessions.md#a-session-store",
            asvs: &[],
            run: check_fn!(session_row),
        },
        Check {
            id: "s04.logout-deletes-row",
            title: "signing out deletes that session's row, and only that one",
            points: 2,
            requires: Some("s04.session-row"),
            hint: "On POST /logout delete the row of the session the cookie names; the user's other sessions stay.",
            book: "04-db-sessions.md#a-session-store",
            asvs: &["V3.3.1"],
            run: check_fn!(logout_deletes_row),
        },
        Check {
            id: "s04.plain-cookie",
            title: "without remember: a cookie for the browser session, a row expiring SESSION_TTL_SECS from now",
            points: 2,
            requires: Some("s04.session-row"),
            hint: "Only a sign-in with the remember box ticked gets Max-Age; every other one gets a cookie without Max-Age or Expires.",
            book: "04-db-sessions.md#remember-me",
            asvs: &["V3.3.2"],
            run: check_fn!(plain_cookie),
        },
        Check {
            id: "s04.remember-me",
            title: "with remember: Max-Age = REMEMBER_TTL_SECS, a row expiring as long from now",
            points: 3,
            requires: Some("s04.session-row"),
            hint: "When the form sends remember, give the cookie Max-Age = REMEMBER_TTL_SECS and the row expires_at = now + REMEMBER_TTL_SECS. In the kit's exercise: `SignedIn::new(username, self.remember_ttl, self.remember_ttl)` to `self.pages.start`, `REMEMBERED_UNTIL` in the session, and `set_expiry(Some(Expiry::OnInactivity(...)))`.",
            book: "04-db-sessions.md#remember-me",
            asvs: &["V3.3.2"],
            run: check_fn!(remember_me),
        },
        Check {
            id: "s04.injection-login",
            title: "SQL in the username or password is an ordinary 401: no sign-in, no error, tables intact",
            points: 4,
            requires: Some("s04.tables"),
            hint: "Bind every value as a parameter ($1, ?); never paste a username or password into SQL text. Errors get a plain page, never the database's message.",
            book: "04-db-sessions.md#parameters-not-strings",
            asvs: &["V5.3.4", "V7.4.1"],
            run: check_fn!(injection_login),
        },
        Check {
            id: "s04.injection-cookie",
            title: "SQL in the session cookie is no session: 401, no error, every session row intact",
            points: 3,
            requires: Some("s04.session-row"),
            hint: "The cookie is user input too: bind it as a parameter when you look the session up, and treat anything unknown as no session.",
            book: "04-db-sessions.md#parameters-not-strings",
            asvs: &["V5.3.4", "V7.4.1"],
            run: check_fn!(injection_cookie),
        },
        Check {
            id: "s04.quoted-password",
            title: "a password with ' \" ; -- \\ and spaces registers and signs in, exactly",
            points: 2,
            requires: Some("s02.register"),
            hint: "Passwords reach the hash as typed: no escaping, trimming or quoting of your own on the way; parameters need none.",
            book: "04-db-sessions.md#parameters-not-strings",
            asvs: &["V2.1.4", "V5.3.4"],
            run: check_fn!(quoted_password),
        },
        Check {
            id: "s04.parallel-registrations",
            title: "20 registrations at once: all succeed, 20 rows in users",
            points: 2,
            requires: Some("s04.tables"),
            hint: "Let the UNIQUE constraint on users.username decide between racing registrations; SQLite needs a busy timeout (or WAL) so writers wait instead of failing.",
            book: "04-db-sessions.md#sqlite-or-postgresql",
            asvs: &["V11.1.6"],
            run: check_fn!(parallel_registrations),
        },
        Check {
            id: "s04.parallel-sign-ins",
            title: "20 sign-ins at once: all succeed, 20 sessions rows",
            points: 2,
            requires: Some("s04.session-row"),
            hint: "Use a connection pool, and make SQLite writers wait for each other (busy timeout, WAL) instead of answering 500 on `database is locked`.",
            book: "04-db-sessions.md#sqlite-or-postgresql",
            asvs: &[],
            run: check_fn!(parallel_sign_ins),
        },
        Check {
            id: "s04.two-instances",
            title: "two servers on one database: signed in or registered on one counts on the other",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Keep nothing about users or sessions in the process: every request reads the database that DATABASE_URL names.",
            book: "04-db-sessions.md#several-servers-one-database",
            asvs: &[],
            run: check_fn!(two_instances),
        },
        Check {
            id: "s04.two-instances-sign-out",
            title: "signed out on one server is signed out on the other at once",
            points: 3,
            requires: Some("s04.two-instances"),
            hint: "No cache of sessions in the process: read the row at every request, so a row another server deleted is no session here either.",
            book: "04-db-sessions.md#several-servers-one-database",
            asvs: &["V3.3.1"],
            run: check_fn!(two_instances_sign_out),
        },
        Check {
            id: "s04.expiry",
            title: "past its expires_at, a session is refused at once",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "Compare the row's expires_at with the clock whenever you load a session; past it, the session is no session, whether or not a sweep has run.",
            book: "04-db-sessions.md#expiry-and-the-sweep",
            asvs: &["V3.3.2"],
            run: check_fn!(expiry),
        },
        Check {
            id: "s04.sweep",
            title: "an expired session nobody presents again has its row deleted by a sweep",
            points: 2,
            requires: Some("s04.session-row"),
            hint: "Run a sweep that deletes the rows past their expires_at at least every SESSION_TTL_SECS (at most a minute apart).",
            book: "04-db-sessions.md#expiry-and-the-sweep",
            asvs: &["V3.3.1"],
            run: check_fn!(sweep),
        },
        Check {
            id: "s04.restart-keeps-sessions",
            title: "a restart keeps everyone signed in",
            points: 2,
            requires: Some("s01.login-success"),
            hint: "Sessions live in the database: keep none only in memory, and never clear the sessions table at start-up.",
            book: "04-db-sessions.md#a-session-store",
            asvs: &[],
            run: check_fn!(restart_keeps_sessions),
        },
    ]);
    checks.push(sigterm);
    checks
}

/// How far (in seconds) a row's expires_at may be from now + its lifetime:
/// enough for a slow request and a rounded clock, far less than any TTL.
const SLACK: i64 = 60;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn session_ttl(cx: &Ctx) -> i64 {
    cx.seconds("SESSION_TTL_SECS", 1800)
}

fn remember_ttl(cx: &Ctx) -> i64 {
    cx.seconds("REMEMBER_TTL_SECS", 2_592_000)
}

/// A failure for a query that did not work, saying what it needed.
fn unreadable(needed: &str) -> impl FnOnce(sqlx::Error) -> Failure + '_ {
    move |error| Failure::new(needed).got(format!("the database says: {error}"))
}

/// The user's sessions rows, found through `user_id`: id to expires_at.
const USER_SESSIONS: &str = "SELECT CAST(s.id AS TEXT), CAST(s.expires_at AS TEXT)
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE LOWER(CAST(u.username AS TEXT)) = LOWER($1)";

async fn user_sessions(db: &mut Db, username: &str) -> Result<BTreeMap<String, String>, Failure> {
    let rows = db.texts(USER_SESSIONS, &[username]).await.map_err(unreadable(
        "sessions rows found with SELECT ... FROM sessions JOIN users ON users.id = sessions.user_id",
    ))?;
    Ok(rows.into_iter().map(pair).collect())
}

/// Every sessions row: id to expires_at.
async fn all_sessions(db: &mut Db) -> Result<BTreeMap<String, String>, Failure> {
    let rows = db
        .texts("SELECT CAST(id AS TEXT), CAST(expires_at AS TEXT) FROM sessions", &[])
        .await
        .map_err(unreadable("a sessions table with columns id and expires_at"))?;
    Ok(rows.into_iter().map(pair).collect())
}

/// `column` (one the contract names) of the users rows named `username`,
/// in any case.
async fn of_user(
    db: &mut Db,
    column: &str,
    username: &str,
) -> Result<Vec<Option<String>>, sqlx::Error> {
    let sql = format!(
        "SELECT CAST({column} AS TEXT) FROM users WHERE LOWER(CAST(username AS TEXT)) = LOWER($1)"
    );
    let rows = db.texts(&sql, &[username]).await?;
    Ok(rows.into_iter().map(|row| row.into_iter().next().flatten()).collect())
}

fn pair(row: Vec<Option<String>>) -> (String, String) {
    let mut values = row.into_iter().map(Option::unwrap_or_default);
    (values.next().unwrap_or_default(), values.next().unwrap_or_default())
}

/// A sign-in, and the one row it added to sessions for its user.
struct SignedIn {
    reply: Reply,
    cookie: String,
    row: String,
    expires_at: i64,
    /// The clock just before the request and just after the answer.
    started: i64,
    finished: i64,
}

impl SignedIn {
    /// Fails unless the row expires `ttl` seconds after the sign-in.
    fn expect_lifetime(&self, ttl: i64, name: &str) -> Outcome {
        let (low, high) = (self.started + ttl - SLACK, self.finished + ttl + SLACK);
        if (low..=high).contains(&self.expires_at) {
            return Ok(());
        }
        Err(Failure::new(format!(
            "the session's row to have expires_at about now + {name} ({ttl} s from the sign-in)"
        ))
        .sent(self.reply.sent.clone())
        .got(format!(
            "expires_at is {} s from the sign-in (row {})",
            self.expires_at - self.started,
            self.row
        )))
    }
}

/// Signs `user` in on `http` (`remember`: the value of the remember box,
/// if ticked) and finds the sessions row the sign-in added.
async fn sign_in_with_row(
    cx: &Ctx,
    http: &Http,
    user: &User,
    remember: Option<&str>,
) -> Result<SignedIn, Failure> {
    let mut db = cx.db().await?;
    let before = user_sessions(&mut db, &user.username).await?;
    let mut fields =
        vec![("username", user.username.as_str()), ("password", user.password.as_str())];
    if let Some(value) = remember {
        fields.push(("remember", value));
    }
    let started = now();
    let reply = http.post_form("/login", &fields).send().await?;
    let finished = now();
    let cookie = signed_in_cookie(&reply)?;
    let after = user_sessions(&mut db, &user.username).await?;
    let added: Vec<(&String, &String)> =
        after.iter().filter(|(id, _)| !before.contains_key(*id)).collect();
    let [(row, expires)] = added.as_slice() else {
        return Err(Failure::new(format!(
            "one new row in sessions whose user_id is the id of {}'s row in users",
            user.username
        ))
        .sent(reply.sent.clone())
        .got(format!("{} new rows for that user_id", added.len())));
    };
    let expires_at = timestamp::unix_seconds(expires).ok_or_else(|| {
        Failure::new("expires_at as Unix seconds or a timestamp (UTC)")
            .sent(reply.sent.clone())
            .got(format!("expires_at = {expires:?}"))
    })?;
    Ok(SignedIn { cookie, row: (*row).clone(), expires_at, started, finished, reply })
}

async fn remember_box(cx: &mut Ctx) -> Outcome {
    let reply = cx.http.get("/").send().await?;
    let has_box = s01::login_form(&reply).is_some_and(|form| {
        form.controls.iter().any(|(name, kind)| name == "remember" && kind == "checkbox")
    });
    if reply.status != 200 || !has_box {
        return Err(reply.fail(
            "200 with the sign-in form holding <input type=\"checkbox\" name=\"remember\">",
        ));
    }
    Ok(())
}

/// What a browser sends for the ticked remember box: its value, or `on`.
async fn remember_value(http: &Http) -> Result<String, Failure> {
    let reply = http.get("/").send().await?;
    let value = s01::login_form(&reply).and_then(|form| {
        form.values.into_iter().find(|(name, _)| name == "remember").map(|(_, value)| value)
    });
    Ok(value.unwrap_or_else(|| "on".to_owned()))
}

/// The columns the contract names, table by table.
const TABLES: [(&str, &[&str]); 2] = [
    ("users", &["id", "username", "password_hash", "created_at"]),
    ("sessions", &["id", "user_id", "expires_at"]),
];

async fn tables(cx: &mut Ctx) -> Outcome {
    let mut db = cx.db().await?;
    for (table, wanted) in TABLES {
        let expected = format!("a table {table}({}, ...)", wanted.join(", "));
        let columns = db.columns(table).await.map_err(unreadable(&expected))?;
        if columns.is_empty() {
            let there = db.tables().await.unwrap_or_default();
            return Err(Failure::new(expected)
                .got(format!("no table {table}; the tables are: {}", there.join(", "))));
        }
        let named: Vec<String> = columns.iter().map(|c| c.to_lowercase()).collect();
        let missing: Vec<&str> =
            wanted.iter().copied().filter(|c| !named.iter().any(|n| n == c)).collect();
        if !missing.is_empty() {
            return Err(Failure::new(expected).got(format!(
                "{table}({}): no {}",
                columns.join(", "),
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

/// Whether `value` holds `password`, as typed or as JSON would escape it.
fn holds_password(value: &str, password: &str) -> bool {
    let escaped = serde_json::to_string(password).unwrap_or_default();
    value.contains(password) || value.contains(escaped.trim_matches('"'))
}

async fn hashed(cx: &mut Ctx) -> Outcome {
    // Two more accounts with one password: their salts must differ.
    let shared = new_password();
    let twins = [new_name("twa"), new_name("twb")];
    for name in &twins {
        signed_in_cookie(&register_account(&cx.http, name, &shared).await?)?;
    }
    let mut accounts = cx.users.clone();
    accounts
        .extend(twins.iter().map(|name| User { username: name.clone(), password: shared.clone() }));
    let mut db = cx.db().await?;
    let mut hashes = Vec::new();
    for user in &accounts {
        let expected = format!("a users row for {} with its password_hash", user.username);
        let rows = of_user(&mut db, "password_hash", &user.username)
            .await
            .map_err(unreadable(&expected))?;
        let Some(hash) = rows.into_iter().next().flatten() else {
            return Err(Failure::new(expected).got("no such row"));
        };
        check_phc(&hash, &user.password).map_err(|problem| {
            Failure::new(format!(
                "{}'s password_hash: an argon2id PHC string, $argon2id$v=19$m=19456,t=2,p=1$... or stronger, of the password",
                user.username
            ))
            .got(format!("{hash}\n({problem})"))
        })?;
        hashes.push(hash);
    }
    if let [.., first, second] = hashes.as_slice()
        && first == second
    {
        return Err(Failure::new(
            "two accounts with the same password to get different hashes (a random salt each)",
        )
        .got(first.clone()));
    }
    for table in ["users", "sessions"] {
        let (columns, rows) =
            db.dump(table).await.map_err(unreadable("every column readable as text"))?;
        for row in rows {
            for (column, value) in columns.iter().zip(row) {
                let value = value.unwrap_or_default();
                if let Some(user) = accounts.iter().find(|u| holds_password(&value, &u.password)) {
                    return Err(Failure::new("no column of users or sessions holds a password")
                        .got(format!(
                            "{table}.{column} holds the password of {}: {}",
                            user.username,
                            crate::text::excerpt(&value, 200)
                        )));
                }
            }
        }
    }
    Ok(())
}

async fn session_row(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let first = sign_in_with_row(cx, &cx.http, &user, None).await?;
    first.expect_lifetime(session_ttl(cx), "SESSION_TTL_SECS")?;
    let second = sign_in_with_row(cx, &cx.http, &user, None).await?;
    second.expect_lifetime(session_ttl(cx), "SESSION_TTL_SECS")?;
    let rows = user_sessions(&mut cx.db().await?, &user.username).await?;
    if !rows.contains_key(&first.row) {
        return Err(Failure::new("two sign-ins, two rows: the first one's row still there")
            .sent(format!("two sign-ins of {}", user.username))
            .got(format!("row {} is gone", first.row)));
    }
    Ok(())
}

async fn logout_deletes_row(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let leaving = sign_in_with_row(cx, &cx.http, &user, None).await?;
    let staying = sign_in_with_row(cx, &cx.http, &user, None).await?;
    let reply = cx.http.post_form("/logout", &[]).session(&leaving.cookie).send().await?;
    let rows = user_sessions(&mut cx.db().await?, &user.username).await?;
    if rows.contains_key(&leaving.row) {
        return Err(reply.fail(format!(
            "the signed-out session's row ({}) deleted from sessions",
            leaving.row
        )));
    }
    if !rows.contains_key(&staying.row) {
        return Err(reply.fail(format!(
            "the user's other session's row ({}) left alone: only this session signed out",
            staying.row
        )));
    }
    Ok(())
}

async fn plain_cookie(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let signed_in = sign_in_with_row(cx, &cx.http, &user, None).await?;
    let lasting =
        signed_in.reply.session_cookie().is_some_and(|c| c.has("max-age") || c.has("expires"));
    if lasting {
        return Err(signed_in
            .reply
            .fail("a session cookie without Max-Age or Expires: remember was not ticked"));
    }
    signed_in.expect_lifetime(session_ttl(cx), "SESSION_TTL_SECS")
}

async fn remember_me(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let value = remember_value(&cx.http).await?;
    let signed_in = sign_in_with_row(cx, &cx.http, &user, Some(&value)).await?;
    let ttl = remember_ttl(cx);
    let max_age = signed_in
        .reply
        .session_cookie()
        .and_then(|c| c.get("max-age").and_then(|age| age.trim().parse::<i64>().ok()));
    if !max_age.is_some_and(|age| (ttl - 5..=ttl).contains(&age)) {
        return Err(signed_in.reply.fail(format!(
            "Set-Cookie: session=<id>; Max-Age={ttl} (REMEMBER_TTL_SECS), since remember was ticked"
        )));
    }
    signed_in.expect_lifetime(ttl, "REMEMBER_TTL_SECS")?;
    let me = cx.http.get("/api/me").session(&signed_in.cookie).send().await?;
    if me.status != 200 {
        return Err(me.fail("200: the remembered session is signed in"));
    }
    Ok(())
}

/// What the database's own errors and SQL look like, wherever a server
/// might let them out: any case, then as SQL is usually written.
const ERROR_WORDS: &[&str] = &[
    "syntax error",
    "sqlstate",
    "sqlite",
    "sqlx",
    "postgres",
    "psycopg",
    "near \"",
    "unrecognized token",
    "unterminated quoted",
    "operationalerror",
    "programmingerror",
    "traceback",
];
const SQL_WORDS: &[&str] = &[
    "SELECT ",
    "INSERT INTO",
    "DELETE FROM",
    "UPDATE users",
    "UPDATE sessions",
    "DROP TABLE",
    " FROM users",
    " FROM sessions",
];

/// Where an answer shows the database's error or SQL text, if it does.
/// `typed` is what was sent, which the page may show back (escaped).
fn sql_shown(reply: &Reply, typed: &[&str]) -> Option<String> {
    let mut text = if reply.media_type() == "text/html" {
        html::visible_text(&reply.text())
    } else {
        reply.text().into_owned()
    };
    for sent in typed {
        text = text.replace(sent, " ").replace(&sent.to_lowercase(), " ");
    }
    let lower = text.to_lowercase();
    let found = ERROR_WORDS
        .iter()
        .find_map(|word| lower.find(word).map(|at| (at, word.len())))
        .or_else(|| SQL_WORDS.iter().find_map(|word| text.find(word).map(|at| (at, word.len()))));
    found.map(|(at, len)| {
        let start = text[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
        let excerpt: String = text[start..].chars().take(len + 120).collect();
        format!("the answer shows the database's words: ...{excerpt}...")
    })
}

/// Fails unless `reply` is an ordinary 401 that shows no SQL; `what` says
/// where the SQL was, `typed` what the page may show back.
fn expect_plain_401(reply: &Reply, typed: &[&str], what: &str) -> Outcome {
    match reply.status {
        401 => {}
        200 | 303 => return Err(reply.fail(format!("401 and no one signed in: {what}"))),
        _ => {
            return Err(
                reply.fail(format!("401 (an ordinary failed sign-in), not an error: {what}"))
            );
        }
    }
    match sql_shown(reply, typed) {
        Some(shown) => {
            let mut failure =
                reply.fail(format!("401 showing no SQL and no database error: {what}"));
            failure.got = failure.got.map(|got| format!("{got}\n{shown}"));
            Err(failure)
        }
        None => Ok(()),
    }
}

/// What an injection could harm: how many users there are, and the
/// session rows that are not about to expire (a sweep may take the rest).
async fn intact(db: &mut Db) -> Result<(i64, BTreeSet<String>), Failure> {
    let users = db.count("users").await.map_err(unreadable("the users table still there"))?;
    let soon = now() + 120;
    let lasting = all_sessions(db)
        .await?
        .into_iter()
        .filter(|(_, expires)| timestamp::unix_seconds(expires).is_none_or(|at| at > soon))
        .map(|(id, _)| id)
        .collect();
    Ok((users, lasting))
}

/// Fails unless nothing `intact` saw before has gone.
async fn expect_intact(db: &mut Db, before: &(i64, BTreeSet<String>), sent: &str) -> Outcome {
    let (users, lasting) = intact(db).await.map_err(|failure| failure.sent(sent))?;
    if users != before.0 {
        return Err(Failure::new(format!("the users table as it was: {} rows", before.0))
            .sent(sent)
            .got(format!("{users} rows")));
    }
    let gone: Vec<&String> = before.1.difference(&lasting).collect();
    if !gone.is_empty() {
        return Err(Failure::new("every session row still there").sent(sent).got(format!(
            "{} rows are gone, {} among them",
            gone.len(),
            gone[0]
        )));
    }
    Ok(())
}

async fn injection_login(cx: &mut Ctx) -> Outcome {
    // A user of its own, so that its few failures here throttle no one.
    let target = User { username: new_name("inj"), password: new_password() };
    signed_in_cookie(&register_account(&cx.http, &target.username, &target.password).await?)?;
    let mut db = cx.db().await?;
    let before = intact(&mut db).await?;
    // Each name once (five failures would throttle it), each with a real
    // password: a statement that the name rewrites finds that user.
    let real = cx.user(0).clone();
    let names = [
        "' OR '1'='1".to_owned(),
        "' OR 1=1 --".to_owned(),
        "admin'--".to_owned(),
        "x'); DROP TABLE users; --".to_owned(),
        "\" OR \"\"=\"".to_owned(),
        "\\'; DROP TABLE sessions; --".to_owned(),
        "admin\\".to_owned(),
        "' UNION SELECT 1, 'x', 'y', 0 --".to_owned(),
        format!("{}'--", real.username),
        format!("{}' OR '1'='1", real.username),
    ];
    for name in &names {
        let reply = post_login(&cx.http, name, &real.password, None, None).await?;
        expect_plain_401(&reply, &[name], "the username is SQL")?;
    }
    // Four wrong passwords for one name stay under the throttle's five.
    let passwords = ["' OR '1'='1", "' OR 1=1 --", "x' OR 'x'='x", "') OR ('1'='1"];
    for password in passwords {
        let reply = post_login(&cx.http, &target.username, password, None, None).await?;
        expect_plain_401(&reply, &[&target.username], "the password is SQL")?;
    }
    let sent = "POST /login with SQL in usernames and passwords";
    expect_intact(&mut db, &before, sent).await?;
    sign_in(&cx.http, &target.username, &target.password).await.map(drop)
}

async fn injection_cookie(cx: &mut Ctx) -> Outcome {
    let user = cx.user(1).clone();
    let real = sign_in(&cx.http, &user.username, &user.password).await?;
    let mut db = cx.db().await?;
    let before = intact(&mut db).await?;
    let cookies = [
        "' OR '1'='1".to_owned(),
        "x' OR 'x'='x".to_owned(),
        "x'; DELETE FROM sessions; --".to_owned(),
        "x%27%3B%20DELETE%20FROM%20sessions%3B%20--".to_owned(),
        "%27%20OR%20%271%27%3D%271".to_owned(),
        "\\' OR 1=1 --".to_owned(),
        format!("{real}' OR '1'='1"),
        format!("{real}%00"),
        "%00".to_owned(),
        "' OR '1'='1' -- ".repeat(200),
    ];
    for cookie in &cookies {
        let me = cx.http.get("/api/me").session(cookie).send().await?;
        expect_plain_401(&me, &[cookie], "the session cookie is SQL, which is no session")?;
    }
    expect_intact(&mut db, &before, "GET /api/me with SQL in the session cookie").await?;
    let me = cx.http.get("/api/me").session(&real).send().await?;
    if me.status != 200 {
        return Err(me.fail("200: the real session is still signed in"));
    }
    Ok(())
}

async fn quoted_password(cx: &mut Ctx) -> Outcome {
    let name = new_name("quo");
    let tag = &random_token()[..8];
    let password = format!("O'Brien \"{tag}\"; -- \\ '' \\' ;--");
    let reply = register_account(&cx.http, &name, &password).await?;
    signed_in_cookie(&reply)
        .map_err(|_| reply.fail("303 See Other and a session: the password keeps the rules"))?;
    sign_in(&cx.http, &name, &password).await?;
    // Not the same password without its backslashes.
    let unescaped = password.replace('\\', "");
    let reply = post_login(&cx.http, &name, &unescaped, None, None).await?;
    if reply.status != 401 {
        return Err(reply.fail("401: the password without its backslashes is another password"));
    }
    Ok(())
}

async fn parallel_registrations(cx: &mut Ctx) -> Outcome {
    let (users, tasks) = s02::register_twenty(&cx.http);
    for reply in tasks.join_all().await {
        signed_in_cookie(&reply?)?;
    }
    let mut db = cx.db().await?;
    for user in &users {
        let rows =
            of_user(&mut db, "id", &user.username).await.map_err(unreadable("a users table"))?;
        if rows.len() != 1 {
            return Err(Failure::new(format!(
                "one users row for each of the 20 accounts registered at once, {} too",
                user.username
            ))
            .sent("20 registrations at once")
            .got(format!("{} rows", rows.len())));
        }
    }
    for user in users.iter().take(3) {
        sign_in(&cx.http, &user.username, &user.password).await?;
    }
    Ok(())
}

async fn parallel_sign_ins(cx: &mut Ctx) -> Outcome {
    let user = cx.user(1).clone();
    let mut db = cx.db().await?;
    let before = user_sessions(&mut db, &user.username).await?;
    let cookies = sign_in_at_once(&cx.http, &user.username, &user.password, 20).await?;
    let after = user_sessions(&mut db, &user.username).await?;
    let added = after.keys().filter(|id| !before.contains_key(*id)).count();
    if added != 20 {
        return Err(Failure::new(format!("20 new sessions rows for {}", user.username))
            .sent("20 sign-ins at once")
            .got(format!("{added} new rows")));
    }
    for cookie in &cookies {
        let me = cx.http.get("/api/me").session(cookie).send().await?;
        if me.status != 200 {
            return Err(me.fail("200: every one of the 20 sessions is signed in"));
        }
    }
    Ok(())
}

/// Fails unless `cookie` is signed in as `username` on the server of `http`.
async fn expect_signed_in(http: &Http, cookie: &str, username: &str, why: &str) -> Outcome {
    let me = http.get("/api/me").session(cookie).send().await?;
    let json: serde_json::Value = serde_json::from_slice(&me.body).unwrap_or_default();
    let right = json["username"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(username));
    if me.status != 200 || !right {
        return Err(me.fail(format!("200 {{\"username\": {username:?}}}: {why}")));
    }
    Ok(())
}

async fn two_instances(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[]).await?;
    let outcome = async {
        let user = cx.user(0).clone();
        let first = "signed in on the first server, which shares the database";
        let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
        expect_signed_in(&other.http, &cookie, &user.username, first).await?;
        let cookie = sign_in(&other.http, &user.username, &user.password).await?;
        let second = "signed in on the second server, which shares the database";
        expect_signed_in(&cx.http, &cookie, &user.username, second).await?;
        let (name, password) = (new_name("two"), new_password());
        signed_in_cookie(&register_account(&other.http, &name, &password).await?)?;
        let reply = post_login(&cx.http, &name, &password, None, None).await?;
        signed_in_cookie(&reply).map_err(|_| {
            reply.fail(format!("303 and a session: {name} registered on the second server"))
        })?;
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

async fn two_instances_sign_out(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[]).await?;
    let outcome = async {
        let user = cx.user(0).clone();
        let servers = [(&cx.http, &other.http), (&other.http, &cx.http)];
        for (signs_in, signs_out) in servers {
            let cookie = sign_in(signs_in, &user.username, &user.password).await?;
            // Both servers have seen the session before it ends.
            for http in [signs_in, signs_out] {
                expect_signed_in(http, &cookie, &user.username, "signed in on either server")
                    .await?;
            }
            let reply = signs_out.post_form("/logout", &[]).session(&cookie).send().await?;
            super::expect_redirect(&reply, &signs_out.base_url, "/")?;
            let why = format!(
                "the session was signed out on the other server ({}) a moment ago",
                signs_out.base_url
            );
            expect_anonymous(signs_in, &cookie, &why).await?;
        }
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

async fn expiry(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[("SESSION_TTL_SECS", "3")]).await?;
    let outcome = async {
        let user = cx.user(0).clone();
        let cookie = sign_in(&other.http, &user.username, &user.password).await?;
        expect_signed_in(&other.http, &cookie, &user.username, "SESSION_TTL_SECS=3, a moment on")
            .await?;
        // A deliberate wait: past the TTL, unused.
        tokio::time::sleep(Duration::from_millis(4500)).await;
        let me = other.http.get("/api/me").session(&cookie).send().await?;
        if me.status != 401 {
            return Err(me.fail("401: the session went unused for 4.5 s with SESSION_TTL_SECS=3"));
        }
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

/// How long an abandoned session's row may outlive its expiry (of 3 s).
const SWEPT_WITHIN: Duration = Duration::from_secs(15);

async fn sweep(cx: &mut Ctx) -> Outcome {
    let mut other = cx.start_another(&[("SESSION_TTL_SECS", "3")]).await?;
    let outcome = async {
        let user = cx.user(0).clone();
        let signed_in = sign_in_with_row(cx, &other.http, &user, None).await?;
        let deadline = Instant::now() + SWEPT_WITHIN;
        let mut db = cx.db().await?;
        // The cookie is never sent again: only a sweep can delete the row.
        while all_sessions(&mut db).await?.contains_key(&signed_in.row) {
            if Instant::now() >= deadline {
                return Err(Failure::new(format!(
                    "the row of a session nobody presents again deleted within {} s of sign-in, with SESSION_TTL_SECS=3",
                    SWEPT_WITHIN.as_secs()
                ))
                .sent(signed_in.reply.sent.clone())
                .got(format!("row {} is still in sessions", signed_in.row)));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    }
    .await;
    other.server.stop().await;
    outcome
}

async fn restart_keeps_sessions(cx: &mut Ctx) -> Outcome {
    let user = cx.user(0).clone();
    let cookie = sign_in(&cx.http, &user.username, &user.password).await?;
    cx.restart(false).await?;
    expect_signed_in(
        &cx.http,
        &cookie,
        &user.username,
        "the server was restarted on the same database",
    )
    .await
}

#[cfg(test)]
mod tests {
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    use super::sql_shown;
    use crate::http::Reply;

    fn page(body: &str) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        Reply { sent: String::new(), status: 401, headers, body: body.as_bytes().to_vec() }
    }

    #[test]
    fn a_page_may_show_the_username_typed_in() {
        let name = "x'); DROP TABLE users; --";
        let shown = page(
            "<p>No account x&#39;); DROP TABLE users; -- or a wrong password.</p><select name=lang></select>",
        );
        assert_eq!(sql_shown(&shown, &[name]), None);
        let lowered = page("<p>Wrong password for x'); drop table users; --</p>");
        assert_eq!(sql_shown(&lowered, &[name]), None);
    }

    #[test]
    fn the_database_s_words_are_caught() {
        for body in [
            "<pre>error returned from database: near \"OR\": syntax error</pre>",
            "<p>SQLSTATE[42601]</p>",
            "Internal error: SELECT username FROM users WHERE username = 'x' OR",
            "sqlx::Error Database(PgDatabaseError)",
        ] {
            assert!(sql_shown(&page(body), &["x' OR"]).is_some(), "{body}");
        }
    }
}
