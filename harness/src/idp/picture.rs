//! `GET /picture/<username>.svg`: a round badge with an initial, the
//! `picture` claim of users who have no picture of their own, so that an
//! app showing it fetches nothing from the network.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::page::escape;

pub(super) const PREFIX: &str = "/picture";
pub(super) const PATH: &str = "/picture/{file}";

pub(super) async fn svg(Path(file): Path<String>) -> Response {
    let Some(username) = file.strip_suffix(".svg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let initial: String = username.chars().next().map_or('?', |c| c).to_uppercase().collect();
    // A colour of the name's own, so two users look different.
    let hue =
        username.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 360;
    let body = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"96\" viewBox=\"0 0 96 96\">\
         <circle cx=\"48\" cy=\"48\" r=\"48\" fill=\"hsl({hue},55%,45%)\"/>\
         <text x=\"48\" y=\"62\" font-size=\"44\" font-family=\"sans-serif\" fill=\"#fff\" \
         text-anchor=\"middle\">{}</text></svg>",
        escape(&initial)
    );
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        body,
    )
        .into_response()
}
