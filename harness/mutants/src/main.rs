//! `mutant <step> --flaw <name>`: a step server with one deliberate flaw.
//!
//! The flaws that keep the server from starting live here; the ones in a
//! step's behaviour live in that step's module.

mod passwords;
mod s01;
mod s02;
mod s03;
mod s04;
mod s05;
mod s06;
mod users_file;

use std::{
    env,
    io::Write,
    path::PathBuf,
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::Parser;
use tokio::{net::TcpListener, signal::unix::SignalKind, sync::watch};

/// How long in-flight requests get after SIGTERM (the contract allows 5 s).
const GRACE: Duration = Duration::from_secs(4);

/// A step server with one deliberate flaw, to prove that a grading check can fail.
#[derive(Parser)]
#[command(name = "mutant")]
struct Cli {
    /// The step to imitate (`01` to `06`).
    #[arg(required_unless_present = "list")]
    step: Option<String>,
    /// The flaw to have; `none` is a fully correct server.
    #[arg(long, default_value = mutants::NONE)]
    flaw: String,
    /// Print the flaws (of STEP, if given) and exit.
    #[arg(long)]
    list: bool,
}

/// The contract's environment, with its defaults.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub static_dir: PathBuf,
    pub public_url: String,
    pub session_ttl: Duration,
    /// `SESSION_ABSOLUTE_TTL_SECS` (step 03): the longest a session lives.
    pub session_absolute_ttl: Duration,
    /// `SESSION_SECRET` (step 03 on), unchecked here.
    pub session_secret: Option<String>,
    /// `REMEMBER_TTL_SECS` (step 04 on).
    pub remember_ttl: Duration,
    /// `DATABASE_URL` (step 04 on); `None` means SQLite in `DATA_DIR`.
    pub database_url: Option<String>,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let port = number("PORT", 5000)?;
        Ok(Self {
            host: var("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port,
            data_dir: var("DATA_DIR").unwrap_or_else(|| "data".into()).into(),
            static_dir: var("STATIC_DIR").map_or_else(
                || concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/static").into(),
                PathBuf::from,
            ),
            public_url: var("PUBLIC_URL").unwrap_or_else(|| format!("http://localhost:{port}")),
            session_ttl: Duration::from_secs(number("SESSION_TTL_SECS", 1800)?),
            session_absolute_ttl: Duration::from_secs(number("SESSION_ABSOLUTE_TTL_SECS", 43_200)?),
            session_secret: var("SESSION_SECRET"),
            remember_ttl: Duration::from_secs(number("REMEMBER_TTL_SECS", 2_592_000)?),
            database_url: var("DATABASE_URL"),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    var(name).map_or(Ok(default), |raw| {
        raw.parse().map_err(|_| format!("{name}: {raw:?} is not a valid number"))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list {
        list(cli.step.as_deref());
        return ExitCode::SUCCESS;
    }
    let step = cli.step.unwrap_or_default();
    if !mutants::STEPS.contains(&step.as_str()) {
        eprintln!("mutant: unknown step {step:?}; known steps: {}", mutants::STEPS.join(", "));
        return ExitCode::from(2);
    }
    let flaw = if cli.flaw == mutants::NONE {
        mutants::NONE
    } else if let Some(flaw) = mutants::find(&step, &cli.flaw) {
        flaw.name
    } else {
        let known: Vec<_> = mutants::flaws(&step).map(|flaw| flaw.name).collect();
        eprintln!(
            "mutant: step {step} has no flaw {:?}; known: {}, {} (see mutant --list)",
            cli.flaw,
            mutants::NONE,
            known.join(", ")
        );
        return ExitCode::from(2);
    };

    if flaw == "exit-at-once" {
        eprintln!("mutant: flaw exit-at-once: giving up before listening");
        return ExitCode::from(3);
    }
    if flaw == "flood-stderr" {
        flood_stderr(20 * 1024 * 1024);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("mutant: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mutant: cannot start the tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(config, &step, flaw));
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mutant: {error}");
            ExitCode::FAILURE
        }
    }
}

fn list(step: Option<&str>) {
    use std::fmt::Write as _;
    let mut out = format!("{:<4} {:<26} {:<30} what\n", "step", "flaw", "breaks");
    for step in mutants::STEPS.iter().filter(|s| step.is_none_or(|wanted| **s == wanted)) {
        let _ = writeln!(out, "{step:<4} {:<26} {:<30} a fully correct server", mutants::NONE, "-");
        for flaw in mutants::flaws(step) {
            let breaks = if flaw.breaks.is_empty() { "-".into() } else { flaw.breaks.join(",") };
            let _ = writeln!(out, "{:<4} {:<26} {breaks:<30} {}", flaw.step, flaw.name, flaw.what);
        }
    }
    // `mutant --list | head` closes the pipe early: not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// Writes `bytes` bytes of log-looking lines to stderr; blocks while nobody reads.
fn flood_stderr(bytes: usize) {
    let line = format!("mutant: flood-stderr {}\n", "x".repeat(1000));
    let mut stderr = std::io::stderr().lock();
    let mut written = 0;
    while written < bytes {
        if stderr.write_all(line.as_bytes()).is_err() {
            return;
        }
        written += line.len();
    }
    let _ = stderr.flush();
}

async fn run(config: Config, step: &str, flaw: &'static str) -> Result<(), String> {
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        termination(flaw).await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut stop: watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };

    if flaw == "never-listen" {
        eprintln!("mutant: flaw never-listen: not listening, waiting for SIGTERM");
        stopped(stop).await;
        return Ok(());
    }

    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create DATA_DIR {}: {e}", config.data_dir.display()))?;
    let (address, public_url) =
        (format!("{}:{}", config.host, config.port), config.public_url.clone());
    // Built before listening: a server that refuses to start never answers.
    let app = match step {
        "01" => s01::app(config, flaw),
        "02" => s02::app(config, flaw),
        "03" => s03::app(config, flaw)?,
        "04" => s04::app(config, flaw).await?,
        "05" => s05::app(config, flaw).await?,
        _ => s06::app(config, flaw).await?,
    };
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    eprintln!(
        "mutant: step {step}, flaw {flaw}, listening on http://{address} (public URL {public_url})"
    );

    if flaw == "hang" {
        let mut held = Vec::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((socket, peer)) = accepted {
                        eprintln!("mutant: flaw hang: holding a connection from {peer}");
                        held.push(socket);
                    }
                }
                () = stopped(stop.clone()) => return Ok(()),
            }
        }
    }

    let app = app
        .layer(axum::middleware::from_fn_with_state(flaw, security_headers))
        .layer(axum::middleware::from_fn(log));
    let server = axum::serve(listener, app).with_graceful_shutdown(stopped(stop.clone()));
    let mut server = tokio::spawn(server.into_future());
    tokio::select! {
        result = &mut server => return finished(result),
        () = stopped(stop) => {}
    }
    match tokio::time::timeout(GRACE, server).await {
        Ok(result) => finished(result),
        Err(_) => {
            eprintln!("mutant: requests still running after {GRACE:?}; exiting anyway");
            Ok(())
        }
    }
}

fn finished(result: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), String> {
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("server failed: {error}")),
        Err(error) => Err(format!("server task failed: {error}")),
    }
}

