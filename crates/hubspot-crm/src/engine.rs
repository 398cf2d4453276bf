//! The coordinator of a bulk run: reads inputs, forms batches (through the
//! [`Scheduler`]), keeps at most `concurrency` requests in flight, and turns every input into
//! exactly one [`RecordOutcome`].
//!
//! Memory: at most `(concurrency + 1) × 100` inputs wait to be sent, at most
//! `concurrency × 100` are in flight, and the outcome channel holds at most `concurrency`
//! messages of at most 100 outcomes each (outcomes travel one message per request, not one
//! per record, so a channel send and a wake-up are paid once per request); when the consumer
//! stops reading outcomes, the coordinator stops reading inputs. Nothing grows with the size
//! of the input.
//!
//! Batch forming: a full batch of 100 goes out as soon as a request slot is free. A partial
//! batch goes out when the input has ended, when the waiting queue is full (duplicates held
//! back can keep batches small), or when the input stream has had nothing new for
//! [`LINGER`], so a slow producer does not cost one request per record.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::api_version::ApiVersion;
use crate::client_state::ClientState;
use crate::failure_cause::FailureCause;
use crate::input::UpsertInput;
use crate::object_type::ObjectType;
use crate::outcome::{NotAttemptedReason, OutcomeKind, Progress, RecordOutcome};
use crate::plan::INPUTS_PER_REQUEST;
use crate::property_schema::{PropertySchema, precheck};
use crate::request::{Batch, BatchReport, send_batch};
use crate::scheduler::{Item, Scheduler};
use crate::sync_state::{Decision, SyncRun};
use crate::verdict::Stop;

/// How long a partial batch waits for more input from a stream that has nothing ready.
pub(crate) const LINGER: Duration = Duration::from_millis(50);

type Progressor = Arc<watch::Sender<Progress>>;

/// Runs a bulk upsert to its end.
// One call site (`BulkRun::start`), which names every argument.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<V: ApiVersion>(
    shared: Arc<ClientState>,
    object_type: ObjectType,
    inputs: BoxStream<'static, UpsertInput>,
    outcomes: mpsc::Sender<Vec<RecordOutcome<V>>>,
    progress: Progressor,
    cancel: watch::Receiver<bool>,
    schema: Option<Arc<PropertySchema>>,
    sync: Option<SyncRun>,
) {
    let span = tracing::info_span!("bulk_upsert", object_type = %object_type, concurrency = shared.concurrency);
    Coordinator {
        capacity: (shared.concurrency + 1) * INPUTS_PER_REQUEST,
        shared,
        object_type,
        emitter: Emitter { outcomes, progress },
        scheduler: Scheduler::default(),
        splits: VecDeque::new(),
        tasks: JoinSet::new(),
        in_task: HashMap::new(),
        stop: None,
        uncounted_reads: 0,
        run_tag: format!("{:08x}", fastrand::u32(..)),
        schema,
        refused: Vec::new(),
        sync,
        sync_failure: None,
        read_unchanged: false,
    }
    .run(inputs, cancel)
    .instrument(span)
    .await;
}

struct Emitter<V: ApiVersion> {
    outcomes: mpsc::Sender<Vec<RecordOutcome<V>>>,
    progress: Progressor,
}

impl<V: ApiVersion> Emitter<V> {
    /// Sends final outcomes, at most [`INPUTS_PER_REQUEST`] per message, and counts them in the
    /// progress once per message; false when nobody listens any more.
    async fn emit(&self, done: Vec<(Item, OutcomeKind<V>)>, was_in_flight: bool) -> bool {
        let mut done = done.into_iter().peekable();
        while done.peek().is_some() {
            let outcomes: Vec<RecordOutcome<V>> = done
                .by_ref()
                .take(INPUTS_PER_REQUEST)
                .map(|(item, kind)| {
                    let input = item.input();
                    RecordOutcome {
                        position: item.position,
                        id: input.id().to_owned(),
                        id_property: input.as_api().id_property.clone(),
                        trace_id: item.trace_id().to_owned(),
                        kind,
                        normalized: input.normalized().to_vec(),
                    }
                })
                .collect();
            self.progress.send_modify(|p| {
                let n = outcomes.len() as u64;
                p.done += n;
                if was_in_flight {
                    p.in_flight = p.in_flight.saturating_sub(n);
                }
                for outcome in &outcomes {
                    match &outcome.kind {
                        OutcomeKind::Created { .. } => p.created += 1,
                        OutcomeKind::Updated { .. } => p.updated += 1,
                        OutcomeKind::Failed { .. } => p.failed += 1,
                        OutcomeKind::NotAttempted { .. } => p.not_attempted += 1,
                        OutcomeKind::Unchanged { .. } => p.unchanged += 1,
                    }
                }
            });
            if self.outcomes.send(outcomes).await.is_err() {
                return false;
            }
        }
        true
    }
}

