//! One request of a bulk run, from first attempt to final verdict: token, pacer, send,
//! classify, retry (per [`crate::retry`]), token refresh on 401, and the bisection of a
//! whole-batch 400.
//!
//! # Bisection
//! When HubSpot rejects a whole request of several inputs with a 400 (one bad record without a
//! usable trace id, a duplicate HubSpot saw and we did not), the request is split in two halves
//! that are sent again separately. Halves that succeed are done; halves that fail split again,
//! until the bad inputs fail alone. One bad record in 100 costs about 2 × log2(100) ≈ 14 extra
//! requests and the other 99 succeed. A 400 on a single input is that input's failure.
//!
//! A 400 whose cause every input shares is not split: HubSpot's "Unable to perform
//! update/upsert by non-unique ... property ..." (the `idProperty` is not a unique property),
//! when every input of the request names that same `idProperty`, fails them all at once, at
//! the cost of that one request.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use crate::client::Shared;
use crate::input::UpsertInput;
use crate::mapping::{self, ItemResult, map_response};
use crate::object_type::ObjectType;
use crate::outcome::{OutcomeKind, Progress};
use crate::rate_limit::DEFAULT_PAUSE_AFTER_429;
use crate::retry::{Decision, Failure, GiveUpReason, parse_retry_after};
use crate::scheduler::Item;
use crate::transport::{RawResponse, SendError};

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
#[derive(Debug, Default)]
pub(crate) struct UnitReport {
    /// Inputs with their final outcome.
    pub(crate) done: Vec<(Item, OutcomeKind)>,
    /// Halves of a bisected request, to be sent again.
    pub(crate) split: Vec<Unit>,
    /// Set when every further request would fail the same way.
    pub(crate) stop: Option<Stop>,
}

/// A failed attempt's description for outcomes.
#[derive(Clone, Debug)]
struct FailureInfo {
    category: String,
    message: String,
    correlation_id: Option<String>,
}

impl FailureInfo {
    fn outcome(&self, item: &Item) -> OutcomeKind {
        OutcomeKind::Failed {
            category: self.category.clone(),
            message: self.message.clone(),
            correlation_id: self.correlation_id.clone(),
            retried: item.sends > 1,
        }
    }
}

