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
}

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let Some(username) = session.current_user().await else {
        return Redirect::to("/?next=%2Fcabinet").into_response();
    };
    match Profile::find(&state.pool, &username).await {
        Ok(Some(profile)) => {
            kit::render(&Cabinet { page: state.site.page("Cabinet", Some(username)), profile })
        }
        // The account is gone while its session lived on: not signed in.
        Ok(None) => Redirect::to("/?next=%2Fcabinet").into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot read the account");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
