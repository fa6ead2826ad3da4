//! An axum hello-world with the kit's own axum and tokio, configured as a
//! step server is (a multi-threaded runtime, `HOST` and `PORT`): what
//! `authlings dev bench-servers` measures every step against. It checks no
//! session; `GET /api/me` always answers the same small JSON.

use axum::{Json, Router, routing::get};
use serde_json::json;

#[tokio::main]
async fn main() {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "5000".into());
    let app = Router::new()
        .route("/", get(|| async { "ceiling" }))
        .route("/api/me", get(|| async { Json(json!({ "username": "alice" })) }));
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .expect("cannot listen on HOST:PORT");
    axum::serve(listener, app).await.expect("the server failed");
}
