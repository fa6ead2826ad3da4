//! A `todo!()` left in a handler answers 500 and says where, instead of
//! dropping the connection. Any other panic answers a plain 500 page and
//! leaves its details to the log: a panic's message and place are the
//! server's internals, and no visitor should read them (ASVS V7.4.1).

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

/// Installs the panic hook and returns the layer that turns a panic into a
/// 500: `This part is not written yet: <file:line>: <message>` for a
/// `todo!()`, a plain page for anything else.
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

/// What `todo!()` says; only such a panic is shown, since it is the
/// exercise's own unwritten code and not a fault.
const UNWRITTEN: &str = "not yet implemented";

/// The page any other panic gets: nothing about where or why.
pub const PLAIN_500: &str = "Something went wrong on the server. It has been logged.\n";

fn answer(payload: Box<dyn Any + Send>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    let place = LAST_PANIC.with(|last| last.borrow_mut().take());
    let place = place.as_deref().unwrap_or("unknown place");
    let body = if message.starts_with(UNWRITTEN) {
        format!("This part is not written yet: {place}: {message}\n")
    } else {
        tracing::error!(%place, %message, "a handler panicked; answered a plain 500");
        PLAIN_500.to_owned()
    };
    (StatusCode::INTERNAL_SERVER_ERROR, [(CONTENT_TYPE, "text/plain; charset=utf-8")], body)
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, http::Request, routing::get};
    use tower::ServiceExt;

    use super::*;

    async fn unwritten() -> &'static str {
        todo!("load the session file")
    }

    async fn unwrapped() -> &'static str {
        let words: Vec<&'static str> = std::hint::black_box(Vec::new());
        words[3]
    }

    async fn formatted() -> &'static str {
        panic!("no table {} in {}", "users", "/home/builder/app.db")
    }

    async fn body_of(path: &str) -> (StatusCode, String) {
        let app = Router::new()
            .route("/todo", get(unwritten))
            .route("/unwrap", get(unwrapped))
            .route("/format", get(formatted))
            .layer(layer());
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_todo_says_where_and_what() {
        let (status, body) = body_of("/todo").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.starts_with("This part is not written yet: "), "{body}");
        assert!(body.contains("unfinished.rs:"), "{body}");
        assert!(body.contains("not yet implemented: load the session file"), "{body}");
    }

    #[tokio::test]
    async fn any_other_panic_is_a_plain_500_without_place_or_message() {
        for path in ["/unwrap", "/format"] {
            let (status, body) = body_of(path).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            assert_eq!(body, PLAIN_500, "{path}");
            for internal in [".rs", "/home", "index", "users", "panicked"] {
                assert!(!body.contains(internal), "{path}: {body}");
            }
        }
    }
}
