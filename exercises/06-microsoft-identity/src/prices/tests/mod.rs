//! The price client and `/api/prices` against a mock identity endpoint and
//! a mock price service (one wiremock server, two paths).

mod client;
mod mocks;
mod route;
