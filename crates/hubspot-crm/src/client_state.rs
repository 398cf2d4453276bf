//! [`ClientState`]: what every request and bulk run of a client shares.

use std::collections::HashMap;
use std::sync::Arc;

use crate::auth::TokenProvider;
use crate::property_schema::PropertySchema;
use crate::rate_limit::Pacer;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::wire::Wire;

/// What every request and bulk run of a client shares; a `Client` is an `Arc` of it.
pub(crate) struct ClientState {
    pub(crate) base_url: String,
    /// The one wire path: the generated client over the shared `reqwest::Client`.
    pub(crate) wire: Wire,
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) pacer: Pacer,
    pub(crate) concurrency: usize,
    /// Property definitions by object type (lower-cased), checked before sending.
    pub(crate) schemas: HashMap<String, Arc<PropertySchema>>,
}
