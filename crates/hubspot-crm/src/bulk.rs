//! [`BulkRun`]: the handle of a running bulk upsert: a stream of outcomes, a progress channel,
//! a cancel handle and the summary.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::BoxStream;
use tokio::sync::{mpsc, watch};

use crate::api_version::{ApiVersion, Current};
use crate::client_state::ClientState;
use crate::engine;
use crate::input::UpsertInput;
use crate::object_type::ObjectType;
use crate::outcome::{Progress, RecordOutcome, Summary};
use crate::property_schema::PropertySchema;

/// A running bulk upsert, started by [`Client::bulk_upsert`](crate::Client::bulk_upsert).
///
/// It is a [`Stream`] of [`RecordOutcome`]s, one per input, in the order they complete (use
/// [`RecordOutcome::position`] to relate them to the inputs), carrying the generated types of the
/// client's API version `V`. The run does its work in a
/// background task and stops reading inputs when outcomes are not consumed, so memory stays
/// bounded by the concurrency; dropping the `BulkRun` stops the run.
///
/// ```no_run
/// use futures::StreamExt;
/// use hubspot_crm::{AccessToken, Client, ObjectType, UpsertInput};
/// # async fn demo() -> Result<(), hubspot_crm::Error> {
/// let client = Client::builder().token(AccessToken::new("pat-...")).build()?;
/// let inputs = (0..1000).map(|i| {
///     UpsertInput::new(format!("user{i}@example.com")).id_property("email").property("n", i)
/// });
/// let mut run = client.bulk_upsert_iter(ObjectType::contacts(), inputs.collect::<Vec<_>>());
/// let cancel = run.cancel_handle();
/// while let Some(outcome) = run.next().await {
///     if !outcome.kind.is_success() {
///         eprintln!("input {} ({}): {:?}", outcome.position, outcome.id, outcome.kind);
///     }
/// }
/// # let _ = cancel;
/// println!("{}", run.summary());
/// # Ok(()) }
/// ```
pub struct BulkRun<V: ApiVersion = Current> {
    /// Outcomes arrive from the engine one message per request (at most 100 each).
    outcomes: mpsc::Receiver<Vec<RecordOutcome<V>>>,
    /// The rest of the message being handed out.
    buffered: std::vec::IntoIter<RecordOutcome<V>>,
    progress: watch::Receiver<Progress>,
    cancel: CancelHandle,
    task: tokio::task::JoinHandle<()>,
}

impl<V: ApiVersion> BulkRun<V> {
    pub(crate) fn start(
        shared: Arc<ClientState>,
        object_type: ObjectType,
        inputs: BoxStream<'static, UpsertInput>,
        schema: Option<Arc<PropertySchema>>,
        sync: Option<crate::sync_state::SyncRun>,
    ) -> BulkRun<V> {
        // `concurrency` messages of at most `INPUTS_PER_REQUEST` outcomes each.
        let capacity = shared.concurrency.max(1);
        let (outcome_tx, outcomes) = mpsc::channel(capacity);
        let (progress_tx, progress) = watch::channel(Progress::default());
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let task = tokio::spawn(engine::run::<V>(
            shared,
            object_type,
            inputs,
            outcome_tx,
            Arc::new(progress_tx),
            cancel_rx,
            schema,
            sync,
        ));
        BulkRun {
            outcomes,
            buffered: Vec::new().into_iter(),
            progress,
            cancel: CancelHandle(Arc::new(cancel_tx)),
            task,
        }
    }

    /// A receiver of live [`Progress`]; a progress bar can `changed().await` on it.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// A handle that cancels the run from anywhere.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// The totals so far; final once the stream has returned `None`.
    pub fn summary(&self) -> Summary {
        Summary::from(&*self.progress.borrow())
    }

    /// Drives the run to its end, collecting every outcome (sorted by position).
    pub async fn collect_all(mut self) -> (Vec<RecordOutcome<V>>, Summary) {
        use futures::StreamExt;
        let mut all = Vec::new();
        while let Some(outcome) = self.next().await {
            all.push(outcome);
        }
        all.sort_by_key(|o| o.position);
        (all, self.summary())
    }
}

impl<V: ApiVersion> Stream for BulkRun<V> {
    type Item = RecordOutcome<V>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RecordOutcome<V>>> {
        loop {
            if let Some(outcome) = self.buffered.next() {
                return Poll::Ready(Some(outcome));
            }
            match self.outcomes.poll_recv(cx) {
                Poll::Ready(Some(batch)) => self.buffered = batch.into_iter(),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.buffered.len(), None)
    }
}

impl<V: ApiVersion> Drop for BulkRun<V> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<V: ApiVersion> std::fmt::Debug for BulkRun<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkRun")
            .field("progress", &*self.progress.borrow())
            .finish_non_exhaustive()
    }
}

/// Cancels a [`BulkRun`]: it stops reading inputs and sending requests; requests already sent
/// finish, and every input not yet sent ends [`NotAttempted`](crate::OutcomeKind::NotAttempted)
/// with reason [`Cancelled`](crate::NotAttemptedReason::Cancelled).
#[derive(Clone, Debug)]
pub struct CancelHandle(Arc<watch::Sender<bool>>);

impl CancelHandle {
    /// Requests cancellation. Calling it again does nothing.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }
}
