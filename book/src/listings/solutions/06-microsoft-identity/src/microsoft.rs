//! Sign in with Microsoft: step 05's OpenID Connect code, with Entra ID's
//! dialect and this server's client at Microsoft.

use std::{sync::Arc, time::Duration};

use step05_solution::oidc::{self, Provider};

use crate::entra::{Entra, Tenants};

/// The name Microsoft's accounts and sign-ins are kept under.
pub const MICROSOFT: &str = "microsoft";

/// Work and school accounts of any organisation, as Microsoft's own
/// samples start.
pub const DEFAULT_ISSUER: &str = "https://login.microsoftonline.com/organizations/v2.0";

/// The provider, when `MS_CLIENT_ID` and `MS_CLIENT_SECRET` are set: the
/// server still runs without them, with its other sign-ins.
pub fn from_env(config: &kit::Config) -> Result<Option<Arc<Provider>>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let (Some(client_id), Some(client_secret)) = (var("MS_CLIENT_ID"), var("MS_CLIENT_SECRET"))
    else {
        tracing::warn!(
            "MS_CLIENT_ID or MS_CLIENT_SECRET is not set: Sign in with Microsoft is off"
        );
        return Ok(None);
    };
    let tenants = Tenants::parse(&var("MS_TENANT").unwrap_or_else(|| "organizations".into()))?;
    let settings = settings(
        config,
        var("MS_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into()),
        client_id,
        client_secret,
        tenants,
    );
    Ok(Some(Arc::new(Provider::new(settings).map_err(|e| e.to_string())?)))
}

// ANCHOR: settings
/// Step 05's settings, with Microsoft's issuer, client and dialect, and
/// its own callback: each provider has one, so that a code always comes
/// back to the address of the provider that issued it.
pub fn settings(
    config: &kit::Config,
    issuer: String,
    client_id: String,
    client_secret: String,
    tenants: Tenants,
) -> oidc::Settings {
    let public_url = config.public_url.trim_end_matches('/');
    oidc::Settings {
        issuer,
        client_id,
        client_secret,
        redirect_uri: format!("{public_url}/auth/microsoft/callback"),
        timeout: oidc::TIMEOUT,
        retry_after: oidc::RETRY_AFTER,
        dialect: Arc::new(Entra { tenants }),
    }
}
// ANCHOR_END: settings

/// [`settings`] with shorter time limits, for tests.
pub fn with_timeouts(settings: oidc::Settings, timeout: Duration) -> oidc::Settings {
    oidc::Settings { timeout, retry_after: timeout, ..settings }
}