struct Coordinator<V: ApiVersion> {
    shared: Arc<ClientState>,
    object_type: ObjectType,
    emitter: Emitter<V>,
    scheduler: Scheduler,
    /// Halves of bisected requests, sent before new batches.
    splits: VecDeque<Batch>,
    tasks: JoinSet<BatchReport<V>>,
    /// Copies of each running task's inputs (sharing the inputs themselves), so a panicking
    /// task still yields outcomes.
    in_task: HashMap<tokio::task::Id, Vec<Item>>,
    /// Inputs read and not yet counted in the progress (counted once per read burst).
    uncounted_reads: u64,
    capacity: usize,
    stop: Option<NotAttemptedReason>,
    run_tag: String,
    /// The property definitions inputs are checked against before batching, if any.
    schema: Option<Arc<PropertySchema>>,
    /// Inputs ended before batching (refused by that check, or unchanged since the sync
    /// state's entry), waiting to be reported.
    refused: Vec<(Item, OutcomeKind<V>)>,
    /// The sync state, when the run has one: inputs it holds unchanged are not sent, and
    /// what HubSpot accepts is written to it.
    sync: Option<SyncRun>,
    /// A failure of the sync state, which stops the run.
    sync_failure: Option<String>,
    /// Whether an input read since the last look ended unchanged: the input stream is busy,
    /// so a partial batch waits for the changed inputs behind it instead of going out small.
    read_unchanged: bool,
}

enum Flow {
    Continue,
    ConsumerGone,
}

impl<V: ApiVersion> Coordinator<V> {
    async fn run(
        mut self,
        mut inputs: BoxStream<'static, UpsertInput>,
        mut cancel: watch::Receiver<bool>,
    ) {
        let started = Instant::now();
        let mut position: u64 = 0;
        let mut input_done = false;
        let mut cancel_open = true;
        let mut linger: Option<Instant> = None;

        loop {
            // Read whatever the input stream has ready, up to the waiting capacity.
            while !input_done
                && self.stop.is_none()
                && self.scheduler.waiting() < self.capacity
                && self.refused.len() < INPUTS_PER_REQUEST
            {
                match inputs.next().now_or_never() {
                    Some(Some(input)) => {
                        self.accept(input, &mut position);
                    }
                    Some(None) => input_done = true,
                    None => break,
                }
            }
            self.count_reads(0);
            if std::mem::take(&mut self.read_unchanged)
                && let Some(at) = linger.as_mut()
            {
                *at = Instant::now() + LINGER;
            }
            if !self.refused.is_empty() {
                let refused = std::mem::take(&mut self.refused);
                if !self.emitter.emit(refused, false).await {
                    return;
                }
            }
            if let Some(cause) = self.sync_failure.take()
                && let Flow::ConsumerGone =
                    self.halt(NotAttemptedReason::RunAborted { cause }).await
            {
                return;
            }

            // Start requests while there are free slots.
            while self.tasks.len() < self.shared.concurrency && self.stop.is_none() {
                if let Some(unit) = self.splits.pop_front() {
                    self.spawn(unit);
                    continue;
                }
                let plan = self.scheduler.plan();
                let ready = plan.len();
                if ready == 0 {
                    break;
                }
                let lingered = linger.is_some_and(|at| Instant::now() >= at);
                if ready == INPUTS_PER_REQUEST
                    || input_done
                    || self.scheduler.waiting() >= self.capacity
                    || lingered
                {
                    let batch = self.scheduler.take(plan);
                    self.emitter
                        .progress
                        .send_modify(|p| p.in_flight += batch.len() as u64);
                    self.spawn(Batch { items: batch });
                    linger = None;
                } else {
                    linger.get_or_insert_with(|| Instant::now() + LINGER);
                    break;
                }
            }

            if self.tasks.is_empty() && self.splits.is_empty() {
                if self.stop.is_some() {
                    break;
                }
                if input_done && self.scheduler.waiting() == 0 {
                    break;
                }
            }

            let can_read =
                !input_done && self.stop.is_none() && self.scheduler.waiting() < self.capacity;
            let flow = tokio::select! {
                biased;
                changed = cancel.changed(), if cancel_open => {
                    if changed.is_err() {
                        cancel_open = false;
                        Flow::Continue
                    } else if *cancel.borrow_and_update() {
                        cancel_open = false;
                        tracing::info!("bulk run cancelled");
                        self.halt(NotAttemptedReason::Cancelled).await
                    } else {
                        Flow::Continue
                    }
                }
                Some(joined) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.finish_task(joined).await
                }
                next = inputs.next(), if can_read => {
                    match next {
                        Some(input) => self.accept(input, &mut position),
                        None => input_done = true,
                    }
                    Flow::Continue
                }
                _ = sleep_until_opt(linger), if linger.is_some() => Flow::Continue,
            };
            if let Flow::ConsumerGone = flow {
                return;
            }
        }

