//! The routes step 02 adds or changes; the rest are step 01's.

pub mod login;
pub mod logout;
pub mod register;
