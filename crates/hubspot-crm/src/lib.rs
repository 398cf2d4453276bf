#![doc = include_str!("../README.md")]
#![doc = "\n# In detail\n"]
//! An ergonomic HubSpot CRM client for bulk upserts: give it any number of records, from a
//! `Vec` or a `Stream`, and it sends them in requests of at most 100, as fast as the plan's
//! rate limit allows, retrying what can be retried, and reports exactly one outcome per record.
//!
//! ```no_run
//! use futures::StreamExt;
//! use hubspot_crm::{AccessToken, Client, ObjectType, Plan, RateLimit, RetryPolicy, UpsertInput};
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), hubspot_crm::Error> {
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080") // default https://api.hubapi.com
//!     .token(AccessToken::new("pat-na1-..."))   // or .token_provider(Arc<dyn TokenProvider>)
//!     .connect_timeout(Duration::from_secs(5))
//!     .timeout(Duration::from_secs(30))
//!     .retry_policy(RetryPolicy::default().max_attempts(5))
//!     .rate_limit(RateLimit::plan(Plan::Starter))
//!     .concurrency(4)
//!     .build()?;
//! let object_type: ObjectType = "contacts".parse()?;
//! let inputs = vec![
//!     UpsertInput::new("ada@example.com").id_property("email").property("firstname", "Ada"),
//! ];
//! let mut run = client.bulk_upsert_iter(object_type, inputs); // or .bulk_upsert(stream)
//! let progress = run.progress(); // watch::Receiver<Progress>
//! let cancel = run.cancel_handle(); // cancel.cancel() stops taking inputs
//! while let Some(outcome) = run.next().await {
//!     println!("#{} {}: {:?}", outcome.position, outcome.id, outcome.kind);
//! }
//! println!("{}", run.summary());
//! # let _ = (progress, cancel);
//! # Ok(()) }
//! ```
//!
//! # Public API
//! Every type has one path. The crate root holds what a bulk load uses:
//! - the client: [`Client`], [`ClientBuilder`], [`AccessToken`], [`TokenProvider`],
//!   [`StaticToken`], [`RetryPolicy`] (which failures are retried, backoff, the retry budget),
//!   [`RateLimit`] (the rolling-window pacer) and [`Plan`] with its [`PlanLimits`];
//! - API versions: [`ApiVersion`], [`V2026_09`] (HubSpot's current one and the default),
//!   [`V2026_03`], and [`UpsertedRecord`], what every version's result shares;
//! - what to upsert, checked before any request: [`ObjectType`], [`UpsertInput`],
//!   [`Properties`], typed values ([`ToPropertyValue`], [`PropertyValue`], [`Clear`],
//!   [`ValueProblem`]) and [`SerializePropertiesError`] for properties from any
//!   `T: Serialize`;
//! - what a run reports: [`BulkRun`], [`CancelHandle`], [`RecordOutcome`], [`OutcomeKind`],
//!   [`FailureCause`], [`HubSpotError`], [`NotAttemptedReason`], [`Progress`], [`Summary`];
//! - [`Error`], for a configuration or an argument refused before any request.
//!
//! Three modules are namespaces of their own:
//! - [`api`]: the generated client and types, one module per API version;
//! - [`property_schema`]: HubSpot's property definitions ([`property_schema::PropertySchema`]),
//!   checked before sending;
//! - [`sync_state`]: incremental sync: [`sync_state::SyncStore`], its SQLite default
//!   [`sync_state::SqliteSyncState`], and [`sync_state::SyncOptions`].
//!
//! Defaults are stated on the builder methods that change them. The public API is listed in
//! `public-api/hubspot-crm.txt` in the repository, and CI fails when it changes without the
//! listing; a change there is reviewed like a change of the spec.
//!
//! # Duplicates: the later input is held back
//! Two inputs with the same (id property, id) — ids compared case-insensitively, as HubSpot
//! does for emails — never share a request (HubSpot would reject the whole request) and are
//! never in flight together. The later one waits in the queue until the earlier one has its
//! final outcome, then goes out in a later request. So the inputs are applied in input order
//! and the later one wins, and each input keeps its own outcome. (Duplicates are not merged
//! into one input: that would give two inputs one outcome and blur which values were sent.)
//! Inputs that share a trace id are kept apart the same way, so results map back unambiguously.
//!
//! Order among inputs with the same key is kept: once an input is skipped, every later input
//! with its key is skipped too for that batch.
//!
//! # One wire path
//! Every request a bulk run sends goes through the generated client of [`api`] for the
//! client's API version ([`ApiVersion`]): the `batch_upsert()` builder with that version's
//! generated `BatchInputSimplePublicObjectBatchInputUpsert` body (an [`UpsertInput`] wraps the
//! generated input type), and every response is decoded by it, into the version's success body
//! or its generated `Error`. This
//! crate adds policy (batching, pacing, retry, token refresh, mapping results back to inputs)
//! and never reads or writes HubSpot's JSON itself. The generated client's hooks
//! (`hubspot_crm_api::hooks`) set each request's `Authorization` and record each response's
//! status and headers before its body is read. Outcomes carry the generated results and
//! errors ([`OutcomeKind::record`], [`OutcomeKind::hubspot_error`]).
//!
//! The generated client and its types are re-exported as [`api`]; [`Client::api`] hands out an
//! authenticated generated client for single calls.
//!
//! # CPU, the allocator and the runtime
//! A record costs a few dozen small allocations: its properties, the copy each attempt sends,
//! and the record HubSpot echoes back (decoded into the generated types). Most of a bulk run's
//! CPU is that, JSON, and the echoed dates. This crate sets no global allocator, since that is
//! the program's choice; with the system's (glibc) malloc, about a third of a run's CPU goes to
//! `malloc` and `free`. The `hubspot-upsert` CLI and the benchmarks use
//! [mimalloc](https://crates.io/crates/mimalloc); a program that loads many records can do the
//! same with two lines (`#[global_allocator] static GLOBAL: mimalloc::MiMalloc =
//! mimalloc::MiMalloc;`). Build inputs from owned `String`s where you have them:
//! [`UpsertInput::property`] moves them in instead of copying.
//!
//! A bulk run works on any tokio runtime. At HubSpot's ceiling it needs a few percent of one
//! core, so a load that does nothing else gains nothing from more worker threads and pays for
//! them: on a multi-threaded runtime the run's task, the connections and your loop wake each
//! other across threads, which cost about a fifth more CPU per record than
//! `#[tokio::main(flavor = "current_thread")]` in the benchmarks (the CLI runs on one thread).
//! Figures: `BENCHMARKS.md`.

#![warn(missing_docs)]

mod api_version;
mod auth;
mod bulk;
mod client;
mod client_state;
mod engine;
#[cfg(test)]
mod engine_tests;
mod error;
mod failure_cause;
mod input;
mod mapping;
mod normalization;
mod object_type;
mod outcome;
mod plan;
mod properties;
pub mod property_schema;
mod rate_limit;
mod request;
mod retry;
mod scheduler;
mod serialize_properties;
pub mod sync_state;
mod value;
mod verdict;
mod wire;

/// The generated client crate, one module per API version: `api::v2026_09::{Client, types}`,
/// `api::v2026_03::{Client, types}`.
pub use hubspot_crm_api as api;

pub use api_version::{ApiVersion, UpsertedRecord, V2026_03, V2026_09};
pub use auth::{AccessToken, StaticToken, TokenProvider};
pub use bulk::{BulkRun, CancelHandle};
pub use client::{Client, ClientBuilder};
pub use error::Error;
pub use failure_cause::FailureCause;
pub use input::UpsertInput;
pub use object_type::ObjectType;
pub use outcome::{
    HubSpotError, NotAttemptedReason, OutcomeKind, Progress, RecordOutcome, Summary,
};
pub use plan::{Plan, PlanLimits};
pub use properties::Properties;
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use serialize_properties::SerializePropertiesError;
pub use value::{Clear, PropertyValue, ToPropertyValue, ValueProblem};
