//! `GET /`: step 01's page, with a "Sign in with Google" button beside the
//! password form.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: kit::Page,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    next: String,
}

pub async fn show(
    State(site): State<kit::Site>,
    session: kit::Session,
    Query(params): Query<Params>,
) -> Response {
    let username = session.current_user().await;
    let next = kit::local_next(&params.next).unwrap_or_default().to_owned();
    kit::render(&Home { page: site.page("Sign in", username), next, error: None })
}
