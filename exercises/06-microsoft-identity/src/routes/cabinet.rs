//! `GET /cabinet`: step 05's, with the providers the account signs in
//! with, and a button to link each one it does not yet.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use step05_solution::{AppState, GOOGLE, profile::Profile};

use crate::{accounts, microsoft::MICROSOFT};

#[derive(Template)]
#[template(path = "cabinet_linked.html")]
struct Cabinet {
    page: kit::Page,
    profile: Profile,
    signed_in_with: &'static str,
    /// How pages name each provider the account signs in with.
    linked: Vec<&'static str>,
    /// The providers it could link: (name in the URL, label).
    linkable: Vec<(&'static str, &'static str)>,
}

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let Some(username) = session.current_user().await else {
        return Redirect::to("/?next=%2Fcabinet").into_response();
    };
    match accounts::profile(&state.pool, &state.reads, &username).await {
        Ok(Some((profile, providers))) => {
            let has = |name: &str| providers.iter().any(|p| p == name);
            let linked = providers.iter().map(|p| state.signed_in_with(p)).collect();
            let linkable = [GOOGLE, MICROSOFT]
                .into_iter()
                .filter(|name| state.provider(name).is_some() && !has(name))
                .map(|name| (name, state.label(name)))
                .collect();
            let signed_in_with = state.signed_in_with(&profile.provider);
            let page = state.site.page("Cabinet", Some(username));
            kit::render(&Cabinet { page, profile, signed_in_with, linked, linkable })
        }
        // The account is gone while its session lived on: not signed in.
        Ok(None) => Redirect::to("/?next=%2Fcabinet").into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot read the account");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
