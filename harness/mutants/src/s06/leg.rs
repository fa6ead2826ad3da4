//! One provider's flow as this server runs it: Google's (step 05's
//! addresses) and Microsoft's, each with its own callback, its own pending
//! flows and its own cookie naming the browser's.

use axum::{
    http::{
        StatusCode,
        header::{LOCATION, SET_COOKIE},
    },
    response::{IntoResponse, Response},
};

use super::App;
use crate::s05::{
    error_page,
    oidc::{Failed, Provider},
    pending::{self, Pending, PendingStore},
};

pub(super) struct Leg {
    /// The provider's name in accounts and links: `google`, `microsoft`.
    pub(super) name: &'static str,
    /// For people: `Google`.
    pub(super) label: &'static str,
    pub(super) provider: Provider,
    pub(super) pending: PendingStore,
    /// The cookie naming the browser's pending flow.
    pub(super) cookie: &'static str,
    /// The callback's path: `/auth/callback`.
    pub(super) callback: &'static str,
}

impl Leg {
    pub(super) fn new(
        name: &'static str,
        label: &'static str,
        provider: Provider,
        cookie: &'static str,
        callback: &'static str,
    ) -> Leg {
        let pending = PendingStore::new(mutants::NONE);
        Leg { name, label, provider, pending, cookie, callback }
    }

    /// The provider failed us (down, slow, or nonsense): 502.
    pub(super) fn failed(&self, why: &str) -> Response {
        eprintln!("mutant: {} failed: {why}", self.label);
        let label = self.label;
        error_page(
            StatusCode::BAD_GATEWAY,
            &format!("{label} is not answering"),
            &format!("Signing in with {label} did not work this time. Please try again later."),
        )
    }

    /// `Set-Cookie` attributes of the pending flow's cookie.
    pub(super) fn cookie_attributes(&self) -> String {
        format!("HttpOnly; SameSite=Lax; Path={}", self.callback)
    }
}

impl App {
    /// The redirect URI of `leg`'s flow.
    pub(super) fn redirect_uri(&self, leg: &Leg) -> String {
        let path = match leg.name {
            super::MICROSOFT if self.has("microsoft-wrong-redirect-uri") => "/auth/callback",
            _ => leg.callback,
        };
        format!("{}{path}", self.config.public_url.trim_end_matches('/'))
    }

    /// The way to `leg`'s provider for `pending`, whose cookie the browser
    /// gets.
    pub(super) async fn to_provider(&self, leg: &Leg, pending: Pending) -> Response {
        let discovery = match leg.provider.discovery().await {
            Ok(discovery) => discovery.clone(),
            Err(Failed::Provider(why) | Failed::Token(why)) => return leg.failed(&why),
        };
        let query = [
            ("response_type", "code".to_owned()),
            ("client_id", leg.provider.client_id.clone()),
            ("redirect_uri", self.redirect_uri(leg)),
            ("scope", "openid email profile".to_owned()),
            ("state", pending.state.clone()),
            ("nonce", pending.nonce.clone()),
            ("code_challenge", pending.challenge()),
            ("code_challenge_method", "S256".to_owned()),
        ];
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        let location = format!("{}?{}", discovery.authorization_endpoint, query.join("&"));
        let mut response = (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response();
        if let Some(key) = leg.pending.keep(pending) {
            let cookie = format!(
                "{}={key}; {}; Max-Age={}",
                leg.cookie,
                leg.cookie_attributes(),
                pending::LIFETIME.as_secs()
            );
            response.headers_mut().append(SET_COOKIE, self.cookie(&cookie));
        }
        response
    }
}
