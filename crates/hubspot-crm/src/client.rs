//! [`Client`] and its [`ClientBuilder`]: configuration, validation and the shared state
//! (token provider, retry budget, pacer) that every request of a client uses.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use hubspot_crm_api::{Inner, TokenSource};
use reqwest::header::HeaderValue;

use crate::api_version::{ApiVersion, Current};
use crate::auth::{AccessToken, StaticToken, TokenProvider};
use crate::bulk::BulkRun;
use crate::client_state::ClientState;
use crate::error::Error;
use crate::input::UpsertInput;
use crate::object_type::ObjectType;
use crate::property_schema::PropertySchema;
use crate::rate_limit::{Pacer, RateLimit};
use crate::retry::RetryPolicy;
use crate::wire::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Wire};

/// HubSpot's API host.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";
/// Default number of requests in flight at once: 4 keeps a 100-per-10-s plan busy when a
/// request takes up to 400 ms, without piling up requests that only wait on the pacer.
pub(crate) const DEFAULT_CONCURRENCY: usize = 4;
/// Default `User-Agent`.
pub(crate) const DEFAULT_USER_AGENT: &str = concat!("hubspot-crm-rust/", env!("CARGO_PKG_VERSION"));

/// A HubSpot CRM client speaking API version `V` (by default HubSpot's current version,
/// [`V2026_09`](crate::V2026_09); pin another with [`ClientBuilder::api_version`]). Cheap to
/// clone; clones share the pacer, the retry budget and the connection pool.
///
/// ```
/// use hubspot_crm::{AccessToken, Client, Plan, RateLimit, RetryPolicy};
/// use std::time::Duration;
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token(AccessToken::new("pat-na1-example"))
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(5))
///     .rate_limit(RateLimit::plan(Plan::Starter))
///     .concurrency(4)
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// # Ok::<(), hubspot_crm::Error>(())
/// ```
#[derive(Clone)]
pub struct Client<V: ApiVersion = Current> {
    pub(crate) inner: Arc<ClientState>,
    version: PhantomData<V>,
}

