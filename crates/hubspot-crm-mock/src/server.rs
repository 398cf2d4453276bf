//! A running mock: its start on a listener from a [`MockConfig`], and the handle tests hold.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::activity::{Counters, RequestRecord};
use crate::api_version::ApiVersion;
use crate::app::App;
use crate::config::MockConfig;
use crate::connection::{ConnHandle, MockListener};
use crate::error::MockError;
use crate::handlers;
use crate::rate_limit::RateLimiter;
use crate::schema::Schemas;
use crate::store::{Store, StoredRecord};
use crate::validation::CheckedInput;

/// How long [`MockServer::shutdown`] waits for open requests before dropping them.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running mock server. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    app: std::sync::Arc<App>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl MockConfig {
    /// Start the server on its address and return its handle.
    ///
    /// # Errors
    /// [`MockError::Bind`] when the address cannot be bound, [`MockError::ExistingRecord`]
    /// when a record of [`MockConfig::existing_record`] cannot be stored.
    pub async fn start(self) -> Result<MockServer, MockError> {
        start(self).await
    }
}

async fn start(config: MockConfig) -> Result<MockServer, MockError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| MockError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| MockError::Bind {
        addr: config.addr,
        source,
    })?;
    let schemas = Schemas::new(&config.schemas);
    let store = existing_records(&schemas, &config.existing)?;
    let (stop, stopped) = watch::channel(false);
    let limiter = RateLimiter::new(config.rate_limit, config.plan, config.daily_quota);
    let app = std::sync::Arc::new(App::new(config, schemas, limiter, store, stopped.clone()));
    let router = handlers::router(std::sync::Arc::clone(&app));
    let mut stopped_signal = stopped;
    let serve = axum::serve(
        MockListener { inner: listener },
        router.into_make_service_with_connect_info::<ConnHandle>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped_signal.wait_for(|stop| *stop).await;
    });
    let task = tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::error!("hubspot-crm-mock server stopped with an error: {e}");
        }
    });
    tracing::info!("hubspot-crm-mock listening on http://{addr}");
    Ok(MockServer {
        addr,
        app,
        stop,
        task: Some(task),
    })
}

/// A store holding the records of [`MockConfig::existing_record`].
fn existing_records(
    schemas: &Schemas,
    existing: &[(String, Vec<(String, String)>)],
) -> Result<Store, MockError> {
    let mut store = Store::default();
    let now = Utc::now();
    for (index, (object_type, properties)) in existing.iter().enumerate() {
        let fail = |reason: String| MockError::ExistingRecord {
            object_type: object_type.clone(),
            index,
            reason,
        };
        let (type_name, schema) = schemas
            .resolve(object_type)
            .ok_or_else(|| fail("the mock has no such object type".to_owned()))?;
        let normalised: Vec<(String, String)> = properties
            .iter()
            .map(|(name, value)| {
                let value = if schema.is_email(name) {
                    value.trim().to_lowercase()
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect();
        let (id_property, id_value) = schema
            .unique_properties
            .iter()
            .find_map(|unique| normalised.iter().find(|(name, _)| name == unique))
            .cloned()
            .ok_or_else(|| {
                fail(format!(
                    "it sets none of the unique properties of {type_name}"
                ))
            })?;
        let input = CheckedInput {
            id_property,
            id_value,
            properties: normalised,
            trace_id: None,
        };
        store
            .apply(type_name, schema, vec![input], now)
            .map_err(|conflict| {
                fail(format!(
                    "{} {} is taken by another record",
                    conflict.property, conflict.value
                ))
            })?;
    }
    Ok(store)
}

impl MockServer {
    /// A configuration to start a server from (all defaults: Starter plan, any token, no
    /// faults, seed 0, an ephemeral loopback port).
    pub fn builder() -> MockConfig {
        MockConfig::default()
    }

    /// Start a server with the default configuration.
    ///
    /// # Errors
    /// [`MockError::Bind`] when no loopback port can be bound.
    pub async fn start() -> Result<MockServer, MockError> {
        MockConfig::default().start().await
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, to use as a client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full batch upsert URL for `object_type` at HubSpot's current version (2026-09).
    pub fn upsert_url(&self, object_type: &str) -> String {
        self.upsert_url_for(ApiVersion::V2026_09, object_type)
    }

    /// The full batch upsert URL for `object_type` at `version`.
    pub fn upsert_url_for(&self, version: ApiVersion, object_type: &str) -> String {
        match version {
            ApiVersion::V3 => format!(
                "http://{}/crm/v3/objects/{object_type}/batch/upsert",
                self.addr
            ),
            dated => format!(
                "http://{}/crm/objects/{dated}/{object_type}/batch/upsert",
                self.addr
            ),
        }
    }

    /// The stored records of an object type (a name or a type id), by ascending id; empty for
    /// an unknown type.
    pub fn records(&self, object_type: &str) -> Vec<StoredRecord> {
        match self.app.schemas.resolve(object_type) {
            Some((name, _)) => self.app.records(name),
            None => Vec::new(),
        }
    }

    /// Counters since the server started.
    pub fn counters(&self) -> Counters {
        self.app.activity.counters()
    }

    /// Every request to the upsert routes so far, by index.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.app.activity.log()
    }

    /// Stop accepting connections, cut short stalls and latency, let open requests finish
    /// (for up to 5 s) and wait for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            tracing::warn!("hubspot-crm-mock: open requests did not finish; dropping them");
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
