//! The server calls a price service as itself, with Azure's managed
//! identity: no secret in its settings, a token from the identity endpoint
//! beside it, kept and shared until shortly before it expires.
//!
//! - [`settings`]: the four variables, and which URLs a token may go to;
//! - [`identity`]: asking the identity endpoint for a token, and checking it;
//! - [`token`]: the cache, and one fetch for all the requests that wait;
//! - [`service`]: the price service, called with the token;
//! - [`client`]: the three together, within one time bound;
//! - [`route`]: `GET /api/prices`.

mod client;
mod error;
mod http;
mod identity;
mod route;
mod secret;
mod service;
mod settings;
mod token;

#[cfg(test)]
mod tests;

pub use self::{
    client::PriceClient,
    error::Error,
    route::routes,
    secret::Secret,
    settings::{REFRESH_MARGIN, RETRY_AFTER, Settings, TIMEOUT},
};
