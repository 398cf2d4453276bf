#![doc = include_str!("../README.md")]
//!
//! # What is generated and what is not
//!
//! One module per API version, each written by progenitor from that version's spec in
//! `openapi/` (read through the overlays beside it) by `cargo xtask generate`; nobody edits
//! them by hand, and each names its inputs' SHA-256 in its header:
//! - [`v2026_09`]: HubSpot's current version, `POST /crm/objects/2026-09/{objectType}/batch/upsert`.
//! - [`v2026_03`]: the previous one, supported by HubSpot until about September 2027.
//!
//! Each module has its own `Client` and `types`: a type that is the same in both versions is
//! still two Rust types, so that what a version's spec says is what its module compiles to.
//!
//! The one hand-written module, [`hooks`], is the generated clients' inner state ([`Inner`]: how
//! they authorize, send and record responses) and their `ClientHooks`; beside it, this file
//! names [`OrderedMap`], the map type the generated code is asked to use.

/// HubSpot's CRM objects API version 2026-03: `POST /crm/objects/2026-03/{objectType}/batch/upsert`.
/// A partial success is a 207 whose body carries `errors`; results carry `warnings`.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_patterns, dead_code)]
pub mod v2026_03;
/// HubSpot's CRM objects API version 2026-09, its current version:
/// `POST /crm/objects/2026-09/{objectType}/batch/upsert`. A partial success is a 200 whose body
/// carries `errors` and `numErrors`; results have no `warnings`.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_patterns, dead_code)]
pub mod v2026_09;
pub mod hooks;

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
