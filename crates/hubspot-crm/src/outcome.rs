//! What a bulk run reports: one [`RecordOutcome`] per input, live [`Progress`], and the final
//! [`Summary`].
//!
//! Outcomes carry what HubSpot returned, as the generated types of the run's API version `V`:
//! a created or updated record's `SimplePublicUpsertObject` ([`ApiVersion::Record`]: id, `new`,
//! echoed properties, `createdAt`, `updatedAt`, `url`, and at 2026-03 `warnings`), and for a
//! failure HubSpot explained, its `StandardError` or `Error` as a [`HubSpotError`]. A field the
//! spec adds to these types reaches users by regenerating. `V` defaults to HubSpot's current
//! version, so `RecordOutcome` alone is a 2026-09 outcome.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::api_version::{ApiVersion, Current};
use crate::failure_cause::FailureCause;

/// The single, final outcome of one input of a bulk run.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordOutcome<V: ApiVersion = Current> {
    /// The input's position in the input stream, counting from 0.
    pub position: u64,
    /// The input's id value, as given.
    pub id: String,
    /// The input's id property, as given.
    pub id_property: Option<String>,
    /// The `objectWriteTraceId` sent with the input (the user's, or the one the client made).
    pub trace_id: String,
    /// What happened.
    pub kind: OutcomeKind<V>,
    /// What the pre-send check against a [`PropertySchema`](crate::property_schema::PropertySchema) changed in
    /// the input's values before sending them (an option's label replaced by its value,
    /// whitespace trimmed); empty without a schema.
    pub normalized: Vec<crate::normalization::Normalization>,
}

/// What happened to one input.
#[derive(Clone, Debug, PartialEq)]
pub enum OutcomeKind<V: ApiVersion = Current> {
    /// HubSpot created a new record.
    Created {
        /// HubSpot's id of the record (`record.id`).
        record_id: String,
        /// HubSpot's result for the input, as the generated type.
        record: Box<V::Record>,
    },
    /// HubSpot updated an existing record. After a retried timeout whose first attempt had
    /// in fact been applied, a record created by this run can be reported as updated.
    Updated {
        /// HubSpot's id of the record (`record.id`).
        record_id: String,
        /// HubSpot's result for the input, as the generated type.
        record: Box<V::Record>,
    },
    /// The input was not applied: HubSpot refused it, the request failed, or the client
    /// refused it before sending ([`FailureCause::PropertyCheck`], which cost no request).
    Failed {
        /// Why: HubSpot's category, or the client's own cause.
        cause: FailureCause,
        /// HubSpot's or the client's explanation.
        message: String,
        /// HubSpot's `correlationId` for the request, when known.
        correlation_id: Option<String>,
        /// Whether the input was sent more than once.
        retried: bool,
        /// HubSpot's error, whole, when its response carried one for this input or for the
        /// request: category, `subCategory`, `context`, the `errors` details.
        error: Option<Box<HubSpotError<V>>>,
    },
    /// Not sent: a sync state ([`crate::sync_state`]) says HubSpot accepted these very values
    /// for this record before, and a later run saw no change.
    Unchanged {
        /// HubSpot's id of the record, as the state recorded it.
        record_id: String,
    },
    /// The input was never sent.
    NotAttempted {
        /// Why not.
        reason: NotAttemptedReason,
    },
}

impl<V: ApiVersion> OutcomeKind<V> {
    /// HubSpot's record id for created, updated and unchanged records.
    pub fn record_id(&self) -> Option<&str> {
        match self {
            OutcomeKind::Created { record_id, .. }
            | OutcomeKind::Updated { record_id, .. }
            | OutcomeKind::Unchanged { record_id } => Some(record_id),
            _ => None,
        }
    }

    /// HubSpot's result for created and updated records.
    pub fn record(&self) -> Option<&V::Record> {
        match self {
            OutcomeKind::Created { record, .. } | OutcomeKind::Updated { record, .. } => {
                Some(record)
            }
            _ => None,
        }
    }

    /// Why the input failed, for [`OutcomeKind::Failed`].
    pub fn failure_cause(&self) -> Option<&FailureCause> {
        match self {
            OutcomeKind::Failed { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// HubSpot's error for a failed input, when HubSpot sent one.
    pub fn hubspot_error(&self) -> Option<&HubSpotError<V>> {
        match self {
            OutcomeKind::Failed { error, .. } => error.as_deref(),
            _ => None,
        }
    }

    /// True for [`OutcomeKind::Created`], [`OutcomeKind::Updated`] and
    /// [`OutcomeKind::Unchanged`]: HubSpot holds the input's values.
    pub fn is_success(&self) -> bool {
        self.record_id().is_some()
    }
}

/// An error HubSpot sent, as the generated type of the run's API version it was decoded into.
#[derive(Clone, Debug, PartialEq)]
pub enum HubSpotError<V: ApiVersion = Current> {
    /// A per-input error (in a 2026-03 207, or a 2026-09 200): the generated `StandardError`.
    Input(V::InputError),
    /// The error body of a request refused as a whole: the generated `Error`.
    Request(V::RequestError),
}

impl<V: ApiVersion> HubSpotError<V> {
    fn fields(&self) -> crate::api_version::ErrorFields<'_, V::ErrorDetail> {
        match self {
            HubSpotError::Input(e) => V::input_error_fields(e),
            HubSpotError::Request(e) => V::request_error_fields(e),
        }
    }

    /// HubSpot's category, such as `VALIDATION_ERROR`.
    pub fn category(&self) -> Option<&str> {
        self.fields().category
    }

    /// HubSpot's message.
    pub fn message(&self) -> Option<&str> {
        self.fields().message
    }

    /// HubSpot's `subCategory` (a string in practice, typed loosely by the spec).
    pub fn sub_category(&self) -> Option<&serde_json::Value> {
        self.fields().sub_category
    }

    /// HubSpot's `context`: names of what was wrong (`propertyName`, `ids`, ...) to values.
    pub fn context(&self) -> &hubspot_crm_api::OrderedMap<String, Vec<String>> {
        self.fields().context
    }

    /// HubSpot's `errors`: one detail per problem found.
    pub fn details(&self) -> &[V::ErrorDetail] {
        self.fields().details
    }

    /// The `code` of each detail that has one (such as `INVALID_EMAIL`), in order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.details().iter().filter_map(|d| V::detail_code(d))
    }
}

/// Why an input was never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAttemptedReason {
    /// The run was cancelled through its [`CancelHandle`](crate::CancelHandle).
    Cancelled,
    /// HubSpot reported the account's daily quota spent (`429`, `policyName: DAILY`).
    DailyLimitReached,
    /// A failure that every further request would repeat (credentials refused, object type
    /// unknown) stopped the run.
    RunAborted {
        /// The failure that stopped the run.
        cause: String,
    },
}

