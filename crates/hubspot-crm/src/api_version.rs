//! The API versions the client speaks, and the one place where they differ.
//!
//! HubSpot dates its CRM API (`/crm/objects/2026-03/...`, `/crm/objects/2026-09/...`) and
//! ships a version every March and September. `hubspot-crm-api` has one generated module per
//! version ([`hubspot_crm_api::v2026_03`], [`hubspot_crm_api::v2026_09`]), and this crate picks
//! one per [`Client`](crate::Client) with [`ClientBuilder::api_version`](crate::ClientBuilder::api_version).
//! The version is a type parameter: outcomes carry that version's generated types
//! ([`ApiVersion::Record`], [`ApiVersion::InputError`], [`ApiVersion::RequestError`]), so code
//! that reads a field only one version has (2026-03's `warnings`) compiles only for that
//! version.
//!
//! Everything else (batching, pacing, retry, bisection, trace-id mapping, property checks) is
//! written once, over this trait. What a version supplies is a small adapter over its generated
//! client: send one batch, split its success body into results and per-input errors, and name
//! the few fields the policy reads (a result's id, `new` and trace id; an error's category,
//! message and context). Each adapter is in `api_version/`, one file per version.
//!
//! Adding a version: its spec in `openapi/`, `cargo xtask generate`, then one adapter file here
//! and one marker type; ARCHITECTURE.md walks through it.

use std::fmt;
use std::future::Future;

use hubspot_crm_api::{Inner, OrderedMap};

mod v2026_03;
mod v2026_09;

pub use v2026_03::V2026_03;
pub use v2026_09::V2026_09;

/// HubSpot's current version, the default of [`Client`](crate::Client).
pub type Current = V2026_09;

/// The generated input type every version's adapter starts from: the current version's
/// `SimplePublicObjectBatchInputUpsert`, which [`UpsertInput`](crate::UpsertInput) wraps.
#[doc(hidden)]
pub type WireInput = hubspot_crm_api::v2026_09::types::SimplePublicObjectBatchInputUpsert;

mod sealed {
    pub trait Sealed {}
}

/// One version of HubSpot's CRM objects API as this client speaks it: a marker type
/// ([`V2026_03`], [`V2026_09`]) naming that version's generated types and its adapter.
///
/// HubSpot dates its CRM API (`/crm/objects/2026-03/...`, `/crm/objects/2026-09/...`) and
/// ships a version every March and September. [`crate::api`] has one generated module per
/// version, and a [`Client`](crate::Client) speaks one, picked with
/// [`ClientBuilder::api_version`](crate::ClientBuilder::api_version) (default: [`V2026_09`]).
/// The version is a type parameter: outcomes carry that version's generated types
/// ([`ApiVersion::Record`], [`ApiVersion::InputError`], [`ApiVersion::RequestError`]), so code
/// that reads a field only one version has (2026-03's `warnings`) compiles only for that
/// version. Batching, pacing, retry, bisection, trace-id mapping and the property checks are
/// the same code for every version.
///
/// The trait is sealed: the versions are the ones this crate was generated for. The methods
/// marked hidden are the adapter the bulk engine calls; they are not part of the public API.
pub trait ApiVersion:
    sealed::Sealed + Copy + Default + fmt::Debug + Send + Sync + Unpin + 'static
{
    /// HubSpot's name of the version, the dated segment of the path: `"2026-09"`.
    const NAME: &'static str;

    /// The version's generated client (`hubspot_crm_api::<version>::Client`).
    type ApiClient: Clone + fmt::Debug + Send + Sync + 'static;
    /// The version's generated result of one input: `SimplePublicUpsertObject`. Its fields
    /// every version shares are also readable through [`UpsertedRecord`], for code written
    /// once for every version.
    type Record: UpsertedRecord + Clone + fmt::Debug + PartialEq + Send + Sync + 'static;
    /// The version's generated per-input error: `StandardError`.
    type InputError: Clone + fmt::Debug + PartialEq + Send + Sync + 'static;
    /// The version's generated error of a request refused as a whole: `Error`.
    type RequestError: Clone + fmt::Debug + PartialEq + Send + Sync + 'static;
    /// The version's generated detail of an error: `ErrorDetail`.
    type ErrorDetail: Clone + fmt::Debug + PartialEq + Send + Sync + 'static;

    /// The version's generated success body.
    #[doc(hidden)]
    type Body: Send + 'static;

    /// A generated client for `base_url` over `http`, with `inner`'s authorization, seam and
    /// response record.
    #[doc(hidden)]
    fn api_client(base_url: &str, http: reqwest::Client, inner: Inner) -> Self::ApiClient;

    /// Sends one batch upsert of `inputs` through the generated client.
    #[doc(hidden)]
    fn batch_upsert(
        client: &Self::ApiClient,
        object_type: &str,
        inputs: Vec<WireInput>,
    ) -> impl Future<Output = ApiResult<Self>> + Send;

    /// The results and the per-input errors of a success body.
    #[doc(hidden)]
    fn split_body(body: Self::Body) -> (Vec<Self::Record>, Vec<Self::InputError>);

    /// What the policy and [`HubSpotError`](crate::HubSpotError) read of a per-input error.
    #[doc(hidden)]
    fn input_error_fields(error: &Self::InputError) -> ErrorFields<'_, Self::ErrorDetail>;

    /// What the policy and [`HubSpotError`](crate::HubSpotError) read of a request's error.
    #[doc(hidden)]
    fn request_error_fields(error: &Self::RequestError) -> ErrorFields<'_, Self::ErrorDetail>;

    /// A detail's `code`, such as `INVALID_EMAIL`.
    #[doc(hidden)]
    fn detail_code(detail: &Self::ErrorDetail) -> Option<&str>;
}