impl<V: ApiVersion> fmt::Debug for Client<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_version", &V::NAME)
            .field("base_url", &self.inner.base_url)
            .field("token", &"<redacted>")
            .field("retry", &self.inner.retry)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client (of HubSpot's current API version unless
    /// [`ClientBuilder::api_version`] says otherwise).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl<V: ApiVersion> Client<V> {
    /// HubSpot's name of the API version this client speaks, such as `"2026-09"`.
    pub fn api_version(&self) -> &'static str {
        V::NAME
    }

    /// The base URL requests go to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Upserts every input of `inputs`, in requests of at most 100, paced and retried; see
    /// [`BulkRun`] for the outcomes, progress and cancellation.
    pub fn bulk_upsert<S>(&self, object_type: ObjectType, inputs: S) -> BulkRun<V>
    where
        S: Stream<Item = UpsertInput> + Send + 'static,
    {
        let schema = self
            .inner
            .schemas
            .get(&object_type.as_str().to_ascii_lowercase())
            .cloned();
        BulkRun::start(
            self.inner.clone(),
            object_type,
            Box::pin(inputs),
            schema,
            None,
        )
    }

    /// [`Client::bulk_upsert`], checking every input against `schema` (instead of the one
    /// given to [`ClientBuilder::property_schema`], if any) before it is batched: a refused
    /// input ends [`Failed`](crate::OutcomeKind::Failed) with category
    /// [`FailureCause::PropertyCheck`](crate::FailureCause::PropertyCheck) and costs no request.
    pub fn bulk_upsert_with_schema<S>(
        &self,
        object_type: ObjectType,
        schema: Arc<PropertySchema>,
        inputs: S,
    ) -> BulkRun<V>
    where
        S: Stream<Item = UpsertInput> + Send + 'static,
    {
        BulkRun::start(
            self.inner.clone(),
            object_type,
            Box::pin(inputs),
            Some(schema),
            None,
        )
    }

    /// [`Client::bulk_upsert`] with a sync state: an input whose values HubSpot accepted
    /// before (by the state) is not sent and ends
    /// [`Unchanged`](crate::OutcomeKind::Unchanged); what HubSpot accepts is written to the
    /// state. See [`crate::sync_state`].
    ///
    /// # Errors
    /// The state refuses the run (written for another object type, id property, base URL or
    /// account); nothing is read or sent then.
    pub fn bulk_upsert_synced<S>(
        &self,
        object_type: ObjectType,
        sync: crate::sync_state::SyncOptions,
        inputs: S,
    ) -> Result<BulkRun<V>, crate::sync_state::SyncStateError>
    where
        S: Stream<Item = UpsertInput> + Send + 'static,
    {
        let (sync, schema) =
            crate::sync_state::SyncRun::start(sync, object_type.as_str(), &self.inner.base_url)?;
        let schema = schema.or_else(|| {
            self.inner
                .schemas
                .get(&object_type.as_str().to_ascii_lowercase())
                .cloned()
        });
        Ok(BulkRun::start(
            self.inner.clone(),
            object_type,
            Box::pin(inputs),
            schema,
            Some(sync),
        ))
    }

    /// [`Client::bulk_upsert`] over an iterator or a `Vec`.
    pub fn bulk_upsert_iter<I>(&self, object_type: ObjectType, inputs: I) -> BulkRun<V>
    where
        I: IntoIterator<Item = UpsertInput>,
        I::IntoIter: Send + 'static,
    {
        self.bulk_upsert(object_type, futures::stream::iter(inputs))
    }

    /// The escape hatch: the generated client of this client's API version
    /// ([`ApiVersion::ApiClient`]) for single calls, sharing this client's
    /// connection pool, timeouts and refusal of redirects. Before each request it asks this
    /// client's token provider for the current token (marked sensitive); it does not pace,
    /// retry or refresh the token. Fails now when the current token cannot be sent.
    pub async fn api(&self) -> Result<V::ApiClient, Error> {
        let token = self.inner.tokens.token().await?;
        token.header_value()?;
        let source = ProviderSource(self.inner.tokens.clone());
        Ok(V::api_client(
            &self.inner.base_url,
            self.inner.wire.http.clone(),
            Inner::new().token_source(Arc::new(source)),
        ))
    }

    /// A client whose requests go through `exec` instead of sockets, for the engine's
    /// paused-time tests.
    #[cfg(test)]
    pub(crate) fn with_exec(
        exec: Arc<dyn hubspot_crm_api::Exec>,
        retry: RetryPolicy,
        limit: RateLimit,
        concurrency: usize,
        tokens: Arc<dyn TokenProvider>,
    ) -> Client<V> {
        let base_url = "http://fake.invalid".to_string();
        Client {
            version: PhantomData,
            inner: Arc::new(ClientState {
                wire: Wire {
                    http: reqwest::Client::new(),
                    base_url: base_url.clone(),
                    exec: Some(exec),
                },
                base_url,
                tokens,
                budget: retry.new_budget(),
                retry,
                pacer: Pacer::new(limit),
                concurrency: concurrency.max(1),
                schemas: HashMap::new(),
            }),
        }
    }
}

/// The token provider as the generated client's token source (for [`Client::api`]).
struct ProviderSource(Arc<dyn TokenProvider>);

impl TokenSource for ProviderSource {
    fn authorization(&self) -> BoxFuture<'_, Result<HeaderValue, String>> {
        Box::pin(async move {
            let token = self.0.token().await.map_err(|e| e.to_string())?;
            token.header_value().map_err(|e| e.to_string())
        })
    }
}

/// Configures a [`Client`]. Every setting has a default except the token.
#[derive(Clone)]
pub struct ClientBuilder<V: ApiVersion = Current> {
    version: PhantomData<V>,
    base_url: String,
    allow_insecure_http: bool,
    tokens: Option<Arc<dyn TokenProvider>>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    rate_limit: RateLimit,
    concurrency: usize,
    schemas: HashMap<String, Arc<PropertySchema>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            version: PhantomData,
            base_url: DEFAULT_BASE_URL.to_string(),
            allow_insecure_http: false,
            tokens: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            concurrency: DEFAULT_CONCURRENCY,
            schemas: HashMap::new(),
        }
    }
}

