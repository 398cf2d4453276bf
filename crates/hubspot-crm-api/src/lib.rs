//! Typed client for HubSpot's `POST /crm/objects/2026-03/{objectType}/batch/upsert`.
//!
//! `generated` is written by progenitor from `openapi/crm-objects-batch-upsert-2026-03.json`
//! by `cargo xtask generate`; see the workspace README for how the spec is read. The one
//! hand-written module, [`hooks`], is the generated client's inner state ([`Inner`]: how it
//! authorizes, sends and records responses) and its `ClientHooks`. Most users want the
//! `hubspot-crm` crate, which adds batching, retry and pacing on top.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_patterns, dead_code)]
mod generated;
pub mod hooks;

pub use generated::*;
pub use hooks::{Exec, Inner, LastResponse, ResponseHead, TokenSource};
