//! What a server has seen: counters and a log of every request to the upsert routes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::api_version::ApiVersion;
use crate::faults::Fault;
use crate::lock::lock;

/// Totals since the server started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests to the upsert routes.
    pub requests: u64,
    /// Requests answered, by status code. Requests whose connection was closed without an
    /// answer are not here (see `connections_closed`).
    pub requests_by_status: BTreeMap<u16, u64>,
    /// Requests whose connection was closed without a status line.
    pub connections_closed: u64,
    /// Inputs in bodies that parsed, including inputs of rejected batches.
    pub inputs_received: u64,
    /// Records created.
    pub records_created: u64,
    /// Records updated.
    pub records_updated: u64,
    /// Inputs reported as failed in 207 responses.
    pub inputs_failed: u64,
    /// Requests that a fault struck.
    pub faults_injected: u64,
}

impl Counters {
    /// How many requests were answered with `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.requests_by_status.get(&status).copied().unwrap_or(0)
    }
}

/// One request to an upsert route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestRecord {
    /// Position in arrival order, from 0; the index fault plans use.
    pub index: u64,
    /// The API version of the path the request was sent to.
    pub api_version: ApiVersion,
    /// The `objectType` of the path, as sent.
    pub object_type: String,
    /// The status answered, or `None` when the connection was closed before a status line.
    pub status: Option<u16>,
    /// Inputs in the body (0 when it did not parse).
    pub inputs: usize,
    /// The fault that struck, if one did.
    pub fault: Option<Fault>,
    /// Whether the batch (or its valid part) was written to the store.
    pub applied: bool,
    /// Records created by this request.
    pub created: usize,
    /// Records updated by this request.
    pub updated: usize,
    /// The `objectWriteTraceId` of each input of the body, in body order (`""` for an input
    /// without one); empty when the body was not a JSON object with an `inputs` array. Read
    /// for every request, those refused by authentication or the rate limit included, so a
    /// test can tell a retry (the same inputs sent again) from a new request.
    pub trace_ids: Vec<String>,
}

#[derive(Debug, Default)]
struct Book {
    counters: Counters,
    log: Vec<RequestRecord>,
}

/// The counters and request log of one server.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    book: Mutex<Book>,
}

impl Activity {
    /// Add one finished request.
    pub(crate) fn record(&self, entry: RequestRecord, inputs_failed: usize) {
        let mut book = lock(&self.book);
        let c = &mut book.counters;
        c.requests += 1;
        match entry.status {
            Some(status) => *c.requests_by_status.entry(status).or_insert(0) += 1,
            None => c.connections_closed += 1,
        }
        c.inputs_received += entry.inputs as u64;
        c.records_created += entry.created as u64;
        c.records_updated += entry.updated as u64;
        c.inputs_failed += inputs_failed as u64;
        if entry.fault.is_some() {
            c.faults_injected += 1;
        }
        book.log.push(entry);
    }

    pub(crate) fn counters(&self) -> Counters {
        lock(&self.book).counters.clone()
    }

    pub(crate) fn log(&self) -> Vec<RequestRecord> {
        let mut log = lock(&self.book).log.clone();
        log.sort_by_key(|r| r.index);
        log
    }
}
