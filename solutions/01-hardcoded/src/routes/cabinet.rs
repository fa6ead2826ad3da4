//! `GET /cabinet`: the page only a signed-in user sees.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

#[derive(Template)]
#[template(path = "cabinet.html")]
struct Cabinet {
    page: kit::Page,
    username: String,
}

// ANCHOR: show
pub async fn show(State(site): State<kit::Site>, session: kit::Session) -> Response {
    // exercise:cut
    let Some(username) = session.current_user().await else {
        return Redirect::to("/?next=%2Fcabinet").into_response();
    };
    // exercise:as
    // TODO(step 01): only a signed-in user may see this page. Anyone else
    // goes to the sign-in form, and comes back here once signed in.
    // See book/src/01-hardcoded.md, "Guarding a page".
    //~ let _ = &session;
    //~ let username = String::from("(nobody is signed in)");
    // exercise:end
    let page = site.page("Cabinet", Some(username.clone()));
    kit::render(&Cabinet { page, username })
}
// ANCHOR_END: show