/// What the generated `batch_upsert()` of a version returns.
#[doc(hidden)]
pub type ApiResult<V> = Result<
    hubspot_crm_api::v2026_09::ResponseValue<<V as ApiVersion>::Body>,
    hubspot_crm_api::v2026_09::Error<<V as ApiVersion>::RequestError>,
>;

/// What every version's result of one input (`SimplePublicUpsertObject`) has, readable
/// without naming the version: HubSpot's record id, whether the upsert created it, its dates,
/// echoed properties and trace id. Fields of one version only (2026-03's `warnings`) are read
/// on the version's type itself.
pub trait UpsertedRecord {
    /// HubSpot's record id, a numeric string.
    fn record_id(&self) -> &str;
    /// True when the upsert created the record, false when it updated one.
    fn is_new(&self) -> bool;
    /// When the record was created.
    fn created_at(&self) -> chrono::DateTime<chrono::Utc>;
    /// When the record was last modified.
    fn updated_at(&self) -> chrono::DateTime<chrono::Utc>;
    /// The record's property values as HubSpot echoed them (`None` for a property without one).
    fn properties(&self) -> &OrderedMap<String, Option<String>>;
    /// The trace id of the input this result answers, when HubSpot echoed it.
    fn trace_id(&self) -> Option<&str>;
    /// The record's page in HubSpot's web app, when HubSpot sent it.
    fn url(&self) -> Option<&str>;
}

/// The fields of an error the policy and [`HubSpotError`](crate::HubSpotError) read, borrowed
/// from the generated type.
#[doc(hidden)]
#[derive(Debug)]
pub struct ErrorFields<'a, D> {
    /// HubSpot's category.
    pub category: Option<&'a str>,
    /// HubSpot's message.
    pub message: Option<&'a str>,
    /// HubSpot's `subCategory`.
    pub sub_category: Option<&'a serde_json::Value>,
    /// HubSpot's `context`.
    pub context: &'a OrderedMap<String, Vec<String>>,
    /// HubSpot's `errors`.
    pub details: &'a [D],
    /// HubSpot's `correlationId` (request errors).
    pub correlation_id: Option<String>,
    /// `policyName` of a 429 body (request errors).
    pub policy_name: Option<&'a str>,
    /// `errorType` of a 429 body (request errors).
    pub error_type: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_dated_path_segments() {
        assert_eq!(V2026_03::NAME, "2026-03");
        assert_eq!(V2026_09::NAME, "2026-09");
        assert_eq!(Current::NAME, "2026-09");
    }
}
