//! What one reply means: [`judge`] reads a [`Reply`] and the batch it answers and returns a
//! [`Verdict`]: each input's outcome, or why the request failed and what to do next.
//!
//! Judging is pure: no clock but the `now` it is given (to read a `Retry-After` date), no
//! I/O, no shared state. The request loop (`request`) acts on verdicts: it pauses the
//! pacer, asks the retry policy (`retry`) whether a retryable fault gets another attempt,
//! refreshes the token, splits the batch, or ends its inputs.
//!
//! # What each reply means
//! | reply | verdict |
//! |---|---|
//! | 2xx that decoded | one outcome per input HubSpot named; inputs it did not name are retried (`NOT_IN_RESPONSE`) |
//! | 2xx that did not decode | retried (`DECODE`) |
//! | 429 `policyName: DAILY` | every input fails (`DAILY_LIMIT`); the run stops |
//! | other 429 | the client's pacer pauses for `Retry-After` (or a tenth of the window); retried |
//! | 401 | a fresh token from the provider and the same request again, once; then every input fails (`AUTH`) and the run stops |
//! | 403, 404 | every input fails; the run stops, since every request would repeat it |
//! | 400 or 409 on several inputs | the batch is split in two (see bisection in `request`), unless the 400 says the `idProperty` every input names is not unique: then every input fails |
//! | 400 or 409 on one input, any other status never retried ([`crate::RetryPolicy`]) | the input fails with HubSpot's category |
//! | a retryable status, a timeout, a broken connection or body | retried |

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::api_version::{ApiVersion, UpsertedRecord};
use crate::failure_cause::FailureCause;
use crate::input::UpsertInput;
use crate::mapping::{ItemResult, map_response};
use crate::outcome::{HubSpotError, OutcomeKind};
use crate::rate_limit::PAUSE_AFTER_429;
use crate::retry::{Fault, is_retryable, parse_retry_after};
use crate::scheduler::Item;
use crate::wire::{NoResponse, Reply};

/// The header HubSpot puts its correlation id in.
const CORRELATION_HEADER: &str = "x-hubspot-correlation-id";

/// The start of HubSpot's message when an `idProperty` is not a unique-value property.
const NON_UNIQUE_ID_PROPERTY: &str = "Unable to perform update/upsert by non-unique";

/// What one reply means for the batch it answers.
#[derive(Debug)]
pub(crate) enum Verdict<V: ApiVersion> {
    /// HubSpot answered for the inputs.
    Answered {
        /// One entry per input of the batch, in order: its outcome, or `None` when the answer
        /// did not name it.
        outcomes: Vec<Option<OutcomeKind<V>>>,
        /// What the inputs the answer did not name get, when there are any: a retryable
        /// `NOT_IN_RESPONSE`.
        unnamed: Option<Refusal<V>>,
    },
    /// The request failed as a whole.
    Refused(Refusal<V>),
}

/// A request that failed as a whole: why, and what to do next.
#[derive(Debug)]
pub(crate) struct Refusal<V: ApiVersion> {
    /// What the inputs' outcomes will say if they end here.
    pub(crate) diagnosis: Diagnosis<V>,
    /// What the request loop does next.
    pub(crate) action: Action,
    /// Whether the reply was a 429 (counted in the run's progress).
    pub(crate) rate_limited: bool,
    /// How long every request of the client waits before its next start (a 429 within the
    /// rolling window).
    pub(crate) pause: Option<Duration>,
}

/// Why a request failed, as its inputs' outcomes tell it.
#[derive(Clone, Debug)]
pub(crate) struct Diagnosis<V: ApiVersion> {
    pub(crate) cause: FailureCause,
    pub(crate) message: String,
    pub(crate) correlation_id: Option<String>,
    /// HubSpot's error body, when it sent one that decoded.
    pub(crate) error: Option<Box<HubSpotError<V>>>,
}

impl<V: ApiVersion> Diagnosis<V> {
    /// A diagnosis without a body from HubSpot.
    pub(crate) fn new(cause: FailureCause, message: impl Into<String>) -> Self {
        Diagnosis {
            cause,
            message: message.into(),
            correlation_id: None,
            error: None,
        }
    }

