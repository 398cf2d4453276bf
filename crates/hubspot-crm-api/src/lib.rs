#![doc = include_str!("../README.md")]
//!
//! # What is generated and what is not
//!
//! `generated` is written by progenitor from `openapi/crm-objects-batch-upsert-2026-03.json`
//! (read through the overlay beside it) by `cargo xtask generate`; nobody edits it by hand. The
//! one hand-written module, [`hooks`], is the generated client's inner state ([`Inner`]: how it
//! authorizes, sends and records responses) and its `ClientHooks`.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_patterns, dead_code)]
mod generated;
pub mod hooks;

pub use generated::*;
pub use hooks::{Exec, Inner, LastResponse, ResponseHead, TokenSource};
