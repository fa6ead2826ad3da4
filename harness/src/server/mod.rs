//! A student's server as a child process: started in its own process
//! group, watched until it answers, stopped with SIGTERM and then SIGKILL of
//! the whole group, so that nothing it started outlives the grading.

pub(crate) mod process_group;
mod tail;

use std::{
    path::PathBuf,
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

pub use process_group::interrupt_handler;
use tail::Tail;

/// What to run: a built binary, or a shell command (`--cmd`).
#[derive(Clone, Debug)]
pub enum Program {
    Binary(PathBuf),
    Shell(String),
}

/// Everything needed to start (and restart) a server.
#[derive(Clone, Debug)]
pub struct Launch {
    pub program: Program,
    /// The working directory: the kit's root, so `fixtures/` is at hand.
    pub cwd: PathBuf,
    /// The environment, beyond which the server sees only PATH, HOME, LANG.
    pub env: Vec<(String, String)>,
    /// How long the server may take to answer its first `GET /`.
    pub ready_within: Duration,
}

/// Why a server is not serving.
#[derive(Debug)]
pub struct StartFailure {
    pub reason: String,
    pub log: String,
}

/// How a server ended.
#[derive(Debug)]
pub struct Stopped {
    /// `None` when it had to be killed.
    pub status: Option<ExitStatus>,
    pub took: Duration,
}

pub struct Server {
    child: Child,
    pgid: i32,
    pub port: u16,
    pub base_url: String,
    log: Arc<Mutex<Tail>>,
}

/// How long a server gets between SIGTERM and SIGKILL; the contract allows 5 s.
const GRACE: Duration = Duration::from_secs(5);

impl Server {
    /// Starts the server on `port` and waits until `GET /` answers.
    pub async fn start(launch: &Launch, port: u16) -> Result<Server, StartFailure> {
        let mut command = match &launch.program {
            Program::Binary(path) => Command::new(path),
            Program::Shell(line) => {
                // bash runs a lone command in place of itself, so SIGTERM
                // reaches the server; dash would fork it and die first.
                let shell = ["/bin/bash", "/usr/bin/bash"]
                    .into_iter()
                    .find(|path| std::path::Path::new(path).exists())
                    .unwrap_or("/bin/sh");
                let mut command = Command::new(shell);
                command.arg("-c").arg(line);
                command
            }
        };
        command
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(["PATH", "HOME", "LANG"].iter().filter_map(|k| Some((k, std::env::var(k).ok()?))))
            // Where the harness reaches it, unless a check says otherwise.
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        process_group::die_with_parent(&mut command);
        let mut child = command.spawn().map_err(|e| StartFailure {
            reason: format!("cannot start {}: {e}", describe(&launch.program)),
            log: String::new(),
        })?;
        let pgid = child.id().map_or(0, |id| id as i32);
        process_group::register(pgid);
        let log = Arc::new(Mutex::new(Tail::default()));
        tail::drain(child.stdout.take(), log.clone());
        tail::drain(child.stderr.take(), log.clone());
        let mut server =
            Server { child, pgid, port, base_url: format!("http://127.0.0.1:{port}"), log };
        match server.wait_ready(launch.ready_within).await {
            Ok(()) => Ok(server),
            Err(reason) => {
                server.stop().await;
                Err(StartFailure { reason, log: server.log() })
            }
        }
    }

    async fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(2))
            .build()
            .expect("a plain HTTP client");
        let mut pause = Duration::from_millis(20);
        let mut last_error = String::from("nothing tried yet");
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "the server exited ({}) before it answered GET /",
                    exit_words(status)
                ));
            }
            match client.get(format!("{}/", self.base_url)).send().await {
                Ok(_) => return Ok(()),
                Err(error) if error.is_timeout() => {
                    last_error = "GET / got no answer within 2 s".into()
                }
                Err(error) if error.is_connect() => {
                    last_error = format!("nothing listens on 127.0.0.1:{}", self.port)
                }
                Err(error) => last_error = crate::http::transport_words(&error),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
        Err(format!(
            "the server did not answer GET / within {} s ({last_error}); \
             it must listen on HOST and PORT from the environment",
            within.as_secs()
        ))
    }

    /// The exit status, if the server has already exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines the server wrote to stdout and stderr.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").render()
    }

    /// Process-group id, to look for what the server left running.
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// SIGTERM to the whole group; SIGKILL to whatever is left after the
    /// grace period, or at once to leftovers of a server that already exited.
    pub async fn stop(&mut self) -> Stopped {
        let started = Instant::now();
        let mut status = self.exited();
        if status.is_none() || process_group::alive(self.pgid) {
            process_group::signal(self.pgid, libc::SIGTERM);
            let deadline = tokio::time::Instant::now() + GRACE;
            if status.is_none() {
                status = tokio::time::timeout_at(deadline, self.child.wait())
                    .await
                    .ok()
                    .and_then(Result::ok);
            }
            // What the server started gets the same grace as the server.
            while process_group::alive(self.pgid) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let took = started.elapsed();
        process_group::signal(self.pgid, libc::SIGKILL);
        if status.is_none() {
            let _ = self.child.wait().await;
        }
        process_group::unregister(self.pgid);
        Stopped { status, took }
    }
}

impl Server {
    /// SIGKILL to the whole group at once: a crash, as far as the server's
    /// files can tell.
    pub async fn kill(&mut self) {
        process_group::signal(self.pgid, libc::SIGKILL);
        let _ = self.child.wait().await;
        process_group::unregister(self.pgid);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A server dropped without `stop` (a panic, an early return) must
        // not outlive us.
        process_group::signal(self.pgid, libc::SIGKILL);
        process_group::unregister(self.pgid);
    }
}

fn describe(program: &Program) -> String {
    match program {
        Program::Binary(path) => path.display().to_string(),
        Program::Shell(line) => format!("`{line}`"),
    }
}

/// "status 3" or "killed by signal 9", as a person would say it.
pub fn exit_words(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// A port nothing listens on right now. Another process could take it
/// before the server binds it; on a loopback test machine that is rare,
/// and the readiness wait then reports it plainly.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the loopback interface has a free port")
}
