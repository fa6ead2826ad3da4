//! Starting, running and stopping a step server.

use std::{error::Error, future::Future, path::PathBuf, process::ExitCode, time::Duration};

use axum::Router;
use tokio::{net::TcpListener, signal::unix::SignalKind};
use tower_http::trace::TraceLayer;
use tracing_subscriber::EnvFilter;

use crate::{Config, config::step_data_dir, security_headers, static_files, unfinished};

/// How long in-flight requests get after SIGTERM; the contract allows 5 s.
const GRACE: Duration = Duration::from_secs(4);

/// What is logged unless `RUST_LOG` says otherwise: `info`, but only the
/// errors of tower-sessions. At `info` it opens a span for every request,
/// and at `warn` it writes a line for every cookie that is not a session
/// id, so that anyone sending forged cookies would fill the log (and cost
/// more than the refusal). The cookie is refused either way.
pub const DEFAULT_LOG: &str = "info,tower_sessions=error";

pub type BoxError = Box<dyn Error + Send + Sync>;

/// The whole life of a step server: read the environment, let `build` make
/// the step's router, serve it with the static files until SIGTERM or Ctrl-C.
/// Any error on the way is printed in one readable line, exit status 1.
///
/// `#[track_caller]` gives the step's `main.rs`, whose folder names the
/// step's own default data folder (see [`step_data_dir`]).
#[track_caller]
pub fn serve<F, Fut>(build: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = Result<Router, BoxError>>,
{
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG.into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the tokio runtime");
    let data_dir = step_data_dir(std::panic::Location::caller().file());
    match runtime.block_on(run(build, data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run<F, Fut>(build: F, default_data_dir: PathBuf) -> Result<(), BoxError>
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = Result<Router, BoxError>>,
{
    let config = Config::from_env(default_data_dir)?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create DATA_DIR {}: {e}", config.data_dir.display()))?;
    let app = build(config.clone())
        .await?
        .merge(static_files::router(&config.static_dir))
        .layer(unfinished::layer());
    // Outside the panic catcher: its 500s get the headers too.
    let app = security_headers::add(app).layer(TraceLayer::new_for_http());

    let address = format!("{}:{}", config.host, config.port);
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    tracing::info!("listening on http://{address} (public URL {})", config.public_url);

    // ANCHOR: shutdown
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal());
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => return Ok(result?),
        () = shutdown_signal() => {}
    }
    // The signal also reached the server's own shutdown future: let it drain
    // what is in flight, but never for longer than the contract allows.
    match tokio::time::timeout(GRACE, server).await {
        Ok(result) => Ok(result?),
        Err(_) => {
            tracing::warn!("requests still running after {GRACE:?}; exiting anyway");
            Ok(())
        }
    }
    // ANCHOR_END: shutdown
}

async fn shutdown_signal() {
    let mut terminate =
        tokio::signal::unix::signal(SignalKind::terminate()).expect("cannot listen for SIGTERM");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
