#![doc = include_str!("../README.md")]
//!
//! # What is generated and what is not
//!
//! `generated` is written by progenitor from `openapi/crm-objects-batch-upsert-2026-03.json`
//! (read through the overlay beside it) by `cargo xtask generate`; nobody edits it by hand. The
//! one hand-written module, [`hooks`], is the generated client's inner state ([`Inner`]: how it
//! authorizes, sends and records responses) and its `ClientHooks`; beside it, this file names
//! [`OrderedMap`], the map type the generated code is asked to use.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_patterns, dead_code)]
mod generated;
pub mod hooks;

pub use generated::*;
pub use hooks::{Exec, Inner, LastResponse, ResponseHead, TokenSource};

/// Every JSON object of string keys in the generated types (`properties`, `links`, `context`):
/// an [`indexmap::IndexMap`] that keeps the order its entries were inserted or read in,
/// hashed with [foldhash](https://docs.rs/foldhash)'s per-map seeded hasher rather than
/// SipHash. Keys are short property names and each map holds a few of them, where SipHash's
/// start-up cost is most of a lookup; foldhash keeps a random seed per map.
///
/// Build one with `Default::default()`, `FromIterator` or `collect()` (`IndexMap::new` and
/// `From<[_; N]>` exist only for std's `RandomState`).
pub type OrderedMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::RandomState>;
