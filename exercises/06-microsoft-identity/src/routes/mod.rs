//! One module a route, named for its URL; the rest are step 05's.

pub mod cabinet;
pub mod callback;
pub mod link;
pub mod me;
pub mod refused;

#[cfg(test)]
mod tests;