    /// The outcome of `item` ending with this diagnosis.
    pub(crate) fn outcome(&self, item: &Item) -> OutcomeKind<V> {
        OutcomeKind::Failed {
            cause: self.cause.clone(),
            message: self.message.clone(),
            correlation_id: self.correlation_id.clone(),
            retried: item.sends > 1,
            error: self.error.clone(),
        }
    }
}

/// What the request loop does after a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Send the request again if the retry policy and the retry budget allow (the fault is
    /// one the policy retries).
    Retry(Fault),
    /// Send it again with a fresh token from the provider, once.
    Reauthenticate,
    /// Send each half of the batch on its own.
    Split,
    /// End every input with the diagnosis; the run goes on.
    Fail,
    /// End every input with the diagnosis, and stop the run.
    FailAndStop(Stop),
}

/// Why a run must stop sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The account's daily quota is spent.
    DailyLimit,
    /// Every further request would fail the same way; the text says why.
    Fatal(String),
}

/// Reads `reply`, the answer to a request carrying `batch`.
pub(crate) fn judge<V: ApiVersion>(reply: Reply<V>, batch: &[Item], now: SystemTime) -> Verdict<V> {
    match reply {
        Reply::Success { headers, body, .. } => {
            let correlation_id = header_correlation(&headers);
            let inputs: Vec<&UpsertInput> = batch.iter().map(Item::input).collect();
            let outcomes: Vec<_> = batch
                .iter()
                .zip(map_response(&inputs, body))
                .map(|(item, result)| applied_or_rejected(item, result, &correlation_id))
                .collect();
            let unnamed = outcomes.iter().any(Option::is_none).then(|| {
                let diagnosis = Diagnosis {
                    correlation_id,
                    ..Diagnosis::new(
                        FailureCause::NotInResponse,
                        "HubSpot's response named neither a result nor an error for this input",
                    )
                };
                retry(diagnosis, Fault::Decode)
            });
            Verdict::Answered { outcomes, unnamed }
        }
        Reply::Undecodable {
            headers, message, ..
        } => {
            let diagnosis = Diagnosis {
                correlation_id: header_correlation(&headers),
                ..Diagnosis::new(FailureCause::Decode, message)
            };
            Verdict::Refused(retry(diagnosis, Fault::Decode))
        }
        Reply::Refused {
            status,
            headers,
            error,
        } => Verdict::Refused(judge_status(status, &headers, error, batch, now)),
        Reply::NoResponse(NoResponse::Timeout) => Verdict::Refused(retry(
            Diagnosis::new(
                FailureCause::Timeout,
                "no complete response within the timeout",
            ),
            Fault::Timeout,
        )),
        Reply::NoResponse(NoResponse::Connect(message)) => Verdict::Refused(retry(
            Diagnosis::new(FailureCause::Transport, message),
            Fault::Connect,
        )),
        Reply::NoResponse(NoResponse::BodyRead { status, message }) => Verdict::Refused(retry(
            Diagnosis::new(
                FailureCause::Transport,
                format!("HTTP {status} body could not be read: {message}"),
            ),
            Fault::BodyRead,
        )),
    }
}

/// The outcome of one input of an answered request, or `None` when the answer did not name it.
fn applied_or_rejected<V: ApiVersion>(
    item: &Item,
    result: ItemResult<V>,
    correlation_id: &Option<String>,
) -> Option<OutcomeKind<V>> {
    match result {
        ItemResult::Applied(record) => {
            let record_id = record.record_id().to_string();
            Some(if record.is_new() {
                OutcomeKind::Created { record_id, record }
            } else {
                OutcomeKind::Updated { record_id, record }
            })
        }
        ItemResult::Rejected(error) => {
            let fields = V::input_error_fields(&error);
            let cause = fields
                .category
                .map_or(FailureCause::Uncategorized, |category| {
                    FailureCause::HubSpot {
                        category: category.to_string(),
                    }
                });
            let message = fields
                .message
                .unwrap_or("HubSpot gave no message")
                .to_string();
            Some(OutcomeKind::Failed {
                cause,
                message,
                correlation_id: correlation_id.clone(),
                retried: item.sends > 1,
                error: Some(Box::new(HubSpotError::Input(*error))),
            })
        }
        ItemResult::Unaccounted => None,
    }
}