impl fmt::Display for NotAttemptedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAttemptedReason::Cancelled => f.write_str("the run was cancelled"),
            NotAttemptedReason::DailyLimitReached => {
                f.write_str("the account's daily API request limit was reached")
            }
            NotAttemptedReason::RunAborted { cause } => write!(f, "the run stopped: {cause}"),
        }
    }
}

/// A live view of a bulk run, published on a `tokio::sync::watch` channel
/// ([`BulkRun::progress`](crate::BulkRun::progress)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Inputs read from the input stream so far.
    pub read: u64,
    /// Inputs with a final outcome.
    pub done: u64,
    /// Inputs inside requests being sent, waiting to be retried, or waiting for their slot.
    pub in_flight: u64,
    /// Inputs reported created.
    pub created: u64,
    /// Inputs reported updated.
    pub updated: u64,
    /// Inputs reported failed.
    pub failed: u64,
    /// Inputs reported not attempted.
    pub not_attempted: u64,
    /// Inputs not sent because the sync state holds their values already.
    pub unchanged: u64,
    /// Records the sync state holds that this input did not (set once the whole input was
    /// read; 0 without a state).
    pub not_in_input: u64,
    /// HTTP requests sent (every attempt counts).
    pub requests: u64,
    /// Requests that were retries of an earlier attempt.
    pub retries: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// Requests currently waiting for the pacer.
    pub waiting_on_pacer: u64,
    /// Wall time during which at least one request of this run was held by the pacer (up to
    /// the last time a request entered or left it). Not a sum over requests: eight requests
    /// held together for a second count one second.
    pub pacer_wait: Duration,
    /// When `pacer_wait` was last brought up to date.
    pacer_mark: Option<Instant>,
    /// Time since the run started; set when it finishes.
    pub elapsed: Duration,
    /// Whether the run has finished.
    pub finished: bool,
}

impl Progress {
    /// A request starts waiting for the pacer at `now`.
    pub(crate) fn pacer_hold_begins(&mut self, now: Instant) {
        self.accrue_pacer_wait(now);
        self.waiting_on_pacer += 1;
    }

    /// A request that was waiting for the pacer got its slot at `now`.
    pub(crate) fn pacer_hold_ends(&mut self, now: Instant) {
        self.accrue_pacer_wait(now);
        self.waiting_on_pacer = self.waiting_on_pacer.saturating_sub(1);
    }

    /// Adds the time since the last change to `pacer_wait` if a request was held meanwhile.
    fn accrue_pacer_wait(&mut self, now: Instant) {
        if self.waiting_on_pacer > 0
            && let Some(mark) = self.pacer_mark
        {
            self.pacer_wait += now.saturating_duration_since(mark);
        }
        self.pacer_mark = Some(self.pacer_mark.map_or(now, |m| m.max(now)));
    }
}

/// The totals of a bulk run. Final once the run's stream has ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs read.
    pub inputs: u64,
    /// Inputs created.
    pub created: u64,
    /// Inputs updated.
    pub updated: u64,
    /// Inputs failed.
    pub failed: u64,
    /// Inputs not attempted.
    pub not_attempted: u64,
    /// Inputs not sent because the sync state holds their values already.
    pub unchanged: u64,
    /// Records the sync state holds that this input did not (0 without a state, or when the
    /// run stopped before reading the whole input).
    pub not_in_input: u64,
    /// HTTP requests sent, retries and bisection halves included.
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// Wall time during which at least one request was held by the pacer (not a sum over
    /// requests).
    pub pacer_wait: Duration,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl From<&Progress> for Summary {
    fn from(p: &Progress) -> Self {
        Summary {
            inputs: p.read,
            created: p.created,
            updated: p.updated,
            failed: p.failed,
            not_attempted: p.not_attempted,
            unchanged: p.unchanged,
            not_in_input: p.not_in_input,
            requests: p.requests,
            retries: p.retries,
            rate_limited: p.rate_limited,
            pacer_wait: p.pacer_wait,
            elapsed: p.elapsed,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inputs: {} created, {} updated, {} failed, {} not attempted",
            self.inputs, self.created, self.updated, self.failed, self.not_attempted,
        )?;
        if self.unchanged > 0 {
            write!(f, ", {} unchanged", self.unchanged)?;
        }
        if self.not_in_input > 0 {
            write!(f, "; {} in the state, not in this input", self.not_in_input)?;
        }
        write!(
            f,
            "; {} requests ({} retries, {} rate-limited), {:.1?} waiting on the pacer, {:.1?} elapsed",
            self.requests, self.retries, self.rate_limited, self.pacer_wait, self.elapsed
        )
    }
}
