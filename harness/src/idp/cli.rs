//! `authlings idp`: the provider alone, for a person trying a step in a
//! browser. It prints what to put in the step's environment and serves
//! until Ctrl-C.

use std::{path::PathBuf, process::ExitCode};

use super::{Config, Idp, Options};

/// Next to the step's 5000, so the two are easy to tell apart.
pub const DEFAULT_PORT: u16 = 5001;

/// Runs the provider on `port` (0: any free one) with the users and clients
/// of `config` (by default the kit's `fixtures/idp.toml`).
pub async fn serve_for_browser(port: u16, config: Option<PathBuf>) -> ExitCode {
    let loaded = match &config {
        Some(path) => Config::load(path),
        None => Config::fixtures(),
    };
    let config = match loaded {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = Options { port, echo: true, ..Options::default() };
    let idp = match Idp::start(config.clone(), options).await {
        Ok(idp) => idp,
        Err(error) => {
            eprintln!("error: {error}");
            if port != 0 {
                eprintln!("(is something else on port {port}? choose another with --port)");
            }
            return ExitCode::FAILURE;
        }
    };
    print!("{}", instructions(idp.issuer(), &config));
    // In `authlings`, the harness's own interrupt handler usually hears
    // Ctrl-C first and exits 130; the provider ends with the process either
    // way, since it is only a task in it.
    let _ = tokio::signal::ctrl_c().await;
    idp.stop().await;
    eprintln!("the mock OpenID provider stopped");
    ExitCode::SUCCESS
}

/// What a person needs to point a step at this provider.
fn instructions(issuer: &str, config: &Config) -> String {
    let mut text = format!(
        "The Authlings mock OpenID provider listens on {issuer} (Ctrl-C stops it).\n\
         Discovery: {issuer}/.well-known/openid-configuration\n\n"
    );
    match config.clients.first() {
        Some(client) => {
            text += &format!(
                "Start the step with this environment:\n\n    \
                 export OIDC_ISSUER={issuer}\n    \
                 export OIDC_CLIENT_ID={}\n    \
                 export OIDC_CLIENT_SECRET={}\n\n\
                 Redirect URIs registered for {}: {}\n",
                client.client_id,
                client.client_secret,
                client.client_id,
                client.redirect_uris.join(" "),
            );
            for other in &config.clients[1..] {
                text += &format!("Also registered: client {}\n", other.client_id);
            }
        }
        None => text += "No client is registered: add one to the configuration file.\n",
    }
    let users: Vec<String> =
        config.users.iter().map(|u| format!("{} <{}>", u.username, u.email)).collect();
    text += &format!("Test users: {}; or type any email on the sign-in page.\n", users.join(", "));
    text
}
