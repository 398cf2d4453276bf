#![doc = include_str!("../README.md")]
//! # Every setting
//!
//! ```no_run
//! # async fn demo() -> Result<(), hubspot_crm_mock::MockError> {
//! use std::time::Duration;
//! use hubspot_crm_mock::{Fault, FaultPlan, MockServer, Plan};
//!
//! let mock = MockServer::builder()           // a MockConfig
//!     .plan(Plan::Starter)                    // Plan::limits: 100 requests per rolling 10 s
//!     .rate_limit(10, Duration::from_millis(200)) // or a test-speed window
//!     .daily_quota(1000)                      // past it: 429 with policyName DAILY
//!     .valid_tokens(["tok-1"])                // default: any well-formed bearer token
//!     .latency(Duration::from_millis(5))      // response time of every upsert request
//!     .faults(FaultPlan::scripted([(3, Fault::BadGateway502),
//!                                  (5, Fault::GatewayTimeout504.after_apply())]))
//!     .seed(7)                                // result order and random faults
//!     .start()
//!     .await?;                                // binds 127.0.0.1:0
//! let base = mock.base_url();                 // "http://127.0.0.1:PORT"
//! // ... run the client against `base` ...
//! let stored = mock.records("contacts");      // Vec<StoredRecord>, by ascending id
//! let counters = mock.counters();             // by status, inputs, created, updated
//! let log = mock.request_log();               // one RequestRecord per request
//! mock.shutdown().await;
//! # let _ = (base, stored, counters, log); Ok(()) }
//! ```
//!
//! # What the server does, in order, for each upsert request
//! 1. Gives the request the next index (from 0). Its response (whichever of the steps below
//!    gives it) leaves no earlier than the configured latency after the request arrived.
//! 2. Authentication: no or a malformed `Authorization: Bearer` header, or a token outside
//!    [`MockConfig::valid_tokens`], gives 401 `INVALID_AUTHENTICATION`.
//! 3. Rate limits, per token over a rolling window ([`MockConfig::plan`],
//!    [`MockConfig::rate_limit`]) and per account per day ([`MockConfig::daily_quota`]): 429
//!    with HubSpot's rate-limit body (`policyName` `TEN_SECONDLY_ROLLING` or `DAILY`). Every
//!    response carries `X-HubSpot-RateLimit-Max`, `-Remaining`, `-Interval-Milliseconds`,
//!    `-Daily` and `-Daily-Remaining`; the daily pair is left out, as HubSpot leaves it out for
//!    public apps, on [`Plan::PublicApp`] without a daily quota.
//! 4. Reads the body: over [`MockConfig::max_body_bytes`] gives 413.
//! 5. A fault from the [`FaultPlan`] for this index, if it strikes before applying.
//! 6. Object type: a configured name, its type id (`0-1`) or a custom name (`p_cars`,
//!    `2-123`, configured with [`MockConfig::object_schema`]); otherwise 400 `Unable to infer
//!    object type from: ...`.
//! 7. Whole-request rules, each a 400 `VALIDATION_ERROR` with nothing applied: JSON that does
//!    not match the schema (missing `id` or `properties`, a non-string value), more inputs
//!    than the plan's [`PlanLimits::inputs_per_request`] (100), an `idProperty` that is not unique, duplicate ids (HubSpot's message and
//!    `context.ids`).
//! 8. Per-input rules (an unknown property, an invalid email, a value its typed property refuses:
//!    `READ_ONLY_VALUE`, `INVALID_INTEGER`, `INVALID_FLOAT`, `INVALID_BOOLEAN`, `INVALID_DATE`,
//!    `INVALID_DATETIME`, `INVALID_OPTION`, see [`property_values`]): when every failed input has an
//!    `objectWriteTraceId`, the valid inputs are applied and the answer (on 2026-03 and v3) is
//!    207 with one `StandardError` per failed input (`context.objectWriteTraceId`), or (on
//!    2026-09) 200 with the same errors in `errors` and their count in `numErrors`; otherwise the whole
//!    batch fails with 400 and nothing is applied.
//!    A body without `inputs`, or with `inputs: []`, is answered 200 `COMPLETE` with no
//!    results, as HubSpot does.
//! 9. Upsert by (object type, id property, value); emails lower-cased. When an input would
//!    give its record a unique value (the `email` of contacts, or any unique property) that
//!    another record holds or another input of the batch claims, the whole request is answered
//!    409 `CONFLICT` (`Contact already exists. Existing ID: <id>`, `context.existingId`) and
//!    nothing is applied. Otherwise 200 with results in a seed-determined order that is never
//!    the input order, each with `new`, `createdAt`, `updatedAt`, the echoed
//!    `objectWriteTraceId`, and `properties` holding the properties the input wrote plus
//!    `hs_object_id`, `createdate` and `lastmodifieddate`, every value a string.
//! 10. A fault that strikes after applying ([`Fault::AfterApply`], [`Fault::TruncatedBody`]).
//!
//! The operation is served on three paths, each answering in its version's shape
//! ([`ApiVersion`]): `/crm/objects/2026-09/...` ([`UPSERT_PATH`], HubSpot's current version),
//! `/crm/objects/2026-03/...` ([`UPSERT_PATH_2026_03`]) and `/crm/v3/objects/...`
//! ([`UPSERT_PATH_V3`], the 2026-03 schema). They share one store and one rate limit, as
//! HubSpot's paths share one account.
//!
//! Response bodies are built from the generated types of `hubspot-crm-api` (each version's
//! own), and stay within HubSpot's published schema (the spec in `openapi/`, not the overlay the client reads it
//! through): every required field, string property values, a `category` on every error.
//! `tests/published_schema.rs` checks each response class against it.
//! `GET /__mock/objects/{objectType}` returns the stored records as JSON (mock-only).

#![warn(missing_docs)]

mod activity;
mod api_version;
mod app;
mod config;
mod connection;
mod error;
mod faults;
mod handlers;
mod hubspot_errors;
mod lock;
mod plan;
pub mod property_values;
mod random;
mod rate_limit;
mod responses;
mod schema;
mod server;
mod store;
mod validation;

pub use activity::{Counters, RequestRecord};
pub use api_version::ApiVersion;
pub use config::{MockConfig, RateLimit};
pub use error::MockError;
pub use faults::{Fault, FaultPlan, FaultSpecError};
pub use handlers::{MOCK_RECORDS_PATH, UPSERT_PATH, UPSERT_PATH_2026_03, UPSERT_PATH_V3};
pub use hubspot_errors::MOCK_PORTAL_ID;
pub use plan::{Plan, PlanLimits};
pub use property_values::{
    DefinitionsError, PropertyDefinitions, TypedProperty, ValueRefusal, ValueType,
};
pub use responses::{
    HEADER_DAILY, HEADER_DAILY_REMAINING, HEADER_INTERVAL, HEADER_MAX, HEADER_REMAINING,
};
pub use schema::ObjectSchema;
pub use server::MockServer;
pub use store::{FIRST_RECORD_ID, StoredRecord};
