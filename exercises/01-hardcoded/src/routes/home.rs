//! `GET /`: the sign-in form, or who is signed in.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{AppState, auth};

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub page: kit::Page,
    /// Carried through the form so that sign-in lands where the user was going.
    pub next: String,
    pub error: Option<&'static str>,
}

impl Home {
    pub fn new(username: Option<String>, next: String) -> Self {
        let page = kit::Page {
            title: "Sign in",
            username,
            can_sign_out: false,
        };
        Self {
            page,
            next,
            error: None,
        }
    }
}

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    next: String,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let username = auth::current_user(&session, state.session_ttl).await;
    let next = kit::local_next(&params.next).unwrap_or_default().to_owned();
    kit::render(&Home::new(username, next))
}
