//! One request of a bulk run, from first attempt to final verdict: token, pacer, send,
//! classify, retry (per [`crate::retry`]), token refresh on 401, and the bisection of a
//! whole-batch 400 or 409.
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

use reqwest::header::HeaderMap;
use tokio::time::Instant;
use tracing::Instrument;

use crate::api_version::{ApiVersion, UpsertedRecord, WireInput};
use crate::client::Shared;
use crate::input::UpsertInput;
use crate::mapping::{ItemResult, map_response};
use crate::object_type::ObjectType;
use crate::outcome::{HubSpotError, OutcomeKind, Progress};
use crate::rate_limit::DEFAULT_PAUSE_AFTER_429;
use crate::retry::{Decision, Failure, GiveUpReason, parse_retry_after};
use crate::scheduler::Item;
use crate::wire::{Reply, SendError};

/// The header HubSpot puts its correlation id in.
const CORRELATION_HEADER: &str = "x-hubspot-correlation-id";

/// A group of inputs sent together.
#[derive(Debug)]
pub(crate) struct Unit {
    pub(crate) items: Vec<Item>,
}

/// Why a run must stop sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    DailyLimit,
    Fatal(String),
}

/// What one request chain produced.
#[derive(Debug)]
pub(crate) struct UnitReport<V: ApiVersion> {
    /// Inputs with their final outcome.
    pub(crate) done: Vec<(Item, OutcomeKind<V>)>,
    /// Halves of a bisected request, to be sent again.
    pub(crate) split: Vec<Unit>,
    /// Set when every further request would fail the same way.
    pub(crate) stop: Option<Stop>,
}

impl<V: ApiVersion> Default for UnitReport<V> {
    fn default() -> Self {
        UnitReport {
            done: Vec::new(),
            split: Vec::new(),
            stop: None,
        }
    }
}

/// A failed attempt's description for outcomes.
#[derive(Clone, Debug)]
struct FailureInfo<V: ApiVersion> {
    category: String,
    message: String,
    correlation_id: Option<String>,
    /// HubSpot's error body, when it sent one that decoded.
    error: Option<Box<HubSpotError<V>>>,
}

impl<V: ApiVersion> FailureInfo<V> {
    fn outcome(&self, item: &Item) -> OutcomeKind<V> {
        OutcomeKind::Failed {
            category: self.category.clone(),
            message: self.message.clone(),
            correlation_id: self.correlation_id.clone(),
            retried: item.sends > 1,
            error: self.error.clone(),
        }
    }
}

