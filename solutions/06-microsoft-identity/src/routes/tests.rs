//! The step's routes through the whole app, against providers written for
//! these tests: one in Microsoft's shape (every tenant at one address, the
//! issuer named per tenant, people named by `tid` and `oid`) and one in
//! Google's, for links across providers.

mod app;
mod cabinet;
mod google;
mod key;
mod linking;
mod microsoft;
mod people;
mod sign_in;
mod tenants;