/// Reads an unsuccessful status, with HubSpot's `Error` body when it decoded.
fn judge_status<V: ApiVersion>(
    status: u16,
    headers: &HeaderMap,
    error: Option<V::RequestError>,
    batch: &[Item],
    now: SystemTime,
) -> Refusal<V> {
    let fields = error.as_ref().map(V::request_error_fields);
    let correlation_id = fields
        .as_ref()
        .and_then(|f| f.correlation_id.clone())
        .or_else(|| header_correlation(headers));
    let message = fields.as_ref().and_then(|f| f.message).map_or_else(
        || format!("HTTP {status} without a readable message"),
        str::to_string,
    );
    let category = fields.as_ref().and_then(|f| f.category.or(f.error_type));
    let daily = status == 429 && fields.as_ref().and_then(|f| f.policy_name) == Some("DAILY");
    let retry_after = parse_retry_after(headers, now);
    let cause = match category {
        Some(category) => FailureCause::HubSpot {
            category: category.to_string(),
        },
        None => FailureCause::Status { status },
    };
    let diagnosis = Diagnosis {
        cause,
        message,
        correlation_id,
        error: error.map(|e| Box::new(HubSpotError::Request(e))),
    };
    let refusal = |diagnosis, action| Refusal {
        diagnosis,
        action,
        rate_limited: status == 429,
        pause: None,
    };

    match status {
        429 if daily => refusal(
            Diagnosis {
                cause: FailureCause::DailyLimit,
                ..diagnosis
            },
            Action::FailAndStop(Stop::DailyLimit),
        ),
        429 => Refusal {
            pause: Some(retry_after.unwrap_or(PAUSE_AFTER_429)),
            ..refusal(
                diagnosis,
                Action::Retry(Fault::Status {
                    status,
                    retry_after,
                }),
            )
        },
        401 => refusal(
            Diagnosis {
                cause: FailureCause::Auth,
                ..diagnosis
            },
            Action::Reauthenticate,
        ),
        400 if batch.len() > 1 && names_a_non_unique_id_property(&diagnosis.message, batch) => {
            refusal(diagnosis, Action::Fail)
        }
        400 | 409 if batch.len() > 1 => refusal(diagnosis, Action::Split),
        403 | 404 => {
            let why = format!("HTTP {status} ({}): {}", diagnosis.cause, diagnosis.message);
            refusal(diagnosis, Action::FailAndStop(Stop::Fatal(why)))
        }
        _ => {
            let fault = Fault::Status {
                status,
                retry_after,
            };
            if is_retryable(&fault) {
                refusal(diagnosis, Action::Retry(fault))
            } else {
                refusal(diagnosis, Action::Fail)
            }
        }
    }
}

/// A refusal the retry policy decides on.
fn retry<V: ApiVersion>(diagnosis: Diagnosis<V>, fault: Fault) -> Refusal<V> {
    Refusal {
        diagnosis,
        action: Action::Retry(fault),
        rate_limited: false,
        pause: None,
    }
}

/// Whether a whole-request 400 names a cause that every input of the request shares, so that
/// splitting the request would only repeat it: HubSpot's "Unable to perform update/upsert by
/// non-unique ... property ..." says an `idProperty` is not a unique property, whatever the
/// records, and when every input names the same `idProperty`, bisecting would cost about two
/// requests per input and fail them all anyway. With mixed id properties the request is split
/// as usual, so the inputs using a unique property still go through.
fn names_a_non_unique_id_property(message: &str, batch: &[Item]) -> bool {
    let Some((first, rest)) = batch.split_first() else {
        return false;
    };
    let id_property = first.input().as_api().id_property.as_deref();
    message.contains(NON_UNIQUE_ID_PROPERTY)
        && rest
            .iter()
            .all(|item| item.input().as_api().id_property.as_deref() == id_property)
}

