//! One module a route, named for its URL; the rest are step 02's.

pub mod cabinet;
pub mod callback;
pub mod failure;
pub mod login_google;
pub mod me;

#[cfg(test)]
mod tests;
