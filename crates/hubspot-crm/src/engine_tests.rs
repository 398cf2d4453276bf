//! Bulk-run tests against a fake HubSpot under tokio's paused time: duplicates, retries
//! with their waits, token refresh, 429 pauses and cancellation, without sockets or sleeps.
//!
//! The fake sits below the generated client, as its `Exec` hook: requests are built and
//! encoded by the generated `batch_upsert()`, and the fake's answers, built with
//! `reqwest::Response::from(http::Response<_>)`, are decoded by it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use hubspot_crm_api::Exec;
use hubspot_crm_api::v2026_09::types::BatchInputSimplePublicObjectBatchInputUpsert;
use reqwest::header::AUTHORIZATION;
use serde_json::json;
use tokio::time::Instant;

use crate::auth::{AccessToken, StaticToken, TokenProvider};
use crate::client::Client;
use crate::error::Error;
use crate::failure_cause::FailureCause;
use crate::input::UpsertInput;
use crate::object_type::ObjectType;
use crate::outcome::{HubSpotError, NotAttemptedReason, OutcomeKind, RecordOutcome};
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;

/// A canned answer for one request.
#[derive(Clone)]
enum Canned {
    Status(u16, serde_json::Value, Vec<(&'static str, String)>),
    Timeout,
}

/// Record id and properties, by lower-cased id.
type Records = HashMap<String, (u64, HashMap<String, String>)>;

#[derive(Default)]
struct FakeHubSpot {
    store: Mutex<Records>,
    in_flight: Mutex<HashSet<String>>,
    overlap: AtomicBool,
    script: Mutex<VecDeque<Option<Canned>>>,
    latency: Duration,
    requests: AtomicU32,
    valid_token: Option<&'static str>,
}

impl FakeHubSpot {
    fn answer(&self, body: &BatchInputSimplePublicObjectBatchInputUpsert) -> reqwest::Response {
        let mut store = self.store.lock().expect("store");
        let mut results = Vec::new();
        for input in body.inputs.iter().rev() {
            let next_id = store.len() as u64 + 1;
            let key = input.id.to_lowercase();
            let new = !store.contains_key(&key);
            let entry = store
                .entry(key.clone())
                .or_insert((next_id, HashMap::new()));
            entry.1.extend(input.properties.clone());
            results.push(json!({
                "archived": false, "createdAt": "2024-08-15T17:09:13.648Z",
                "updatedAt": "2024-08-15T17:09:13.648Z", "id": entry.0.to_string(), "new": new,
                "objectWriteTraceId": input.object_write_trace_id, "properties": {"email": key},
            }));
        }
        let body = json!({"completedAt": "2024-08-15T17:09:13.648Z",
            "startedAt": "2024-08-15T17:09:13.648Z", "status": "COMPLETE", "results": results});
        status(200, body, vec![])
    }
}

/// The fake HubSpot as the generated client's `Exec` hook.
struct FakeExec(Arc<FakeHubSpot>);

impl Exec for FakeExec {
    fn exec(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'static, reqwest::Result<reqwest::Response>> {
        let fake = self.0.clone();
        Box::pin(async move {
            assert_eq!(
                request.url().path(),
                "/crm/objects/2026-09/contacts/batch/upsert"
            );
            let authorization = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .expect("the generated client sends a complete JSON body");
            let body: BatchInputSimplePublicObjectBatchInputUpsert =
                serde_json::from_slice(bytes).expect("the engine sends a valid body");
            fake.requests.fetch_add(1, Ordering::SeqCst);
            let keys: Vec<String> = body.inputs.iter().map(|i| i.id.to_lowercase()).collect();
            {
                let mut in_flight = fake.in_flight.lock().expect("in flight");
                let unique: HashSet<&String> = keys.iter().collect();
                if unique.len() != keys.len() || keys.iter().any(|k| in_flight.contains(k)) {
                    fake.overlap.store(true, Ordering::SeqCst);
                }
                in_flight.extend(keys.iter().cloned());
            }
            tokio::time::sleep(fake.latency).await;
            fake.in_flight
                .lock()
                .expect("in flight")
                .retain(|k| !keys.contains(k));
            let canned = fake.script.lock().expect("script").pop_front().flatten();
            if let Some(valid) = fake.valid_token
                && authorization.as_deref() != Some(&format!("Bearer {valid}"))
            {
                return Ok(status(
                    401,
                    json!({"category": "INVALID_AUTHENTICATION", "message": "bad token"}),
                    vec![],
                ));
            }
            match canned {
                Some(Canned::Status(code, body, headers)) => Ok(status(code, body, headers)),
                Some(Canned::Timeout) => Err(timeout_error().await),
                None => Ok(fake.answer(&body)),
            }
        })
    }
}

/// A response with `code`, `headers` and the JSON `body`, built without a socket.
fn status(
    code: u16,
    body: serde_json::Value,
    headers: Vec<(&'static str, String)>,
) -> reqwest::Response {
    let mut response = http::Response::builder()
        .status(code)
        .header("content-type", "application/json");
    for (k, v) in headers {
        response = response.header(k, v);
    }
    reqwest::Response::from(
        response
            .body(body.to_string())
            .expect("a valid canned response"),
    )
}

/// The error reqwest gives when its timeout strikes: one whose source is a timed-out I/O
/// error (reqwest offers no constructor, so it comes from reading a body that times out).
async fn timeout_error() -> reqwest::Error {
    let body = reqwest::Body::wrap_stream(futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no response within the timeout",
        ))
    }));
    let error = reqwest::Response::from(http::Response::new(body))
        .bytes()
        .await
        .expect_err("the body times out");
    assert!(error.is_timeout());
    error
}

