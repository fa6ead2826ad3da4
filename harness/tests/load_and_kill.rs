//! The session stores of steps 03 (JSON files) and 04 (SQLite) under load,
//! killed with SIGKILL in the middle of it, and restarted on the same data
//! folder: every session the server answered for is intact or cleanly
//! absent, and nothing it left makes it fail or answer 500.
//!
//! Loopback only, and bounded in time: a few seconds of load, then the
//! check of what was seen. Nothing here asserts on speed.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use harness::{
    fixtures::{self, User},
    http::Http,
    kit_root::kit_root,
    sandbox::Sandbox,
    server::{self, Launch, Server},
    speed::step_env,
    steps,
    target::Target,
};

/// Clients signing in, reading and signing out at the same time.
const CLIENTS: usize = 12;
/// Load before the kill; the clients stop at the first request it breaks.
const BEFORE_KILL: Duration = Duration::from_millis(2500);
/// Everything after the build, whatever happens.
const WHOLE_TEST: Duration = Duration::from_secs(120);

/// What the server last answered about one session.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Said {
    /// `POST /login` answered 303 with the cookie: the session exists.
    SignedIn,
    /// `POST /logout` was sent and got no answer: either outcome is fine.
    SigningOut,
    /// `POST /logout` answered 303: the session is gone.
    SignedOut,
}

#[derive(Clone, Debug)]
struct Seen {
    cookie: String,
    username: String,
    said: Said,
}

#[derive(Default)]
struct Log {
    seen: Vec<Seen>,
    /// Answers no request may get (a 500, a wrong user), described.
    wrong: Vec<String>,
    reads: usize,
}

#[tokio::test]
async fn step_03_file_sessions_survive_a_kill_under_load() {
    load_and_kill("03").await;
}

#[tokio::test]
async fn step_04_sqlite_sessions_survive_a_kill_under_load() {
    load_and_kill("04").await;
}

/// Builds the step's solution (which may take a while), then loads, kills
/// and restarts it within [`WHOLE_TEST`].
async fn load_and_kill(step: &str) {
    let step = steps::find(step).expect("a known step");
    let program = Target::Solution
        .program(step, &kit_root(), false)
        .await
        .unwrap_or_else(|failure| panic!("{}\n{}", failure.summary, failure.diagnostics));
    tokio::time::timeout(WHOLE_TEST, run(step, program)).await.expect("the test is bounded");
}

async fn run(step: &steps::Step, program: server::Program) {
    let root = kit_root();
    let mut sandbox = Sandbox::new().expect("a sandbox");
    let env = step_env(step, &mut sandbox).expect("a data folder");
    let data_dir = env.iter().find(|(k, _)| k == "DATA_DIR").map(|(_, v)| v.clone()).unwrap();
    let launch = Launch { program, cwd: root, env, ready_within: Duration::from_secs(30) };
    let mut server = Server::start(&launch, server::free_port())
        .await
        .unwrap_or_else(|failure| panic!("{}\n{}", failure.reason, failure.log));

    let http = Http::new(&server.base_url);
    let users: Vec<User> = fixtures::fresh_accounts().into_iter().take(4).collect();
    for user in &users {
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        let reply = http.post_form("/register", &fields).send().await.expect("registering");
        assert_eq!(reply.status, 303, "registering {}: {}", user.username, reply.summary());
    }

    let log = Arc::new(Mutex::new(Log::default()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (http, log) = (http.clone(), log.clone());
            let user = users[n % users.len()].clone();
            tokio::spawn(client(http, user, n, log))
        })
        .collect();
    tokio::time::sleep(BEFORE_KILL).await;
    server.kill().await;
    for client in clients {
        client.await.expect("a client ends when the server is gone");
    }

    // The same data folder and secret, on a new port.
    let mut server = Server::start(&launch, server::free_port()).await.unwrap_or_else(|failure| {
        panic!("the restart failed: {}\n{}", failure.reason, failure.log)
    });
    let http = Http::new(&server.base_url);
    let log = std::mem::take(&mut *log.lock().unwrap());
    let mut wrong = log.wrong;
    let signed_in = log.seen.iter().filter(|s| s.said == Said::SignedIn).count();
    let mut intact = 0;
    for seen in &log.seen {
        let reply = http.get("/api/me").session(&seen.cookie).send().await.expect("an answer");
        let name = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|json| json["username"].as_str().map(str::to_owned));
        let fine = match (reply.status, seen.said) {
            (200, Said::SignedIn | Said::SigningOut) => name.as_deref() == Some(&seen.username),
            (401, Said::SignedOut | Said::SigningOut) => true,
            _ => false,
        };
        if reply.status == 200 {
            intact += 1;
        }
        if !fine {
            wrong.push(format!(
                "after the restart, a session the server had said was {:?} for {}: {}",
                seen.said,
                seen.username,
                reply.summary()
            ));
        }
    }
    wrong.extend(leftovers_that_do_not_parse(step.id, Path::new(&data_dir)).await);
    server.stop().await;
    eprintln!(
        "step {}: {} sessions seen ({signed_in} signed in at the kill, {intact} intact after it), \
         {} reads",
        step.id,
        log.seen.len(),
        log.reads
    );
    assert!(signed_in > 0, "no sign-in was answered before the kill: nothing was tested");
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
}