impl<V: ApiVersion> fmt::Debug for ClientBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_version", &V::NAME)
            .field("base_url", &self.base_url)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("token", &self.tokens.as_ref().map(|_| "<redacted>"))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("concurrency", &self.concurrency)
            .field("property_schemas", &self.schemas.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<V: ApiVersion> ClientBuilder<V> {
    /// The API version the client speaks, by its marker type: [`V2026_09`](crate::V2026_09)
    /// (HubSpot's current version, the default) or [`V2026_03`](crate::V2026_03). Outcomes
    /// then carry that version's generated types, and requests go to
    /// `/crm/objects/<version>/{objectType}/batch/upsert`.
    ///
    /// ```
    /// use hubspot_crm::{AccessToken, Client, V2026_03};
    /// let client = Client::builder()
    ///     .api_version(V2026_03)
    ///     .token(AccessToken::new("pat-na1-example"))
    ///     .build()?;
    /// assert_eq!(client.api_version(), "2026-03");
    /// # Ok::<(), hubspot_crm::Error>(())
    /// ```
    pub fn api_version<W: ApiVersion>(self, _version: W) -> ClientBuilder<W> {
        ClientBuilder {
            version: PhantomData,
            base_url: self.base_url,
            allow_insecure_http: self.allow_insecure_http,
            tokens: self.tokens,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            user_agent: self.user_agent,
            retry: self.retry,
            rate_limit: self.rate_limit,
            concurrency: self.concurrency,
            schemas: self.schemas,
        }
    }

    /// Where to send requests (default `https://api.hubapi.com`). Plain `http://` is refused unless
    /// the host is a loopback address or `localhost`, or [`ClientBuilder::allow_insecure_http`]
    /// was called.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Allows a plain `http://` base URL to a non-loopback host. The token then crosses the
    /// network unencrypted.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// A fixed access token (private app, or OAuth managed elsewhere).
    pub fn token(mut self, token: AccessToken) -> Self {
        self.tokens = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// A provider of tokens that may be refreshed.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(provider);
        self
    }

    /// Longest wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest time for a whole request, reading the response body included (default
    /// 30 s: a batch of 100 upserts normally takes a few seconds, and HubSpot's own gateway
    /// gives up at 100 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `hubspot-crm-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The retry rules (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The request rate limit (default: the Starter plan, 100 per 10 s).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// How many requests a bulk run keeps in flight at once (default
    /// 4, which keeps a 100-per-10-s plan busy when a request takes up to 400 ms; [`ClientBuilder::build`] refuses 0). A run holds at most about
    /// `2 × concurrency × 100` inputs in memory.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Checks every input of `object_type`'s bulk runs against these property definitions
    /// before batching (see [`crate::property_schema`]); a refused input ends
    /// [`Failed`](crate::OutcomeKind::Failed) with category
    /// [`FailureCause::PropertyCheck`](crate::FailureCause::PropertyCheck) and costs no request.
    ///
    /// ```no_run
    /// use hubspot_crm::{AccessToken, Client, ObjectType};
    /// use hubspot_crm::property_schema::PropertySchema;
    /// let contacts = PropertySchema::from_file("contacts-properties.json")?;
    /// let client = Client::builder()
    ///     .token(AccessToken::new("pat-na1-..."))
    ///     .property_schema(ObjectType::contacts(), contacts)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn property_schema(mut self, object_type: ObjectType, schema: PropertySchema) -> Self {
        self.schemas
            .insert(object_type.as_str().to_ascii_lowercase(), Arc::new(schema));
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<Client<V>, Error> {
        let base_url = validate_base_url(&self.base_url, self.allow_insecure_http)?;
        // A zero timeout fails every request at once, each retry included.
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::invalid(
                "client configuration",
                "the timeout and the connect timeout must be more than 0",
            ));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid(
                "client configuration",
                "the concurrency must be at least 1",
            ));
        }
        let tokens = self.tokens.ok_or_else(|| {
            Error::invalid(
                "client configuration",
                "no access token: call .token(..) or .token_provider(..)",
            )
        })?;
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // Never follow redirects: the Authorization header must not travel to another host,
            // and a redirected POST is not something the API does.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::invalid("client configuration", e.to_string()))?;
        let wire = Wire {
            http,
            base_url: base_url.clone(),
            exec: None,
        };
        Ok(Client {
            version: PhantomData,
            inner: Arc::new(ClientState {
                base_url,
                wire,
                tokens,
                budget: self.retry.new_budget(),
                retry: self.retry,
                pacer: Pacer::new(self.rate_limit),
                concurrency: self.concurrency,
                schemas: self.schemas,
            }),
        })
    }
}