fn fake_client(
    fake: &Arc<FakeHubSpot>,
    policy: RetryPolicy,
    tokens: Arc<dyn TokenProvider>,
) -> Client {
    Client::with_exec(
        Arc::new(FakeExec(fake.clone())),
        policy,
        RateLimit::new(1000, Duration::from_secs(10)),
        4,
        tokens,
    )
}

fn static_token(t: &str) -> Arc<dyn TokenProvider> {
    Arc::new(StaticToken::new(AccessToken::new(t)))
}

fn contacts(n: usize) -> Vec<UpsertInput> {
    (0..n)
        .map(|i| {
            UpsertInput::new(format!("u{i}@x.com"))
                .id_property("email")
                .property("n", i)
        })
        .collect()
}

fn assert_positions(outcomes: &[RecordOutcome], n: usize) {
    assert_eq!(outcomes.len(), n);
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.position, i as u64);
    }
}

#[tokio::test(start_paused = true)]
async fn duplicates_never_share_a_request_nor_overlap_and_the_later_wins() {
    let fake = Arc::new(FakeHubSpot {
        latency: Duration::from_millis(100),
        ..Default::default()
    });
    let client = fake_client(&fake, RetryPolicy::default(), static_token("t"));
    let mut rng = fastrand::Rng::with_seed(3);
    let inputs: Vec<UpsertInput> = (0..2_000)
        .map(|i| {
            let key = rng.u32(0..150);
            let email = if rng.bool() {
                format!("K{key}@X.com")
            } else {
                format!("k{key}@x.com")
            };
            UpsertInput::new(email)
                .id_property("email")
                .property("v", i)
        })
        .collect();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs.clone())
        .collect_all()
        .await;
    assert_positions(&outcomes, 2_000);
    assert!(
        !fake.overlap.load(Ordering::SeqCst),
        "a key was in two requests at once"
    );
    assert_eq!(summary.created + summary.updated, 2_000, "{summary}");
    let mut last: HashMap<String, String> = HashMap::new();
    for input in &inputs {
        last.insert(
            input.id().to_lowercase(),
            input
                .as_api()
                .properties
                .get("v")
                .expect("v is set")
                .to_string(),
        );
    }
    let store = fake.store.lock().expect("store");
    assert_eq!(store.len(), last.len());
    for (key, v) in last {
        assert_eq!(
            store[&key].1.get("v"),
            Some(&v),
            "{key}: the later input wins"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_after_backoff_within_bounds() {
    let fake = Arc::new(FakeHubSpot::default());
    fake.script.lock().expect("script").extend([
        Some(Canned::Status(503, json!({"message": "down"}), vec![])),
        Some(Canned::Timeout),
        None,
    ]);
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(60));
    let client = fake_client(&fake, policy, static_token("t"));
    let started = Instant::now();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), contacts(10))
        .collect_all()
        .await;
    assert_positions(&outcomes, 10);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.kind, OutcomeKind::Created { .. }))
    );
    assert_eq!((summary.requests, summary.retries), (3, 2));
    // Full jitter: at most 1 s before the first retry and 2 s before the second.
    assert!(
        started.elapsed() <= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_400_is_never_retried_and_a_single_input_fails_alone() {
    let fake = Arc::new(FakeHubSpot::default());
    fake.script.lock().expect("script").push_back(Some(Canned::Status(
        400,
        json!({"category": "VALIDATION_ERROR", "message": "bad", "correlationId": "6f1b3c9e-0000-4000-8000-000000000001"}),
        vec![],
    )));
    let client = fake_client(&fake, RetryPolicy::default(), static_token("t"));
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), contacts(1))
        .collect_all()
        .await;
    let error: hubspot_crm_api::v2026_09::types::Error = serde_json::from_value(
        json!({"category": "VALIDATION_ERROR", "message": "bad", "correlationId": "6f1b3c9e-0000-4000-8000-000000000001"}),
    )
    .expect("a generated Error");
    assert_eq!(
        outcomes[0].kind,
        OutcomeKind::Failed {
            cause: FailureCause::HubSpot {
                category: "VALIDATION_ERROR".into()
            },
            message: "bad".into(),
            correlation_id: Some("6f1b3c9e-0000-4000-8000-000000000001".into()),
            retried: false,
            error: Some(Box::new(HubSpotError::Request(error))),
        }
    );
    assert_eq!((summary.requests, summary.retries), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_request_for_its_retry_after() {
    let fake = Arc::new(FakeHubSpot {
        latency: Duration::from_millis(100),
        ..Default::default()
    });
    fake.script.lock().expect("script").push_back(Some(Canned::Status(
        429,
        json!({"status": "error", "message": "slow down", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}),
        vec![("retry-after", "5".into())],
    )));
    let client = fake_client(&fake, RetryPolicy::default(), static_token("t"));
    let started = Instant::now();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), contacts(800))
        .collect_all()
        .await;
    assert!(outcomes.iter().all(|o| o.kind.is_success()));
    assert_eq!((summary.requests, summary.rate_limited), (9, 1));
    assert!(started.elapsed() >= Duration::from_millis(5_100));
    // Requests were held through the 5 s pause: the figure is wall time during which at
    // least one request was held, so it counts those 5 s once, not once per request held,
    // and never exceeds the run.
    assert!(summary.pacer_wait >= Duration::from_secs(5), "{summary}");
    assert!(summary.pacer_wait <= summary.elapsed, "{summary}");
}

