//! `GET /cabinet`: who the user is, as their account and provider say.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::{AppState, profile::Profile};

#[derive(Template)]
#[template(path = "cabinet.html")]
struct Cabinet {
    page: kit::Page,
    profile: Profile,
    /// "Google", or "a password".
    signed_in_with: &'static str,
}

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let Some(username) = session.current_user().await else {
        return Redirect::to("/?next=%2Fcabinet").into_response();
    };
    match Profile::find(&state.reads, &username).await {
        Ok(Some(profile)) => {
            let signed_in_with = state.signed_in_with(&profile.provider);
            let page = state.site.page("Cabinet", Some(username));
            kit::render(&Cabinet { page, profile, signed_in_with })
        }
        // The account is gone while its session lived on: not signed in.
        Ok(None) => Redirect::to("/?next=%2Fcabinet").into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot read the account");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
