//! One batch of a bulk run, from its first attempt to every input's outcome: the loop that
//! takes a token and a pacer slot, sends, has the reply judged ([`crate::verdict`]) and acts on
//! the verdict: ends inputs, pauses the pacer after a 429, asks the retry policy
//! ([`crate::retry`]) and the retry budget for another attempt, refreshes the token after a
//! 401, or splits the batch.
//!
//! # Bisection
//! When HubSpot rejects a whole request of several inputs with a 400 (one bad record without a
//! usable trace id, a duplicate HubSpot saw and we did not), the request is split in two halves
//! that are sent again separately. Halves that succeed are done; halves that fail split again,
//! until the bad inputs fail alone. One bad record in 100 costs about 2 × log2(100) ≈ 14 extra
//! requests and the other 99 succeed. A 400 on a single input is that input's failure.
//! A 409 `CONFLICT` (an input would give its record a unique value another record holds, such
//! as an `email` upserted by a custom unique property) is split the same way; on a single
//! input it is final, with HubSpot's category and message, and never retried.
//!
//! A 400 whose cause every input shares is not split: HubSpot's "Unable to perform
//! update/upsert by non-unique ... property ..." (the `idProperty` is not a unique property),
//! when every input of the request names that same `idProperty`, fails them all at once, at
//! the cost of that one request.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;
use tracing::Instrument;

use crate::api_version::{ApiVersion, WireInput};
use crate::client_state::ClientState;
use crate::failure_cause::FailureCause;
use crate::object_type::ObjectType;
use crate::outcome::{OutcomeKind, Progress};
use crate::retry::{GiveUpReason, RetryDecision};
use crate::scheduler::Item;
use crate::verdict::{Action, Diagnosis, Refusal, Stop, Verdict, judge};

/// Inputs sent together in one request.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) items: Vec<Item>,
}

/// What sending one batch produced.
#[derive(Debug)]
pub(crate) struct BatchReport<V: ApiVersion> {
    /// Inputs with their final outcome.
    pub(crate) done: Vec<(Item, OutcomeKind<V>)>,
    /// Halves of a split batch, to be sent on their own.
    pub(crate) split: Vec<Batch>,
    /// Set when every further request would fail the same way.
    pub(crate) stop: Option<Stop>,
}

impl<V: ApiVersion> Default for BatchReport<V> {
    fn default() -> Self {
        BatchReport {
            done: Vec::new(),
            split: Vec::new(),
            stop: None,
        }
    }
}

impl<V: ApiVersion> BatchReport<V> {
    /// Ends every one of `items` with `diagnosis`, and the run with `stop` when given.
    fn end(mut self, items: Vec<Item>, diagnosis: &Diagnosis<V>, stop: Option<Stop>) -> Self {
        self.done.reserve(items.len());
        for item in items {
            let kind = diagnosis.outcome(&item);
            self.done.push((item, kind));
        }
        self.stop = stop;
        self
    }
}

