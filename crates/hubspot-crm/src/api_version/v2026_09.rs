//! The adapter of 2026-09, HubSpot's current version, over `hubspot_crm_api::v2026_09`: a
//! partial success is a 200 whose body (`BatchResponseSimplePublicUpsertObject`) carries
//! `errors` and `numErrors`, and results have no `warnings`. A 207 with the 2026-03 body, which
//! HubSpot still sends on dated paths, decodes into the same body (the version's overlay reads
//! it so). The inputs are already this version's generated type.

use hubspot_crm_api::v2026_09::Client;
use hubspot_crm_api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, BatchResponseSimplePublicUpsertObject, Error,
    ErrorDetail, SimplePublicUpsertObject, StandardError,
};
use hubspot_crm_api::{Inner, OrderedMap};

use super::{ApiResult, ApiVersion, ErrorFields, UpsertedRecord, WireInput, sealed};

/// HubSpot's CRM objects API version 2026-09, its current version since September 2026 and the
/// client's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V2026_09;

impl sealed::Sealed for V2026_09 {}

impl ApiVersion for V2026_09 {
    const NAME: &'static str = "2026-09";
    type ApiClient = Client;
    type Record = SimplePublicUpsertObject;
    type InputError = StandardError;
    type RequestError = Error;
    type ErrorDetail = ErrorDetail;
    type Body = BatchResponseSimplePublicUpsertObject;

    fn api_client(base_url: &str, http: reqwest::Client, inner: Inner) -> Client {
        Client::new_with_client(base_url, http, inner)
    }

    async fn batch_upsert(
        client: &Client,
        object_type: &str,
        inputs: Vec<WireInput>,
    ) -> ApiResult<Self> {
        client
            .batch_upsert()
            .object_type(object_type)
            .body(BatchInputSimplePublicObjectBatchInputUpsert { inputs })
            .send()
            .await
    }

    fn split_body(body: Self::Body) -> (Vec<SimplePublicUpsertObject>, Vec<StandardError>) {
        (body.results, body.errors)
    }

    fn input_error_fields(error: &StandardError) -> ErrorFields<'_, ErrorDetail> {
        ErrorFields {
            category: error.category.as_deref(),
            message: error.message.as_deref(),
            sub_category: error.sub_category.as_ref(),
            context: &error.context,
            details: &error.errors,
            correlation_id: None,
            policy_name: None,
            error_type: None,
        }
    }

    fn request_error_fields(error: &Error) -> ErrorFields<'_, ErrorDetail> {
        ErrorFields {
            category: error.category.as_deref(),
            message: error.message.as_deref(),
            sub_category: error.sub_category.as_ref(),
            context: &error.context,
            details: &error.errors,
            correlation_id: error.correlation_id.map(|c| c.to_string()),
            policy_name: error.policy_name.as_deref(),
            error_type: error.error_type.as_deref(),
        }
    }

    fn detail_code(detail: &ErrorDetail) -> Option<&str> {
        detail.code.as_deref()
    }
}

impl UpsertedRecord for SimplePublicUpsertObject {
    fn record_id(&self) -> &str {
        &self.id
    }

    fn is_new(&self) -> bool {
        self.new
    }

    fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.created_at
    }

    fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }

    fn properties(&self) -> &OrderedMap<String, Option<String>> {
        &self.properties
    }

    fn trace_id(&self) -> Option<&str> {
        self.object_write_trace_id.as_deref()
    }

    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}
