//! How a mock server is set up: plan, rate-limit window, quota, tokens, latency, faults, seed
//! and the property schema of each object type. [`MockConfig::start`] is in `server`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::faults::FaultPlan;
use crate::plan::Plan;
use crate::property_values::PropertyDefinitions;
use crate::schema::ObjectSchema;

/// Largest request body read into memory (bytes); a larger body gets 413 `Error`.
///
/// A full 100-input batch with a dozen short properties per input is about 60 KB, so 4 MiB
/// leaves room for long text values while keeping a hostile body from eating memory.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Bytes of an oversized body the server still reads (and discards) before answering 413, so
/// that the client, which is still sending, reliably receives the answer. Past this the server
/// answers at once and lets the connection close.
pub(crate) const DEFAULT_DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// The request-rate limit enforced per access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// At most `max` requests in any rolling `window`.
    Rolling {
        /// Requests allowed in the window.
        max: u32,
        /// Length of the rolling window.
        window: Duration,
    },
    /// No limit (benchmarks). Headers still report the plan's window and daily figure.
    Unlimited,
}

impl RateLimit {
    /// The plan's published rolling window.
    fn of_plan(plan: Plan) -> Self {
        let limits = plan.limits();
        RateLimit::Rolling {
            max: limits.requests_per_window,
            window: limits.window,
        }
    }
}

/// The set-up of a [`crate::MockServer`]; made by [`crate::MockServer::builder`], consumed by
/// [`MockConfig::start`].
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    pub(crate) addr: SocketAddr,
    pub(crate) plan: Plan,
    pub(crate) rate_limit: RateLimit,
    pub(crate) daily_quota: Option<u64>,
    pub(crate) valid_tokens: Option<BTreeSet<String>>,
    pub(crate) latency: Duration,
    pub(crate) faults: FaultPlan,
    pub(crate) seed: u64,
    pub(crate) schemas: BTreeMap<String, ObjectSchema>,
    pub(crate) max_body_bytes: usize,
    pub(crate) drain_limit_bytes: usize,
    pub(crate) existing: Vec<(String, Vec<(String, String)>)>,
}

impl Default for MockConfig {
    fn default() -> Self {
        let plan = Plan::default();
        MockConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            plan,
            rate_limit: RateLimit::of_plan(plan),
            daily_quota: None,
            valid_tokens: None,
            latency: Duration::ZERO,
            faults: FaultPlan::none(),
            seed: 0,
            schemas: ObjectSchema::defaults(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            drain_limit_bytes: DEFAULT_DRAIN_LIMIT_BYTES,
            existing: Vec::new(),
        }
    }
}

impl MockConfig {
    /// Listen on this loopback port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Listen on this address (default `127.0.0.1:0`).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Enforce the plan's limits ([`Plan::limits`]): its requests per rolling window and its
    /// inputs per request; the daily headers report its daily figure.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self.rate_limit = RateLimit::of_plan(plan);
        self
    }

    /// Use a custom rolling window, such as 10 requests per 200 ms for fast tests.
    pub fn rate_limit(mut self, max: u32, window: Duration) -> Self {
        self.rate_limit = RateLimit::Rolling { max, window };
        self
    }

    /// Enforce no request-rate limit (for benchmarks).
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = RateLimit::Unlimited;
        self
    }

    /// Accept this many requests in total (across tokens, as HubSpot counts per account);
    /// past it every request gets 429 with `policyName: DAILY`.
    pub fn daily_quota(mut self, requests: u64) -> Self {
        self.daily_quota = Some(requests);
        self
    }

    /// Accept only these bearer tokens (default: any well-formed bearer token).
    pub fn valid_tokens<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.valid_tokens = Some(tokens.into_iter().map(Into::into).collect());
        self
    }

    /// The response time of every upsert request: a response leaves no earlier than this long
    /// after its request arrived, however long the server's own work took (HubSpot works on
    /// requests in parallel, so its work does not queue behind other requests' latency). With
    /// zero, the default, a response leaves as soon as it is ready, without passing through a
    /// timer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Inject faults by this plan.
    pub fn faults(mut self, faults: FaultPlan) -> Self {
        self.faults = faults;
        self
    }

    /// Seed for everything random: the order of results and random faults.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Set (or replace) the property schema of an object type. `name` is a standard name
    /// (`contacts`), a custom object's name (`p_cars`) or an object type id (`2-1234567`);
    /// the schema's [`ObjectSchema::type_id`] is accepted as an alias.
    pub fn object_schema(mut self, name: impl Into<String>, schema: ObjectSchema) -> Self {
        self.schemas.insert(name.into(), schema);
        self
    }

    /// Start with this record already stored, as if created before the server started (for
    /// example a contact whose `email` a test's inputs will collide with). It is identified by
    /// the first unique property of its type that it sets; it appears in
    /// [`crate::MockServer::records`] but in no counter or request log.
    pub fn existing_record<I, K, V>(mut self, object_type: impl Into<String>, properties: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let properties = properties
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.existing.push((object_type.into(), properties));
        self
    }

    /// Types the properties of an object type from HubSpot's property definitions (read with
    /// [`PropertyDefinitions::from_file`] from the JSON of `GET
    /// /crm/v3/properties/{objectType}`): the properties are declared, unique ones marked, and
    /// their values checked by HubSpot's rules. A type without a schema yet gets one.
    ///
    /// ```
    /// use hubspot_crm_mock::{MockServer, PropertyDefinitions, TypedProperty, ValueType};
    /// let cars = PropertyDefinitions::new()
    ///     .with("vin", TypedProperty { unique: true, ..TypedProperty::new(ValueType::Text) })
    ///     .with("first_registered", TypedProperty::new(ValueType::Date));
    /// let config = MockServer::builder().property_definitions("p_cars", &cars);
    /// # let _ = config;
    /// ```
    pub fn property_definitions(
        mut self,
        name: impl Into<String>,
        definitions: &PropertyDefinitions,
    ) -> Self {
        let name = name.into();
        let schema = self.schemas.remove(&name).unwrap_or_default();
        self.schemas.insert(name, schema.typed(definitions));
        self
    }

    /// Largest request body accepted, in bytes (default 4 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}
