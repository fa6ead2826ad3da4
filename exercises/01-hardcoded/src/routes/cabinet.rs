//! `GET /cabinet`: the page only a signed-in user sees.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::{AppState, auth};

#[derive(Template)]
#[template(path = "cabinet.html")]
struct Cabinet {
    page: kit::Page,
    username: String,
    name: String,
}

pub async fn show(State(state): State<AppState>, session: Session) -> Response {
    // TODO(step 01): only a signed-in user may see this page. Ask
    // `auth::current_user` who is signed in, and send anyone else to
    // `/?next=%2Fcabinet` so they come back here after signing in.
    // See book/src/01-hardcoded.md, "Guarding a page".
    let _ = (&session, Redirect::to("/"));
    let username = String::from("(nobody is signed in)");
    let name = state
        .users
        .get(&username)
        .map(|user| user.name.clone())
        .unwrap_or_default();
    let page = kit::Page {
        title: "Cabinet",
        username: Some(username.clone()),
        can_sign_out: false,
    };
    kit::render(&Cabinet {
        page,
        username,
        name,
    })
}