        // Stopped early: every input still unread ends not attempted, reported in messages of
        // what the input has ready (up to a batch), so a slow input is not held back.
        if let Some(reason) = self.stop.clone() {
            let mut ended = false;
            while !ended {
                let mut chunk = Vec::new();
                let first = inputs.next().await;
                let mut next = first;
                loop {
                    match next {
                        Some(input) => {
                            let item = self.make_item(input, &mut position);
                            let kind = OutcomeKind::NotAttempted {
                                reason: reason.clone(),
                            };
                            chunk.push((item, kind));
                        }
                        None => {
                            ended = true;
                            break;
                        }
                    }
                    if chunk.len() == INPUTS_PER_REQUEST {
                        break;
                    }
                    match inputs.next().now_or_never() {
                        Some(n) => next = n,
                        None => break,
                    }
                }
                self.count_reads(chunk.len() as u64);
                if !self.emitter.emit(chunk, false).await {
                    return;
                }
            }
        }
        // The whole input was read and answered: count the state's records it did not hold.
        if self.stop.is_none()
            && let Some(sync) = self.sync.as_mut()
        {
            match sync.close_input() {
                Ok(gone) => self.emitter.progress.send_modify(|p| p.not_in_input = gone),
                Err(e) => {
                    tracing::error!(error = %e, "could not count the records not in this input")
                }
            }
        }
        let elapsed = started.elapsed();
        self.emitter.progress.send_modify(|p| {
            p.finished = true;
            p.elapsed = elapsed;
        });
        tracing::info!(summary = %crate::Summary::from(&*self.emitter.progress.borrow()), "bulk run finished");
    }

    fn make_item(&self, mut input: UpsertInput, position: &mut u64) -> Item {
        let pos = *position;
        *position += 1;
        input.set_trace_id_if_missing(|| generated_trace_id(&self.run_tag, pos));
        Item::new(pos, input)
    }

    fn accept(&mut self, mut input: UpsertInput, position: &mut u64) {
        // Checked before batching: a refused input ends here and costs no request.
        let refusal = precheck(&mut input, self.schema.as_deref()).err();
        let item = self.make_item(input, position);
        self.uncounted_reads += 1;
        match refusal {
            None => match self.sync_decision(&item) {
                Decision::Send => self.scheduler.push(item),
                Decision::Unchanged { record_id } => {
                    self.read_unchanged = true;
                    self.refused
                        .push((item, OutcomeKind::Unchanged { record_id }));
                }
            },
            Some(refusal) => {
                let kind = OutcomeKind::Failed {
                    cause: FailureCause::PropertyCheck,
                    message: refusal.to_string(),
                    correlation_id: None,
                    retried: false,
                    error: None,
                };
                self.refused.push((item, kind));
            }
        }
    }

    /// What the sync state says of an input that passed the checks; without a state, or when
    /// it fails (the run then stops, and the input is sent), send it.
    fn sync_decision(&mut self, item: &Item) -> Decision {
        let Some(sync) = self.sync.as_mut() else {
            return Decision::Send;
        };
        if self.sync_failure.is_some() {
            return Decision::Send;
        }
        sync.consider(item.position, item.input())
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "sync state lookup failed; stopping the run");
                self.sync_failure = Some(e.to_string());
                Decision::Send
            })
    }

    /// Counts the inputs read since the last call in the progress, with one notification.
    fn count_reads(&mut self, extra: u64) {
        let n = std::mem::take(&mut self.uncounted_reads) + extra;
        if n > 0 {
            self.emitter.progress.send_modify(|p| p.read += n);
        }
    }

    fn spawn(&mut self, unit: Batch) {
        let copies = unit.items.clone();
        let handle = self.tasks.spawn(send_batch(
            self.shared.clone(),
            self.object_type.clone(),
            unit,
            self.emitter.progress.clone(),
        ));
        self.in_task.insert(handle.id(), copies);
    }

    async fn finish_task(
        &mut self,
        joined: Result<(tokio::task::Id, BatchReport<V>), tokio::task::JoinError>,
    ) -> Flow {
        let report = match joined {
            Ok((id, report)) => {
                self.in_task.remove(&id);
                report
            }
            Err(e) => {
                let items = self.in_task.remove(&e.id()).unwrap_or_default();
                tracing::error!(error = %e, "request task ended abnormally");
                let mut report = BatchReport::default();
                for item in items {
                    let kind = OutcomeKind::Failed {
                        cause: FailureCause::Internal,
                        message: format!("the request task ended abnormally: {e}"),
                        correlation_id: None,
                        retried: item.sends > 1,
                        error: None,
                    };
                    report.done.push((item, kind));
                }
                report
            }
        };
        for (item, _) in &report.done {
            self.scheduler.release(item);
        }
        // The state learns what HubSpot accepted before anyone hears of it.
        let saved = match self.sync.as_mut() {
            Some(sync) => sync.settle(report.done.iter().map(|(item, kind)| (item.position, kind))),
            None => Ok(()),
        };
        if !self.emitter.emit(report.done, true).await {
            return Flow::ConsumerGone;
        }
        if let Err(e) = saved {
            tracing::error!(error = %e, "sync state write failed; stopping the run");
            return self
                .halt(NotAttemptedReason::RunAborted {
                    cause: format!("the sync state could not be written: {e}"),
                })
                .await;
        }
        for unit in report.split.into_iter().rev() {
            self.splits.push_front(unit);
        }
        match report.stop {
            Some(Stop::DailyLimit) => self.halt(NotAttemptedReason::DailyLimitReached).await,
            Some(Stop::Fatal(cause)) => self.halt(NotAttemptedReason::RunAborted { cause }).await,
            None => Flow::Continue,
        }
    }

    /// Stops sending: inputs waiting or queued for a re-send end now; requests in flight finish.
    async fn halt(&mut self, reason: NotAttemptedReason) -> Flow {
        if self.stop.is_some() {
            return Flow::Continue;
        }
        tracing::warn!(%reason, "bulk run stopping");
        self.stop = Some(reason.clone());
        let waiting: Vec<(Item, OutcomeKind<V>)> = self
            .scheduler
            .drain_waiting()
            .into_iter()
            .map(|item| {
                let kind = OutcomeKind::NotAttempted {
                    reason: reason.clone(),
                };
                (item, kind)
            })
            .collect();
        if !self.emitter.emit(waiting, false).await {
            return Flow::ConsumerGone;
        }
        let splits: Vec<Batch> = self.splits.drain(..).collect();
        let mut stopped = Vec::new();
        for item in splits.into_iter().flat_map(|u| u.items) {
            self.scheduler.release(&item);
            let kind = OutcomeKind::Failed {
                cause: FailureCause::RunStopped,
                message: format!(
                    "HubSpot rejected its request as a whole, and {reason} before it could be isolated"
                ),
                correlation_id: None,
                retried: item.sends > 1,
                error: None,
            };
            stopped.push((item, kind));
        }
        if !self.emitter.emit(stopped, true).await {
            return Flow::ConsumerGone;
        }
        Flow::Continue
    }
}

/// The trace id the client gives an input without one: `hsc-<run tag>-<position>`.
fn generated_trace_id(tag: &str, position: u64) -> String {
    format!("hsc-{tag}-{position}")
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => futures::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::generated_trace_id;

    #[test]
    fn generated_trace_ids_name_the_run_and_the_position() {
        assert_eq!(generated_trace_id("0badcafe", 0), "hsc-0badcafe-0");
        assert_eq!(
            generated_trace_id("0badcafe", u64::MAX),
            "hsc-0badcafe-18446744073709551615"
        );
    }
}