struct Refreshing {
    refreshes: AtomicU32,
    fresh: &'static str,
}

impl TokenProvider for Refreshing {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async { Ok(AccessToken::new("expired")) })
    }
    fn refresh<'a>(
        &'a self,
        _rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let fresh = self.fresh;
        Box::pin(async move { Ok(Some(AccessToken::new(fresh))) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_401_refreshes_the_token_once_and_retries_once() {
    let fake = Arc::new(FakeHubSpot {
        valid_token: Some("fresh"),
        ..Default::default()
    });
    let provider = Arc::new(Refreshing {
        refreshes: AtomicU32::new(0),
        fresh: "fresh",
    });
    let client = fake_client(&fake, RetryPolicy::default(), provider.clone());
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), contacts(5))
        .collect_all()
        .await;
    assert!(outcomes.iter().all(|o| o.kind.is_success()));
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(summary.requests, 2);

    // A refreshed token that is refused too: no second refresh, the run stops.
    let fake = Arc::new(FakeHubSpot {
        valid_token: Some("other"),
        ..Default::default()
    });
    let provider = Arc::new(Refreshing {
        refreshes: AtomicU32::new(0),
        fresh: "still-bad",
    });
    let refused = fake_client(
        &fake,
        RetryPolicy::default().max_attempts(1),
        provider.clone(),
    );
    let (outcomes, summary) = refused
        .bulk_upsert_iter(ObjectType::contacts(), contacts(1_000))
        .collect_all()
        .await;
    assert_positions(&outcomes, 1_000);
    assert_eq!(
        provider.refreshes.load(Ordering::SeqCst),
        summary.requests as u32 / 2
    );
    assert!(matches!(
        &outcomes[0].kind,
        OutcomeKind::Failed {
            cause: FailureCause::Auth,
            retried: true,
            ..
        }
    ));
    assert!(outcomes.iter().any(|o| matches!(
        &o.kind,
        OutcomeKind::NotAttempted {
            reason: NotAttemptedReason::RunAborted { .. }
        }
    )));
}

/// A provider whose token source is down, or whose refresh fails after a 401.
struct Failing {
    refresh_only: bool,
}