/// Signs in, reads `/api/me` twice, signs out every other time, until a
/// request gets no answer (the kill).
async fn client(http: Http, user: User, n: usize, log: Arc<Mutex<Log>>) {
    let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
    let deadline = Instant::now() + BEFORE_KILL + Duration::from_secs(20);
    for round in 0.. {
        if Instant::now() > deadline {
            return;
        }
        let Ok(reply) = http.post_form("/login", &fields).send().await else { return };
        let Some(cookie) = reply.new_session().filter(|_| reply.status == 303) else {
            log.lock().unwrap().wrong.push(format!("signing in: {}", reply.summary()));
            return;
        };
        let index = {
            let mut log = log.lock().unwrap();
            log.seen.push(Seen {
                cookie: cookie.clone(),
                username: user.username.clone(),
                said: Said::SignedIn,
            });
            log.seen.len() - 1
        };
        for _ in 0..2 {
            let Ok(reply) = http.get("/api/me").session(&cookie).send().await else { return };
            let mut log = log.lock().unwrap();
            log.reads += 1;
            if reply.status != 200 || !String::from_utf8_lossy(&reply.body).contains(&user.username)
            {
                log.wrong.push(format!("reading a live session: {}", reply.summary()));
            }
        }
        if (round + n).is_multiple_of(2) {
            log.lock().unwrap().seen[index].said = Said::SigningOut;
            let Ok(reply) = http.post_form("/logout", &[]).session(&cookie).send().await else {
                return;
            };
            let mut log = log.lock().unwrap();
            if reply.status == 303 {
                log.seen[index].said = Said::SignedOut;
            } else {
                log.wrong.push(format!("signing out: {}", reply.summary()));
            }
        }
    }
}

/// What the killed server left in its data folder that would not load:
/// a session file that is not a whole JSON record (step 03), a database
/// that fails SQLite's integrity check (step 04).
async fn leftovers_that_do_not_parse(step: &str, data_dir: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    if step == "03" {
        for entry in std::fs::read_dir(data_dir.join("sessions")).expect("the sessions folder") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name.starts_with('.') {
                continue; // a temporary file, which the sweep removes
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let record: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
            let whole = record
                .as_ref()
                .is_some_and(|r| r["username"].is_string() && r["expires_at"].is_i64());
            if !whole {
                wrong.push(format!(
                    "{name} is not a whole session: {:?}",
                    String::from_utf8_lossy(&bytes)
                ));
            }
        }
    } else {
        use sqlx::{Connection, SqliteConnection};
        let url = format!("sqlite://{}?mode=ro", data_dir.join("app.db").display());
        let mut db = SqliteConnection::connect(&url).await.expect("the database opens");
        let verdict: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut db).await.expect("a check");
        if verdict != "ok" {
            wrong.push(format!("the database fails its integrity check: {verdict}"));
        }
    }
    wrong
}
