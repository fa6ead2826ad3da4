//! The Authlings grader: builds a step server, starts it in a sandbox, and
//! checks it from the outside, over HTTP, against `book/src/contract.md`.
//!
//! The pieces, in the order a grading run uses them: [`steps`] names what
//! can be graded, [`target`] turns "the exercise" or "this command" into a
//! program to start (building it with [`compile`]), [`server`] runs it in a
//! [`sandbox`], [`runner`] walks the step's [`check`]s, and [`report`]
//! prints the verdict. [`student`] is the loop around it that a student
//! lives in: watch, progress, hints, reset and solutions.

pub mod book;
pub mod browser;
pub mod check;
pub mod checks;
pub mod class;
pub mod compile;
pub mod cutout;
pub mod database;
pub mod files;
pub mod fixtures;
pub mod html;
pub mod http;
pub mod idp;
pub mod kit_root;
pub mod managed_identity;
pub mod microsoft;
pub mod profile;
pub mod provider;
pub mod report;
pub mod runner;
pub mod sandbox;
pub mod server;
pub mod speed;
pub mod steps;
pub mod student;
pub mod target;
pub mod text;
pub mod tour;
