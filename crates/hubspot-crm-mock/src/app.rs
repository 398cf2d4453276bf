//! The state one server shares between its requests: its configuration, object types, rate
//! limiter, activity book, request counter, shutdown signal and store.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::activity::Activity;
use crate::config::MockConfig;
use crate::lock::lock;
use crate::rate_limit::RateLimiter;
use crate::schema::{ObjectSchema, Schemas};
use crate::store::{Applied, Conflict, Store, StoredRecord};
use crate::validation::CheckedInput;

/// State shared by every request of one server.
#[derive(Debug)]
pub(crate) struct App {
    pub config: MockConfig,
    pub schemas: Schemas,
    pub limiter: RateLimiter,
    pub activity: Activity,
    /// The index the next request to an upsert route gets.
    pub next_index: AtomicU64,
    /// Turns `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    store: Mutex<Store>,
}

impl App {
    pub(crate) fn new(
        config: MockConfig,
        schemas: Schemas,
        limiter: RateLimiter,
        store: Store,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        App {
            config,
            schemas,
            limiter,
            activity: Activity::default(),
            next_index: AtomicU64::new(0),
            shutdown,
            store: Mutex::new(store),
        }
    }

    /// Apply checked inputs under the store lock (held for this call only, never across an
    /// await); nothing is applied on a unique-value conflict.
    pub(crate) fn apply(
        &self,
        type_name: &str,
        schema: &ObjectSchema,
        inputs: Vec<CheckedInput>,
        now: DateTime<Utc>,
    ) -> Result<Applied, Conflict> {
        lock(&self.store).apply(type_name, schema, inputs, now)
    }

    /// The records of `type_name`, by ascending id.
    pub(crate) fn records(&self, type_name: &str) -> Vec<StoredRecord> {
        lock(&self.store).records(type_name)
    }
}