fn validate_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let refuse = |reason: String| Err(Error::invalid("base URL", reason));
    let url = match reqwest::Url::parse(raw) {
        Ok(url) => url,
        Err(e) => return refuse(format!("{raw:?} is not a URL: {e}")),
    };
    if url.query().is_some() || url.fragment().is_some() {
        return refuse(format!("{raw:?} has a query or fragment"));
    }
    if url.path() != "/" {
        return refuse(format!(
            "{raw:?} has a path ({:?}); give only the scheme, host and port, such as https://api.hubapi.com",
            url.path()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it contains credentials; pass the token with .token(..)".into());
    }
    let host = match url.host_str() {
        Some(h) => h.to_string(),
        None => return refuse(format!("{raw:?} has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&host) => {}
        "http" => {
            return refuse(format!(
                "plain http to {host} would send the token unencrypted; use https, a loopback host, or .allow_insecure_http()"
            ));
        }
        other => return refuse(format!("scheme {other:?} is not http or https")),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str) -> Result<Client, Error> {
        Client::builder()
            .base_url(url)
            .token(AccessToken::new("s3cret"))
            .build()
    }

    #[test]
    fn default_base_url_is_hubspot() {
        let client = Client::builder()
            .token(AccessToken::new("x"))
            .build()
            .expect("client");
        assert_eq!(client.base_url(), "https://api.hubapi.com");
    }

    #[test]
    fn http_only_for_loopback_or_by_opt_in() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "http://[::1]:9",
            "https://example.com",
        ] {
            assert!(build(ok).is_ok(), "{ok}");
        }
        let err = build("http://example.com").expect_err("insecure");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(
            Client::builder()
                .base_url("http://example.com")
                .allow_insecure_http()
                .token(AccessToken::new("x"))
                .build()
                .is_ok()
        );
        for bad in ["ftp://x", "not a url", "https://x/?q=1", "https://u:p@x"] {
            assert!(build(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zero_timeouts_are_refused() {
        let zero = |b: ClientBuilder| b.token(AccessToken::new("x")).build().map(|_| ());
        let err = zero(Client::builder().timeout(Duration::ZERO)).expect_err("zero timeout");
        assert_eq!(
            err.to_string(),
            "invalid client configuration: the timeout and the connect timeout must be more than 0"
        );
        assert!(zero(Client::builder().connect_timeout(Duration::ZERO)).is_err());
        assert!(zero(Client::builder().timeout(Duration::from_millis(1))).is_ok());
    }

    #[test]
    fn trailing_slash_is_removed() {
        assert_eq!(
            build("http://127.0.0.1:8/").expect("ok").base_url(),
            "http://127.0.0.1:8"
        );
    }

    #[test]
    fn a_base_url_with_a_path_is_refused() {
        let err = build("http://127.0.0.1:8/crm/v3").expect_err("a path");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "invalid base URL: \"http://127.0.0.1:8/crm/v3\" has a path (\"/crm/v3\"); give only the scheme, host and port, such as https://api.hubapi.com"
        );
    }

    #[test]
    fn zero_concurrency_is_refused() {
        let err = Client::builder()
            .token(AccessToken::new("x"))
            .concurrency(0)
            .build()
            .expect_err("zero concurrency");
        assert_eq!(
            err.to_string(),
            "invalid client configuration: the concurrency must be at least 1"
        );
    }

    #[test]
    fn token_is_required_and_never_shown() {
        let err = Client::builder().build().expect_err("no token");
        assert!(err.to_string().contains("no access token"));
        let builder = Client::builder().token(AccessToken::new("s3cret"));
        assert!(!format!("{builder:?}").contains("s3cret"));
        let client = build("http://127.0.0.1:1").expect("client");
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
