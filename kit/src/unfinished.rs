//! A `todo!()` left in a handler answers 500 and says where, instead of
//! dropping the connection.

use std::{any::Any, cell::RefCell, panic};

use axum::{
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use tower_http::catch_panic::CatchPanicLayer;

thread_local! {
    // The hook runs on the panicking thread just before unwinding reaches
    // the catcher on that same thread, so a thread-local hands it over.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub type Layer = CatchPanicLayer<fn(Box<dyn Any + Send>) -> Response>;

/// Installs the panic hook and returns the layer that turns a panic into
/// `500 This part is not written yet: <file:line>: <message>`.
pub fn layer() -> Layer {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            let place = format!("{}:{}", location.file(), location.line());
            LAST_PANIC.with(|last| *last.borrow_mut() = Some(place));
        }
        default_hook(info);
    }));
    CatchPanicLayer::custom(answer as fn(Box<dyn Any + Send>) -> Response)
}

fn answer(payload: Box<dyn Any + Send>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    let place = LAST_PANIC.with(|last| last.borrow_mut().take());
    let place = place.as_deref().unwrap_or("unknown place");
    let body = if message.starts_with("not yet implemented") {
        format!("This part is not written yet: {place}: {message}\n")
    } else {
        format!("The server panicked at {place}: {message}\n")
    };
    (StatusCode::INTERNAL_SERVER_ERROR, [(CONTENT_TYPE, "text/plain; charset=utf-8")], body)
        .into_response()
}
