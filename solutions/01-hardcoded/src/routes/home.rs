//! `GET /`: the sign-in form, or who is signed in.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub page: kit::Page,
    /// Carried through the form so that sign-in lands where the user was going.
    pub next: String,
    pub error: Option<&'static str>,
}

impl Home {
    pub fn new(page: kit::Page, next: &str) -> Self {
        let next = kit::local_next(next).unwrap_or_default().to_owned();
        Self { page, next, error: None }
    }
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
    kit::render(&Home::new(site.page("Sign in", username), &params.next))
}