/// Sends `batch` until every input has an outcome.
pub(crate) async fn send_batch<V: ApiVersion>(
    client: Arc<ClientState>,
    object_type: ObjectType,
    batch: Batch,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> BatchReport<V> {
    let span =
        tracing::info_span!("request", object_type = %object_type, inputs = batch.items.len());
    attempts(client, object_type, batch, progress)
        .instrument(span)
        .await
}

async fn attempts<V: ApiVersion>(
    client: Arc<ClientState>,
    object_type: ObjectType,
    batch: Batch,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> BatchReport<V> {
    let mut report = BatchReport::default();
    let mut items = batch.items;
    let mut attempt: u32 = 0;
    let mut refreshed = false;
    // The retry cost paid for the attempt in flight, given back when it succeeds.
    let mut paid: Option<u32> = None;
    let mut token = match client.tokens.token().await {
        Ok(t) => t,
        Err(e) => {
            return report.end(
                items,
                &auth_failure(e.to_string()),
                Some(Stop::Fatal(e.to_string())),
            );
        }
    };

    loop {
        attempt += 1;
        for item in &mut items {
            item.sends += 1;
        }
        // The generated input type of every item: a copy, since a retry sends them again.
        let inputs: Vec<WireInput> = items.iter().map(|item| item.input().to_api()).collect();
        let authorization = match token.header_value() {
            Ok(v) => v,
            Err(e) => {
                return report.end(
                    items,
                    &auth_failure(e.to_string()),
                    Some(Stop::Fatal(e.to_string())),
                );
            }
        };

        progress.send_modify(|p| p.pacer_hold_begins(Instant::now()));
        let grant = client.pacer.acquire().await;
        progress.send_modify(|p| {
            p.pacer_hold_ends(grant.at);
            p.requests += 1;
            if attempt > 1 {
                p.retries += 1;
            }
        });

        let attempt_span = tracing::debug_span!("attempt", attempt, inputs = items.len());
        let reply = client
            .wire
            .send::<V>(&object_type, inputs, authorization)
            .instrument(attempt_span)
            .await;
        if let Some((status, headers)) = reply.head() {
            tracing::debug!(status, "response");
            client.pacer.observe(headers, grant.at);
        }

        let refusal = match judge(reply, &items, SystemTime::now()) {
            Verdict::Answered { outcomes, unnamed } => {
                client.budget.on_success(paid.take());
                let mut left = Vec::new();
                report.done.reserve(items.len());
                for (item, outcome) in items.into_iter().zip(outcomes) {
                    match outcome {
                        Some(kind) => report.done.push((item, kind)),
                        None => left.push(item),
                    }
                }
                let Some(unnamed) = unnamed else {
                    return report;
                };
                tracing::warn!(
                    count = left.len(),
                    "response did not account for some inputs"
                );
                items = left;
                unnamed
            }
            Verdict::Refused(refusal) => refusal,
        };

        let Refusal {
            diagnosis,
            action,
            rate_limited,
            pause,
        } = refusal;
        if rate_limited {
            progress.send_modify(|p| p.rate_limited += 1);
        }
        if let Some(pause) = pause {
            client.pacer.pause(pause);
        }
        match action {
            Action::Fail => return report.end(items, &diagnosis, None),
            Action::FailAndStop(stop) => return report.end(items, &diagnosis, Some(stop)),
            Action::Split => {
                tracing::info!(inputs = items.len(), cause = %diagnosis.cause, "whole request rejected; splitting it");
                let second = items.split_off(items.len() / 2);
                report.split.push(Batch { items });
                report.split.push(Batch { items: second });
                return report;
            }
            Action::Reauthenticate => {
                if !refreshed {
                    refreshed = true;
                    match client.tokens.refresh(&token).await {
                        Ok(Some(fresh)) => {
                            tracing::info!("access token refreshed after 401");
                            token = fresh;
                            // The refused attempt does not count against the retry policy.
                            attempt -= 1;
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            let why = format!("token refresh failed: {e}");
                            let failure = Diagnosis {
                                correlation_id: diagnosis.correlation_id,
                                ..auth_failure(why.clone())
                            };
                            return report.end(items, &failure, Some(Stop::Fatal(why)));
                        }
                    }
                }
                let why = format!(
                    "HubSpot refused the access token (HTTP 401): {}",
                    diagnosis.message
                );
                return report.end(items, &diagnosis, Some(Stop::Fatal(why)));
            }
            Action::Retry(fault) => {
                let decision = match client.retry.decide(attempt, &fault, fastrand::f64()) {
                    RetryDecision::Retry { wait, cost } if client.budget.try_acquire(cost) => {
                        paid = Some(cost);
                        RetryDecision::Retry { wait, cost }
                    }
                    RetryDecision::Retry { .. } => {
                        RetryDecision::GiveUp(GiveUpReason::BudgetExhausted)
                    }
                    give_up => give_up,
                };
                match decision {
                    RetryDecision::Retry { wait, .. } => {
                        tracing::info!(attempt, ?wait, cause = %diagnosis.cause, "retrying");
                        tokio::time::sleep(wait).await;
                    }
                    RetryDecision::GiveUp(reason) => {
                        tracing::info!(attempt, ?reason, cause = %diagnosis.cause, "giving up");
                        let diagnosis = Diagnosis {
                            message: given_up(&diagnosis.message, reason, attempt),
                            ..diagnosis
                        };
                        return report.end(items, &diagnosis, None);
                    }
                }
            }
        }
    }
}

/// The token provider could not give a usable token.
fn auth_failure<V: ApiVersion>(message: String) -> Diagnosis<V> {
    Diagnosis::new(FailureCause::Auth, message)
}

/// The message of a failure that is not retried further, saying why.
fn given_up(message: &str, reason: GiveUpReason, attempts: u32) -> String {
    match reason {
        GiveUpReason::NotRetryable => message.to_string(),
        GiveUpReason::AttemptsExhausted => format!("{message} (after {attempts} attempts)"),
        GiveUpReason::BudgetExhausted => {
            format!("{message} (the client's retry budget is spent)")
        }
        GiveUpReason::RetryAfterTooLong(d) => {
            format!("{message} (HubSpot asked to wait {d:?}, longer than the retry policy allows)")
        }
    }
}
