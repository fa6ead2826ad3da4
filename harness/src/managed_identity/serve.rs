//! Serving one of the two services: connections taken one by one (not
//! with `axum::serve`), so that a request can be logged and then left
//! without any answer, its connection closed, as a service that is down
//! looks to a client on a kept-alive connection.

use std::{sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::Request};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinSet};
use tower::ServiceExt as _;

use super::{Fault, Shared, lock};

/// Which of the two services a listener is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Which {
    Identity,
    Price,
}

/// Why a connection is closed without an answer.
#[derive(Debug)]
struct Down;

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the service is down (a fault a test armed)")
    }
}

impl std::error::Error for Down {}

/// Accepts connections until the task is aborted; aborting it also drops
/// (and so cuts off) every connection it serves.
pub(super) async fn serve(listener: TcpListener, app: Router, shared: Arc<Shared>, which: Which) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again in a moment.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        // Forget the connections that ended, so the set stays small.
        while connections.try_join_next().is_some() {}
        let (app, shared) = (app.clone(), shared.clone());
        connections.spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                answer(app.clone(), shared.clone(), which, request.map(Body::new))
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Logs the request, then answers it with the service's router, or, when
/// the service is down, fails it: hyper then closes the connection without
/// writing a byte.
async fn answer(
    app: Router,
    shared: Arc<Shared>,
    which: Which,
    request: Request,
) -> Result<axum::response::Response, Down> {
    let entry = {
        let mut log = lock(&shared.log);
        match which {
            Which::Identity => log.token_request(request.uri(), request.headers(), &shared.header),
            Which::Price => log.price_request(request.headers()),
        }
    };
    let fault = {
        let settings = lock(&shared.settings);
        match which {
            Which::Identity => settings.identity_fault,
            Which::Price => settings.price_fault,
        }
    };
    if fault == Some(Fault::Down) {
        return Err(Down);
    }
    let response = match app.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    lock(&shared.log).answered(entry, response.status().as_u16());
    Ok(response)
}