impl TokenProvider for Failing {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        let refresh_only = self.refresh_only;
        Box::pin(async move {
            if refresh_only {
                Ok(AccessToken::new("expired"))
            } else {
                Err(Error::TokenProvider {
                    message: "the token endpoint is down".into(),
                })
            }
        })
    }
    fn refresh<'a>(
        &'a self,
        _rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        Box::pin(async {
            Err(Error::TokenProvider {
                message: "the refresh token was revoked".into(),
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_token_provider_fails_the_batch_with_auth_and_stops_the_run() {
    for (refresh_only, said, requests) in [
        (false, "the token endpoint is down", 0),
        (true, "the refresh token was revoked", 1),
    ] {
        let fake = Arc::new(FakeHubSpot {
            valid_token: Some("fresh"),
            ..Default::default()
        });
        let provider = Arc::new(Failing { refresh_only });
        let client = fake_client(&fake, RetryPolicy::default(), provider);
        let (outcomes, summary) = client
            .bulk_upsert_iter(ObjectType::contacts(), contacts(3_000))
            .collect_all()
            .await;
        assert_positions(&outcomes, 3_000);
        let OutcomeKind::Failed { cause, message, .. } = &outcomes[0].kind else {
            panic!("input 0 ended {:?}", outcomes[0].kind);
        };
        assert_eq!(cause, &FailureCause::Auth);
        assert!(message.contains(said), "{message}");
        assert!(outcomes.iter().any(|o| matches!(
            &o.kind,
            OutcomeKind::NotAttempted {
                reason: NotAttemptedReason::RunAborted { .. }
            }
        )));
        assert_eq!(summary.created + summary.updated, 0);
        assert!(summary.requests <= requests * 4, "{summary}");
    }
}

#[tokio::test(start_paused = true)]
async fn cancelling_ends_every_unsent_input_not_attempted() {
    let fake = Arc::new(FakeHubSpot {
        latency: Duration::from_secs(1),
        ..Default::default()
    });
    let client = fake_client(&fake, RetryPolicy::default(), static_token("t"));
    let mut run = client.bulk_upsert(
        ObjectType::contacts(),
        futures::stream::iter(contacts(5_000)),
    );
    let cancel = run.cancel_handle();
    let mut outcomes = Vec::new();
    while let Some(o) = run.next().await {
        if outcomes.is_empty() {
            cancel.cancel();
        }
        outcomes.push(o);
    }
    outcomes.sort_by_key(|o| o.position);
    assert_positions(&outcomes, 5_000);
    let cancelled = outcomes
        .iter()
        .filter(|o| {
            o.kind
                == OutcomeKind::NotAttempted {
                    reason: NotAttemptedReason::Cancelled,
                }
        })
        .count();
    let sent = outcomes.iter().filter(|o| o.kind.is_success()).count();
    assert_eq!(cancelled + sent, 5_000);
    // Only requests already sent when the cancel was seen finished: the 4 whose outcomes were
    // being read and the 4 started as their slots freed.
    let requests = run.summary().requests;
    assert!(requests <= 8, "{requests} requests");
    assert_eq!(sent as u64, requests * 100);
}

/// A sync store in memory holding fingerprints by key, for the engine's side of a synced run.
struct MemoryState(HashMap<String, u64>);

impl crate::sync_state::SyncStore for MemoryState {
    fn bind(
        &mut self,
        _scope: &crate::sync_state::SyncScope,
    ) -> Result<(), crate::sync_state::SyncStateError> {
        Ok(())
    }

    fn learn_account(&mut self, _account: &str) -> Result<(), crate::sync_state::SyncStateError> {
        Ok(())
    }

    fn get(
        &mut self,
        key: &str,
    ) -> Result<Option<crate::sync_state::StoredRecord>, crate::sync_state::SyncStateError> {
        Ok(self
            .0
            .get(key)
            .map(|&fingerprint| crate::sync_state::StoredRecord {
                fingerprint,
                record_id: "1".into(),
                synced_at: chrono::DateTime::default(),
            }))
    }

    fn save(
        &mut self,
        accepted: &[crate::sync_state::Accepted],
    ) -> Result<(), crate::sync_state::SyncStateError> {
        for a in accepted {
            self.0.insert(a.key.clone(), a.fingerprint);
        }
        Ok(())
    }

    fn close_input(
        &mut self,
        _seen: &crate::sync_state::SeenKeys,
    ) -> Result<u64, crate::sync_state::SyncStateError> {
        Ok(0)
    }
}

#[tokio::test(start_paused = true)]
async fn changed_inputs_among_unchanged_ones_fill_whole_batches_from_a_slow_stream() {
    let fake = Arc::new(FakeHubSpot::default());
    let client = fake_client(&fake, RetryPolicy::default(), static_token("t"));
    let before = contacts(1_000);
    let state: HashMap<String, u64> = before
        .iter()
        .map(|i| {
            (
                i.id().to_string(),
                crate::sync_state::fingerprint(&i.as_api().properties),
            )
        })
        .collect();
    // Every tenth input changed; the stream yields one input per millisecond, so a partial
    // batch would leave after the linger (50 ms) if unchanged inputs did not hold it back.
    let inputs = futures::stream::iter(0..1_000usize).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let n = if i % 10 == 0 { i + 1_000_000 } else { i };
        UpsertInput::new(format!("u{i}@x.com"))
            .id_property("email")
            .property("n", n)
    });
    let sync = crate::sync_state::SyncOptions::new(MemoryState(state), "email");
    let (outcomes, summary) = client
        .bulk_upsert_synced(ObjectType::contacts(), sync, inputs)
        .expect("bound")
        .collect_all()
        .await;
    assert_positions(&outcomes, 1_000);
    assert_eq!(
        (summary.unchanged, summary.created),
        (900, 100),
        "{summary}"
    );
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        1,
        "one request of 100"
    );
}