async fn termination(flaw: &str) {
    let Ok(mut terminate) = tokio::signal::unix::signal(SignalKind::terminate()) else {
        eprintln!("mutant: cannot listen for SIGTERM");
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => {
                if flaw != "ignore-sigterm" {
                    return eprintln!("mutant: SIGTERM, stopping");
                }
                eprintln!("mutant: flaw ignore-sigterm: SIGTERM ignored");
            }
            _ = tokio::signal::ctrl_c() => return eprintln!("mutant: Ctrl-C, stopping"),
        }
    }
}

/// One line on stderr per request.
async fn log(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (method, uri, started) = (request.method().clone(), request.uri().clone(), Instant::now());
    let response = next.run(request).await;
    eprintln!("mutant: {method} {uri} -> {} ({:?})", response.status().as_u16(), started.elapsed());
    response
}

/// `X-Content-Type-Options: nosniff` and `Content-Security-Policy:
/// frame-ancestors 'none'` on every answer of every step, unless the flaw
/// leaves one out.
async fn security_headers(
    axum::extract::State(flaw): axum::extract::State<&'static str>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{
        HeaderValue,
        header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS},
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let page = headers.get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if page || flaw != "nosniff-only-on-pages" {
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
    if flaw != "frameable" {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    }
    response
}