/// Sends `unit` until every input has a verdict.
pub(crate) async fn run_unit(
    shared: Arc<Shared>,
    object_type: ObjectType,
    unit: Unit,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> UnitReport {
    let span =
        tracing::info_span!("request", object_type = %object_type, inputs = unit.items.len());
    run_unit_inner(shared, object_type, unit, progress)
        .instrument(span)
        .await
}

async fn run_unit_inner(
    shared: Arc<Shared>,
    object_type: ObjectType,
    unit: Unit,
    progress: Arc<tokio::sync::watch::Sender<Progress>>,
) -> UnitReport {
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
        let body = encode(&items);
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
        let result = match body {
            Ok(body) => {
                shared
                    .transport
                    .send(&object_type, body, authorization)
                    .instrument(attempt_span)
                    .await
            }
            Err(e) => Err(SendError::Connect(format!(
                "could not encode the request: {e}"
            ))),
        };

        let failure: Failure;
        let info: FailureInfo;
        match result {
            Ok(response) => {
                shared.pacer.observe(&response.headers, grant.at);
                let correlation = header_correlation(&response);
                tracing::debug!(status = response.status, "response");
                if (200..300).contains(&response.status) {
                    match mapping::decode(&response.body) {
                        Ok(body) => {
                            shared.budget.on_success(paid);
                            paid = None;
                            let refs: Vec<&UpsertInput> = items.iter().map(Item::input).collect();
                            let mapped = map_response(&refs, body);
                            let mut unaccounted = Vec::new();
                            report.done.reserve(items.len());
                            for (item, result) in items.into_iter().zip(mapped) {
                                match result {
                                    ItemResult::Applied { record_id, created } => {
                                        let kind = if created {
                                            OutcomeKind::Created { record_id }
                                        } else {
                                            OutcomeKind::Updated { record_id }
                                        };
                                        report.done.push((item, kind));
                                    }
                                    ItemResult::Rejected { category, message } => {
                                        let retried = item.sends > 1;
                                        report.done.push((
                                            item,
                                            OutcomeKind::Failed {
                                                category,
                                                message,
                                                correlation_id: correlation.clone(),
                                                retried,
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
                                message: "HubSpot's response named neither a result nor an error for this input".into(),
                                correlation_id: correlation,
                            };
                        }
                        Err(e) => {
                            failure = Failure::Decode;
                            info = FailureInfo {
                                category: "DECODE".into(),
                                message: format!(
                                    "HTTP {} body did not decode: {e}",
                                    response.status
                                ),
                                correlation_id: correlation,
                            };
                        }
                    }
                } else {
                    let error: Option<hubspot_crm_api::types::Error> =
                        serde_json::from_slice(&response.body).ok();
                    let correlation = error
                        .as_ref()
                        .and_then(|e| e.correlation_id.map(|c| c.to_string()))
                        .or(correlation);
                    let status = response.status;
                    let daily = status == 429
                        && error.as_ref().and_then(|e| e.policy_name.as_deref()) == Some("DAILY");
                    let retry_after = parse_retry_after(&response.headers, SystemTime::now());
                    let message = error
                        .as_ref()
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| format!("HTTP {status} without a readable message"));
                    let category = error
                        .as_ref()
                        .and_then(|e| e.category.clone().or_else(|| e.error_type.clone()))
                        .unwrap_or_else(|| format!("HTTP_{status}"));
                    info = FailureInfo {
                        category,
                        message,
                        correlation_id: correlation,
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
                    if status == 400 && items.len() > 1 {
                        tracing::info!(
                            inputs = items.len(),
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
            }
            Err(SendError::Timeout) => {
                failure = Failure::Timeout;
                info = FailureInfo {
                    category: "TIMEOUT".into(),
                    message: "no complete response within the timeout".into(),
                    correlation_id: None,
                };
            }
            Err(SendError::Connect(message)) => {
                failure = Failure::Connect;
                info = FailureInfo {
                    category: "TRANSPORT".into(),
                    message,
                    correlation_id: None,
                };
            }
            Err(SendError::BodyRead { status, message }) => {
                failure = Failure::BodyRead;
                info = FailureInfo {
                    category: "TRANSPORT".into(),
                    message: format!("HTTP {status} body could not be read: {message}"),
                    correlation_id: None,
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

/// The request body for `items`: the JSON of the generated
/// `BatchInputSimplePublicObjectBatchInputUpsert` (`{"inputs":[...]}`), written from the inputs
/// by reference (see [`UpsertInput::write_json`]).
fn encode(items: &[Item]) -> Result<Bytes, serde_json::Error> {
    // About 200 bytes per input with a few properties; one allocation in the common case.
    let mut out = Vec::with_capacity(64 + items.len() * 256);
    out.extend_from_slice(b"{\"inputs\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.input().write_json(&mut out)?;
    }
    out.extend_from_slice(b"]}");
    Ok(Bytes::from(out))
}

fn auth_info(message: String, correlation_id: Option<String>) -> FailureInfo {
    FailureInfo {
        category: "AUTH".into(),
        message,
        correlation_id,
    }
}

/// Whether a whole-request 400 names a cause that every input of the request shares, so that
/// splitting the request would only repeat it: HubSpot's "Unable to perform update/upsert by
/// non-unique ... property ..." says an `idProperty` is not a unique property, whatever the
/// records, and when every input names the same `idProperty`, bisecting would cost about two
/// requests per input and fail them all anyway. With mixed id properties the request is split
/// as usual, so the inputs using a unique property still go through.
fn rejects_every_input(info: &FailureInfo, items: &[Item]) -> bool {
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

fn fail_all(
    mut report: UnitReport,
    items: Vec<Item>,
    info: &FailureInfo,
    stop: Option<Stop>,
) -> UnitReport {
    report.done.reserve(items.len());
    for item in items {
        let kind = info.outcome(&item);
        report.done.push((item, kind));
    }
    report.stop = stop;
    report
}

fn header_correlation(response: &RawResponse) -> Option<String> {
    response
        .headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubspot_crm_api::types::BatchInputSimplePublicObjectBatchInputUpsert;

    #[test]
    fn body_is_the_generated_batch_input() {
        let inputs = [
            UpsertInput::new("a@b.c")
                .id_property("email")
                .property("q", "say \"hi\"\n")
                .trace_id("t-1"),
            UpsertInput::new("42"),
        ];
        let items: Vec<Item> = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| Item::new(i as u64, input.clone()))
            .collect();
        let body = encode(&items).expect("encodes");
        let expected = BatchInputSimplePublicObjectBatchInputUpsert {
            inputs: inputs.iter().map(UpsertInput::to_api).collect(),
        };
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).expect("valid JSON"),
            serde_json::to_value(&expected).expect("api type serializes")
        );
        assert_eq!(
            body,
            serde_json::to_vec(&expected).expect("api type serializes")
        );
    }
}
