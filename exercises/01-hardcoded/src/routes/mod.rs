//! One module a route, named for its URL.

pub mod cabinet;
pub mod home;
pub mod login;
pub mod me;