/// Sends `unit` until every input has a verdict.
pub(crate) async fn run_unit<V: ApiVersion>(
    shared: Arc<Shared>,
    object_type: ObjectType,
    unit: Unit,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> UnitReport<V> {
    let span =
        tracing::info_span!("request", object_type = %object_type, inputs = unit.items.len());
    run_unit_inner(shared, object_type, unit, progress)
        .instrument(span)
        .await
}

async fn run_unit_inner<V: ApiVersion>(
    shared: Arc<Shared>,
    object_type: ObjectType,
    unit: Unit,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> UnitReport<V> {
    let mut report = UnitReport::default();
    let mut items = unit.items;
    let mut attempt: u32 = 0;
    let mut refreshed = false;
    let mut paid: Option<u32> = None;
    let mut token = match shared.tokens.token().await {
        Ok(t) => t,
        Err(e) => {
            return fail_all(
                report,
                items,
                &auth_info(e.to_string(), None),
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
                return fail_all(
                    report,
                    items,
                    &auth_info(e.to_string(), None),
                    Some(Stop::Fatal(e.to_string())),
                );
            }
        };

        progress.send_modify(|p| p.pacer_hold_begins(Instant::now()));
        let grant = shared.pacer.acquire().await;
        progress.send_modify(|p| {
            p.pacer_hold_ends(grant.at);
            p.requests += 1;
            if attempt > 1 {
                p.retries += 1;
            }
        });

        let attempt_span = tracing::debug_span!("attempt", attempt, inputs = items.len());
        let reply = shared
            .wire
            .send::<V>(&object_type, inputs, authorization)
            .instrument(attempt_span)
            .await;

        let failure: Failure;
        let info: FailureInfo<V>;
        match reply {
            Reply::Success {
                status,
                headers,
                body,
            } => {
                shared.pacer.observe(&headers, grant.at);
                let correlation = header_correlation(&headers);
                tracing::debug!(status, "response");
                shared.budget.on_success(paid);
                paid = None;
                let refs: Vec<&UpsertInput> = items.iter().map(Item::input).collect();
                let mapped = map_response(&refs, body);
                let mut unaccounted = Vec::new();
                report.done.reserve(items.len());
                for (item, result) in items.into_iter().zip(mapped) {
                    match result {
                        ItemResult::Applied(record) => {
                            let record_id = record.record_id().to_string();
                            let kind = if record.is_new() {
                                OutcomeKind::Created { record_id, record }
                            } else {
                                OutcomeKind::Updated { record_id, record }
                            };
                            report.done.push((item, kind));
                        }
                        ItemResult::Rejected(error) => {
                            let retried = item.sends > 1;
                            let fields = V::input_error_fields(&error);
                            let category = fields.category.unwrap_or("UNKNOWN").to_string();
                            let message = fields
                                .message
                                .unwrap_or("HubSpot gave no message")
                                .to_string();
                            report.done.push((
                                item,
                                OutcomeKind::Failed {
                                    category,
                                    message,
                                    correlation_id: correlation.clone(),
                                    retried,
                                    error: Some(Box::new(HubSpotError::Input(*error))),
                                },
                            ));
                        }
                        ItemResult::Unaccounted => unaccounted.push(item),
                    }
                }
                if unaccounted.is_empty() {
                    return report;
                }
                tracing::warn!(
                    count = unaccounted.len(),
                    "response did not account for some inputs"
                );
                items = unaccounted;
                failure = Failure::Decode;
                info = FailureInfo {
                    category: "NOT_IN_RESPONSE".into(),
                    message:
                        "HubSpot's response named neither a result nor an error for this input"
                            .into(),
                    correlation_id: correlation,
                    error: None,
                };
            }
            Reply::Undecodable {
                status,
                headers,
                message,
            } => {
                shared.pacer.observe(&headers, grant.at);
                tracing::debug!(status, "response");
                failure = Failure::Decode;
                info = FailureInfo {
                    category: "DECODE".into(),
                    message,
                    correlation_id: header_correlation(&headers),
                    error: None,
                };
            }
            Reply::Refused {
                status,
                headers,
                error,
            } => {
                shared.pacer.observe(&headers, grant.at);
                tracing::debug!(status, "response");
                let fields = error.as_ref().map(V::request_error_fields);
                let correlation = fields
                    .as_ref()
                    .and_then(|f| f.correlation_id.clone())
                    .or_else(|| header_correlation(&headers));
                let daily =
                    status == 429 && fields.as_ref().and_then(|f| f.policy_name) == Some("DAILY");
                let retry_after = parse_retry_after(&headers, SystemTime::now());
                let message = fields.as_ref().and_then(|f| f.message).map_or_else(
                    || format!("HTTP {status} without a readable message"),
                    str::to_string,
                );
                let category = fields
                    .as_ref()
                    .and_then(|f| f.category.or(f.error_type))
                    .map_or_else(|| format!("HTTP_{status}"), str::to_string);
                info = FailureInfo {
                    category,
                    message,
                    correlation_id: correlation,
                    error: error.map(|e| Box::new(HubSpotError::Request(e))),
                };
                if status == 429 {
                    progress.send_modify(|p| p.rate_limited += 1);
                    if daily {
                        let daily_info = FailureInfo {
                            category: "DAILY_LIMIT".into(),
                            ..info
                        };
                        return fail_all(report, items, &daily_info, Some(Stop::DailyLimit));
                    }
                    shared
                        .pacer
                        .pause(retry_after.unwrap_or(DEFAULT_PAUSE_AFTER_429));
                }
                if status == 401 {
                    if !refreshed {
                        refreshed = true;
                        match shared.tokens.refresh(&token).await {
                            Ok(Some(fresh)) => {
                                tracing::info!("access token refreshed after 401");
                                token = fresh;
                                attempt -= 1;
                                continue;
                            }
                            Ok(None) => {}
                            Err(e) => {
                                let why = format!("token refresh failed: {e}");
                                return fail_all(
                                    report,
                                    items,
                                    &auth_info(why.clone(), info.correlation_id),
                                    Some(Stop::Fatal(why)),
                                );
                            }
                        }
                    }
                    let why = format!(
                        "HubSpot refused the access token (HTTP 401): {}",
                        info.message
                    );
                    let auth = FailureInfo {
                        category: "AUTH".into(),
                        ..info
                    };
                    return fail_all(report, items, &auth, Some(Stop::Fatal(why)));
                }
                if status == 400 && items.len() > 1 && rejects_every_input(&info, &items) {
                    tracing::info!(
                        inputs = items.len(),
                        "whole request rejected for a reason every input shares; not splitting it"
                    );
                    return fail_all(report, items, &info, None);
                }
                // A whole-request 400 (one bad input without trace ids) or 409 (one input
                // would take another record's unique value) is split until only the inputs
                // that cause it fail; on one input it is final.
                if matches!(status, 400 | 409) && items.len() > 1 {
                    tracing::info!(
                        inputs = items.len(),
                        status,
                        "whole request rejected; splitting it"
                    );
                    let second = items.split_off(items.len() / 2);
                    report.split.push(Unit { items });
                    report.split.push(Unit { items: second });
                    return report;
                }
                if status == 403 || status == 404 {
                    let why = format!("HTTP {status} ({}): {}", info.category, info.message);
                    return fail_all(report, items, &info, Some(Stop::Fatal(why)));
                }
                failure = Failure::Status {
                    status,
                    daily,
                    retry_after,
                };
            }
            Reply::Failed(SendError::Timeout) => {
                failure = Failure::Timeout;
                info = FailureInfo {
                    category: "TIMEOUT".into(),
                    message: "no complete response within the timeout".into(),
                    correlation_id: None,
                    error: None,
                };
            }
            Reply::Failed(SendError::Connect(message)) => {
                failure = Failure::Connect;
                info = FailureInfo {
                    category: "TRANSPORT".into(),
                    message,
                    correlation_id: None,
                    error: None,
                };
            }
            Reply::Failed(SendError::BodyRead { status, message }) => {
                failure = Failure::BodyRead;
                info = FailureInfo {
                    category: "TRANSPORT".into(),
                    message: format!("HTTP {status} body could not be read: {message}"),
                    correlation_id: None,
                    error: None,
                };
            }
        }

        let decision = match shared.retry.decide(attempt, &failure, fastrand::f64()) {
            Decision::Retry { wait, cost } => {
                if shared.budget.try_acquire(cost) {
                    paid = Some(cost);
                    Decision::Retry { wait, cost }
                } else {
                    Decision::GiveUp(GiveUpReason::BudgetExhausted)
                }
            }
            other => other,
        };
        match decision {
            Decision::Retry { wait, .. } => {
                tracing::info!(attempt, ?wait, category = %info.category, "retrying");
                tokio::time::sleep(wait).await;
            }
            Decision::GiveUp(reason) => {
                tracing::info!(attempt, ?reason, category = %info.category, "giving up");
                let info = FailureInfo {
                    message: match reason {
                        GiveUpReason::AttemptsExhausted => {
                            format!("{} (after {attempt} attempts)", info.message)
                        }
                        GiveUpReason::BudgetExhausted => {
                            format!("{} (the client's retry budget is spent)", info.message)
                        }
                        GiveUpReason::RetryAfterTooLong(d) => format!(
                            "{} (HubSpot asked to wait {d:?}, longer than the retry policy allows)",
                            info.message
                        ),
                        GiveUpReason::NotRetryable | GiveUpReason::DailyLimit => {
                            info.message.clone()
                        }
                    },
                    ..info
                };
                return fail_all(report, items, &info, None);
            }
        }
    }
}

fn auth_info<V: ApiVersion>(message: String, correlation_id: Option<String>) -> FailureInfo<V> {
    FailureInfo {
        category: "AUTH".into(),
        message,
        correlation_id,
        error: None,
    }
}

/// Whether a whole-request 400 names a cause that every input of the request shares, so that
/// splitting the request would only repeat it: HubSpot's "Unable to perform update/upsert by
/// non-unique ... property ..." says an `idProperty` is not a unique property, whatever the
/// records, and when every input names the same `idProperty`, bisecting would cost about two
/// requests per input and fail them all anyway. With mixed id properties the request is split
/// as usual, so the inputs using a unique property still go through.
fn rejects_every_input<V: ApiVersion>(info: &FailureInfo<V>, items: &[Item]) -> bool {
    let Some((first, rest)) = items.split_first() else {
        return false;
    };
    let id_property = first.input().get_id_property();
    info.message.contains(NON_UNIQUE_ID_PROPERTY)
        && rest
            .iter()
            .all(|item| item.input().get_id_property() == id_property)
}

/// The start of HubSpot's message when an `idProperty` is not a unique-value property.
const NON_UNIQUE_ID_PROPERTY: &str = "Unable to perform update/upsert by non-unique";

fn fail_all<V: ApiVersion>(
    mut report: UnitReport<V>,
    items: Vec<Item>,
    info: &FailureInfo<V>,
    stop: Option<Stop>,
) -> UnitReport<V> {
    report.done.reserve(items.len());
    for item in items {
        let kind = info.outcome(&item);
        report.done.push((item, kind));
    }
    report.stop = stop;
    report
}

fn header_correlation(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