fn header_correlation(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_version::V2026_09;
    use crate::wire::Answer;
    use hubspot_crm_api::v2026_09::types;
    use reqwest::header::{HeaderValue, RETRY_AFTER};
    use serde_json::json;

    fn batch(n: usize, id_property: &str) -> Vec<Item> {
        (0..n)
            .map(|i| {
                let input = UpsertInput::new(format!("p{i}@example.com"))
                    .id_property(id_property)
                    .trace_id(format!("t{i}"));
                let mut item = Item::new(i as u64, input);
                item.sends = 1;
                item
            })
            .collect()
    }

    fn error_body(body: serde_json::Value) -> Option<types::Error> {
        Some(serde_json::from_value(body).expect("a generated Error"))
    }

    fn refused(
        status: u16,
        headers: HeaderMap,
        error: Option<types::Error>,
        inputs: usize,
    ) -> Refusal<V2026_09> {
        let reply = Reply::Refused {
            status,
            headers,
            error,
        };
        match judge(reply, &batch(inputs, "email"), SystemTime::UNIX_EPOCH) {
            Verdict::Refused(refusal) => refusal,
            Verdict::Answered { .. } => panic!("HTTP {status} judged answered"),
        }
    }

    fn validation(message: &str) -> Option<types::Error> {
        error_body(json!({
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": message,
            "correlationId": "6f1b3c9e-0000-4000-8000-000000000001",
        }))
    }

    #[test]
    fn a_daily_429_fails_every_input_and_stops_the_run() {
        let body = error_body(json!({
            "status": "error", "message": "daily limit", "errorType": "RATE_LIMIT",
            "correlationId": "6f1b3c9e-0000-4000-8000-000000000002", "policyName": "DAILY",
        }));
        let r = refused(429, HeaderMap::new(), body, 3);
        assert_eq!(r.diagnosis.cause, FailureCause::DailyLimit);
        assert_eq!(r.action, Action::FailAndStop(Stop::DailyLimit));
        assert!(r.rate_limited);
        assert_eq!(r.pause, None);
    }

    #[test]
    fn a_rolling_429_pauses_the_pacer_and_is_retried() {
        let body = error_body(json!({
            "status": "error", "message": "ten secondly", "errorType": "RATE_LIMIT",
            "correlationId": "6f1b3c9e-0000-4000-8000-000000000003",
            "policyName": "TEN_SECONDLY_ROLLING",
        }));
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let r = refused(429, headers, body.clone(), 3);
        assert_eq!(
            r.diagnosis.cause,
            FailureCause::HubSpot {
                category: "RATE_LIMIT".into()
            }
        );
        let three = Some(Duration::from_secs(3));
        assert_eq!(
            r.action,
            Action::Retry(Fault::Status {
                status: 429,
                retry_after: three
            })
        );
        assert!(r.rate_limited);
        assert_eq!(r.pause, three);

        let r = refused(429, HeaderMap::new(), body, 3);
        assert_eq!(r.pause, Some(PAUSE_AFTER_429));
    }

    #[test]
    fn a_401_asks_for_a_fresh_token() {
        let r = refused(401, HeaderMap::new(), None, 2);
        assert_eq!(r.diagnosis.cause, FailureCause::Auth);
        assert_eq!(r.action, Action::Reauthenticate);
        assert!(!r.rate_limited);
    }

    #[test]
    fn a_whole_request_400_or_409_splits_several_inputs_and_ends_one() {
        for status in [400, 409] {
            let r = refused(status, HeaderMap::new(), validation("bad"), 3);
            assert_eq!(r.action, Action::Split, "{status}");
            let r = refused(status, HeaderMap::new(), validation("bad"), 1);
            assert_eq!(r.action, Action::Fail, "{status}");
            assert_eq!(r.diagnosis.cause.code(), "VALIDATION_ERROR");
            assert_eq!(r.diagnosis.message, "bad");
            assert_eq!(
                r.diagnosis.correlation_id.as_deref(),
                Some("6f1b3c9e-0000-4000-8000-000000000001")
            );
            assert!(r.diagnosis.error.is_some());
        }
    }

    #[test]
    fn a_non_unique_id_property_fails_the_batch_unless_the_inputs_mix_id_properties() {
        let message = "Unable to perform update/upsert by non-unique property firstname";
        let reply = || Reply::<V2026_09>::Refused {
            status: 400,
            headers: HeaderMap::new(),
            error: validation(message),
        };
        let same = batch(3, "firstname");
        let Verdict::Refused(r) = judge(reply(), &same, SystemTime::UNIX_EPOCH) else {
            panic!("answered");
        };
        assert_eq!(r.action, Action::Fail);

        let mut mixed = batch(2, "firstname");
        mixed.extend(batch(1, "email"));
        let Verdict::Refused(r) = judge(reply(), &mixed, SystemTime::UNIX_EPOCH) else {
            panic!("answered");
        };
        assert_eq!(r.action, Action::Split);
    }

    #[test]
    fn a_403_or_404_stops_the_run_naming_the_status_and_category() {
        let body = error_body(json!({
            "status": "error", "category": "MISSING_SCOPES", "message": "no scope",
            "correlationId": "6f1b3c9e-0000-4000-8000-000000000004",
        }));
        let r = refused(403, HeaderMap::new(), body, 2);
        assert_eq!(
            r.action,
            Action::FailAndStop(Stop::Fatal("HTTP 403 (MISSING_SCOPES): no scope".into()))
        );
        let r = refused(404, HeaderMap::new(), None, 2);
        assert_eq!(r.diagnosis.cause, FailureCause::Status { status: 404 });
        assert!(matches!(r.action, Action::FailAndStop(Stop::Fatal(_))));
    }

    #[test]
    fn retryable_statuses_are_retried_and_the_others_fail() {
        let r = refused(503, HeaderMap::new(), None, 2);
        assert_eq!(r.diagnosis.cause, FailureCause::Status { status: 503 });
        assert_eq!(r.diagnosis.message, "HTTP 503 without a readable message");
        assert_eq!(
            r.action,
            Action::Retry(Fault::Status {
                status: 503,
                retry_after: None
            })
        );
        let r = refused(422, HeaderMap::new(), validation("no"), 2);
        assert_eq!(r.action, Action::Fail);
    }

    #[test]
    fn no_response_is_retried_with_the_clients_cause() {
        let cases = [
            (NoResponse::Timeout, FailureCause::Timeout, Fault::Timeout),
            (
                NoResponse::Connect("refused".into()),
                FailureCause::Transport,
                Fault::Connect,
            ),
            (
                NoResponse::BodyRead {
                    status: 200,
                    message: "reset".into(),
                },
                FailureCause::Transport,
                Fault::BodyRead,
            ),
        ];
        for (no_response, cause, fault) in cases {
            let reply = Reply::<V2026_09>::NoResponse(no_response);
            let Verdict::Refused(r) = judge(reply, &batch(2, "email"), SystemTime::UNIX_EPOCH)
            else {
                panic!("answered");
            };
            assert_eq!(r.diagnosis.cause, cause);
            assert_eq!(r.action, Action::Retry(fault));
        }
    }

    #[test]
    fn an_answer_ends_the_inputs_it_names_and_leaves_the_others_for_a_retry() {
        let record: types::SimplePublicUpsertObject = serde_json::from_value(json!({
            "id": "101", "new": true, "objectWriteTraceId": "t1",
            "properties": {"email": "p1@example.com"},
            "createdAt": "2026-03-01T10:00:00Z", "updatedAt": "2026-03-01T10:00:00Z",
            "archived": false,
        }))
        .expect("a generated result");
        let error: types::StandardError = serde_json::from_value(json!({
            "status": "error", "category": "VALIDATION_ERROR", "message": "bad email",
            "context": {"objectWriteTraceId": ["t2"]}, "errors": [], "links": {},
        }))
        .expect("a generated error");
        let reply = Reply::<V2026_09>::Success {
            status: 200,
            headers: HeaderMap::new(),
            body: Answer {
                results: vec![record],
                errors: vec![error],
            },
        };
        let Verdict::Answered { outcomes, unnamed } =
            judge(reply, &batch(3, "email"), SystemTime::UNIX_EPOCH)
        else {
            panic!("refused");
        };
        assert!(outcomes[0].is_none());
        assert!(matches!(
            &outcomes[1],
            Some(OutcomeKind::Created { record_id, .. }) if record_id == "101"
        ));
        assert!(matches!(
            &outcomes[2],
            Some(OutcomeKind::Failed { cause, message, retried: false, .. })
                if cause.code() == "VALIDATION_ERROR" && message == "bad email"
        ));
        let unnamed = unnamed.expect("input 0 was not named");
        assert_eq!(unnamed.diagnosis.cause, FailureCause::NotInResponse);
        assert_eq!(unnamed.action, Action::Retry(Fault::Decode));
    }
}
