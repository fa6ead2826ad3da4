//! `authlings idp`: the provider alone, for a person trying a step in a
//! browser. It prints what to put in the step's environment and serves
//! until Ctrl-C. With `--microsoft`, the provider takes Microsoft's shape
//! and the managed identity mock (with its price service) runs beside it.

use std::{path::PathBuf, process::ExitCode};

use super::{Client, Config, HOME_TENANT, Idp, Options, Shape, entra};
use crate::managed_identity::ManagedIdentity;

/// Next to the step's 5000, so the two are easy to tell apart. In
/// Microsoft's shape the identity endpoint and the price service take the
/// two ports after the provider's.
pub const DEFAULT_PORT: u16 = 5001;

/// The redirect URIs of a Microsoft client end so.
const MICROSOFT_CALLBACK: &str = "/auth/microsoft/callback";

/// Runs the provider on `port` (0: any free one) with the users and clients
/// of `config` (by default the kit's `fixtures/idp.toml`), in `shape`.
pub async fn serve_for_browser(port: u16, config: Option<PathBuf>, shape: Shape) -> ExitCode {
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
    let options = Options { port, echo: true, shape, ..Options::default() };
    let idp = match Idp::start(config.clone(), options).await {
        Ok(idp) => idp,
        Err(error) => return failed(&error, port, "--port"),
    };
    let identity = match shape {
        Shape::Google => None,
        Shape::Microsoft => {
            let next = |n: u16| if port == 0 { 0 } else { port.saturating_add(n) };
            match ManagedIdentity::start_on(next(1), next(2)).await {
                Ok(identity) => Some(identity),
                Err(error) => return failed(&error, next(1), "--port (it takes the next two too)"),
            }
        }
    };
    match &identity {
        None => print!("{}", instructions(idp.issuer(), &config)),
        Some(identity) => print!("{}", microsoft_instructions(&idp, identity, &config)),
    }
    // In `authlings`, the harness's own interrupt handler usually hears
    // Ctrl-C first and exits 130; the provider ends with the process either
    // way, since it is only a task in it.
    let _ = tokio::signal::ctrl_c().await;
    idp.stop().await;
    if let Some(identity) = identity {
        identity.stop().await;
    }
    eprintln!("the mock OpenID provider stopped");
    ExitCode::SUCCESS
}

fn failed(error: &anyhow::Error, port: u16, option: &str) -> ExitCode {
    eprintln!("error: {error}");
    if port != 0 {
        eprintln!("(is something else on port {port}? choose another with {option})");
    }
    ExitCode::FAILURE
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

/// The client a Microsoft sign-in uses: the first with a redirect URI to
/// `/auth/microsoft/callback`, else the first.
fn microsoft_client(config: &Config) -> Option<&Client> {
    let microsoft = |c: &&Client| c.redirect_uris.iter().any(|u| u.ends_with(MICROSOFT_CALLBACK));
    config.clients.iter().find(microsoft).or(config.clients.first())
}

/// The same in Microsoft's shape: the provider's variables and the managed
/// identity's, the home tenant as the one to accept.
fn microsoft_instructions(idp: &Idp, identity: &ManagedIdentity, config: &Config) -> String {
    let issuer = idp.issuer_for("organizations");
    let mut text = format!(
        "The Authlings mock OpenID provider, in Microsoft's shape, listens on {} \
         (Ctrl-C stops it).\n\
         Discovery: {issuer}/.well-known/openid-configuration\n\
         Each tenant has its own, under {}/TENANT/v2.0 (a tenant id, organizations or common).\n\
         The managed identity: {} (identity endpoint), {} (price service).\n\n",
        idp.base_url(),
        idp.base_url(),
        identity.identity_endpoint(),
        identity.price_service_url(),
    );
    match microsoft_client(config) {
        Some(client) => {
            text += "Start the step with this environment:\n\n";
            let mut env = vec![
                ("MS_ISSUER".to_owned(), issuer.clone()),
                ("MS_CLIENT_ID".to_owned(), client.client_id.clone()),
                ("MS_CLIENT_SECRET".to_owned(), client.client_secret.clone()),
                ("MS_TENANT".to_owned(), HOME_TENANT.to_owned()),
            ];
            env.extend(identity.env());
            for (name, value) in env {
                text += &format!("    export {name}={value}\n");
            }
            text += &format!(
                "\nRedirect URIs registered for {}: {}\n",
                client.client_id,
                client.redirect_uris.join(" ")
            );
        }
        None => text += "No client is registered: add one to the configuration file.\n",
    }
    let users: Vec<String> = config
        .users
        .iter()
        .map(|u| {
            let tenant = match entra::tid(u) {
                tid if tid.eq_ignore_ascii_case(HOME_TENANT) => "",
                _ => " (another tenant)",
            };
            format!("{} <{}>{tenant}", u.username, u.email)
        })
        .collect();
    text += &format!(
        "Test users: {}; or type any email on the sign-in page (of tenant {HOME_TENANT}).\n",
        users.join(", ")
    );
    text
}
