//! Property tests (proptest), each over a small number of cases so the suite stays fast:
//! - the pacer never lets more than N requests into any rolling window (the mock's own
//!   window is the judge), for random mixes of concurrent runs, sizes and concurrency;
//! - backoff delays stay within [0, cap];
//! - accounting is exact for random combinations of results, 207 errors and inputs missing
//!   from the response (a scripted loopback server answers each input as the case says);
//! - random input sequences with repeated keys leave the in-order final state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::response::IntoResponse;
use hubspot_crm::{
    AccessToken, Client, ObjectType, OutcomeKind, RateLimit, RetryPolicy, UpsertInput,
};
use hubspot_crm_mock::MockServer;
use hubspot_reliability::state;
use proptest::prelude::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn client(base: &str, limit: RateLimit, concurrency: usize, attempts: u32) -> Client {
    Client::builder()
        .base_url(base)
        .token(AccessToken::new("prop-token"))
        .timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(attempts)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .rate_limit(limit)
        .concurrency(concurrency)
        .build()
        .expect("client")
}

fn contact(i: usize) -> UpsertInput {
    UpsertInput::new(format!("p{i}@example.com")).id_property("email")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Several runs sharing one client (so one pacer) start together with random sizes; the
    /// mock enforces the same window and must never have to refuse a request.
    #[test]
    fn the_pacer_never_admits_more_than_n_per_window(
        max in 3u32..10,
        runs in proptest::collection::vec(1usize..700, 1..4),
        concurrency in 1usize..6,
    ) {
        let window = Duration::from_millis(300);
        let refused = block_on(async move {
            let mock = MockServer::builder().rate_limit(max, window).start().await.expect("mock");
            let c = client(
                &mock.base_url(),
                RateLimit::new(max, window).margin(Duration::from_millis(60)),
                concurrency,
                1,
            );
            let mut handles = Vec::new();
            let mut offset = 0;
            for n in runs {
                let inputs: Vec<UpsertInput> = (offset..offset + n).map(contact).collect();
                offset += n;
                let run = c.bulk_upsert_iter(ObjectType::contacts(), inputs);
                handles.push(tokio::spawn(run.collect_all()));
            }
            for h in handles {
                let (outcomes, _) = h.await.expect("run");
                assert!(outcomes.iter().all(|o| o.kind.is_success()), "{outcomes:?}");
            }
            let refused = mock.counters().status(429);
            mock.shutdown().await;
            refused
        });
        prop_assert_eq!(refused, 0);
    }
}

proptest! {
    #[test]
    fn backoff_stays_within_zero_and_the_cap(
        base_ms in 0u64..5_000,
        cap_ms in 0u64..120_000,
        retry in any::<u32>(),
        unit in 0.0f64..1.0,
    ) {
        let cap = Duration::from_millis(cap_ms);
        let p = RetryPolicy::default().base_delay(Duration::from_millis(base_ms)).max_delay(cap);
        let ceiling = p.backoff_ceiling(retry);
        let wait = p.backoff(retry, unit);
        prop_assert!(ceiling <= cap);
        prop_assert!(wait <= ceiling);
        prop_assert!(wait >= Duration::ZERO);
    }
}

/// How the scripted server answers one input on one attempt.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Created,
    Updated,
    Error,
    Missing,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        Just(Answer::Created),
        Just(Answer::Updated),
        Just(Answer::Error),
        Just(Answer::Missing),
    ]
}

/// A loopback server answering each input (by its id) per the script, attempt by attempt.
async fn scripted_server(script: Arc<Vec<Vec<Answer>>>) -> (String, Arc<Mutex<u64>>) {
    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let requests: Arc<Mutex<u64>> = Arc::default();
    let counted = requests.clone();
    let app = Router::new().fallback(move |body: Bytes| {
        let script = script.clone();
        let attempts = attempts.clone();
        let counted = counted.clone();
        async move {
            *counted.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let mut results = Vec::new();
            let mut errors = Vec::new();
            for input in req["inputs"].as_array().cloned().unwrap_or_default() {
                let id = input["id"].as_str().unwrap_or_default().to_string();
                let trace = input["objectWriteTraceId"].clone();
                let k: usize = id.trim_start_matches('p').split('@').next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let mut seen = attempts.lock().unwrap_or_else(|p| p.into_inner());
                let a = seen.entry(id.clone()).or_insert(0);
                let reply = script.get(k).and_then(|s| s.get(*a)).copied().unwrap_or(Answer::Created);
                *a += 1;
                let ts = "2026-03-01T00:00:00.000Z";
                match reply {
                    Answer::Created | Answer::Updated => results.push(serde_json::json!({
                        "id": format!("{}", 1000 + k), "archived": false, "createdAt": ts, "updatedAt": ts,
                        "new": matches!(reply, Answer::Created), "properties": {"email": id},
                        "objectWriteTraceId": trace,
                    })),
                    Answer::Error => errors.push(serde_json::json!({
                        "status": "error", "category": "VALIDATION_ERROR", "message": format!("scripted error for {id}"),
                        "context": {"objectWriteTraceId": [trace]},
                    })),
                    Answer::Missing => {}
                }
            }
            let status = if errors.is_empty() { 200 } else { 207 };
            let body = serde_json::json!({
                "status": "COMPLETE", "startedAt": "2026-03-01T00:00:00.000Z",
                "completedAt": "2026-03-01T00:00:01.000Z", "results": results,
                "numErrors": errors.len(), "errors": errors,
            });
            (axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
             [("content-type", "application/json")], body.to_string()).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), requests)
}

const ATTEMPTS: u32 = 3;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn accounting_is_exact_for_results_errors_and_missing_inputs(
        script in proptest::collection::vec(proptest::collection::vec(answer(), 0..4), 1..260),
    ) {
        let script = Arc::new(script);
        let n = script.len();
        let (outcomes, summary, requests) = block_on({
            let script = script.clone();
            async move {
                let (base, requests) = scripted_server(script).await;
                let c = client(&base, RateLimit::new(10_000, Duration::from_secs(1)), 3, ATTEMPTS);
                let (outcomes, summary) = c
                    .bulk_upsert_iter(ObjectType::contacts(), (0..n).map(contact).collect::<Vec<_>>())
                    .collect_all()
                    .await;
                let requests = *requests.lock().unwrap_or_else(|p| p.into_inner());
                (outcomes, summary, requests)
            }
        });
        prop_assert_eq!(outcomes.len(), n);
        for (k, o) in outcomes.iter().enumerate() {
            prop_assert_eq!(o.position, k as u64);
            // The expected verdict: the first answer that is not "missing", within the attempts.
            let mut expected = "NOT_IN_RESPONSE";
            for a in 0..ATTEMPTS as usize {
                match script[k].get(a).copied().unwrap_or(Answer::Created) {
                    Answer::Created => { expected = "created"; break; }
                    Answer::Updated => { expected = "updated"; break; }
                    Answer::Error => { expected = "VALIDATION_ERROR"; break; }
                    Answer::Missing => {}
                }
            }
            let got = match &o.kind {
                OutcomeKind::Created { .. } => "created",
                OutcomeKind::Updated { .. } => "updated",
                OutcomeKind::Failed { category, .. } => category.as_str(),
                OutcomeKind::NotAttempted { .. } => "not attempted",
            };
            prop_assert_eq!(got, expected, "input {} script {:?}", k, &script[k]);
        }
        let count = |f: fn(&OutcomeKind) -> bool| outcomes.iter().filter(|o| f(&o.kind)).count() as u64;
        prop_assert_eq!(summary.created, count(|k| matches!(k, OutcomeKind::Created { .. })));
        prop_assert_eq!(summary.updated, count(|k| matches!(k, OutcomeKind::Updated { .. })));
        prop_assert_eq!(summary.failed, count(|k| matches!(k, OutcomeKind::Failed { .. })));
        prop_assert_eq!(summary.not_attempted, 0);
        prop_assert_eq!(summary.created + summary.updated + summary.failed, n as u64);
        prop_assert_eq!(summary.requests, requests);
    }

    #[test]
    fn repeated_keys_leave_the_in_order_final_state(
        seq in proptest::collection::vec((0usize..6, any::<bool>(), 0u32..1000), 1..250),
    ) {
        let inputs: Vec<UpsertInput> = seq
            .iter()
            .enumerate()
            .map(|(pos, (key, upper, value))| {
                let email = format!("key{key}@example.com");
                let email = if *upper { email.to_uppercase() } else { email };
                UpsertInput::new(email)
                    .id_property("email")
                    .property("firstname", format!("v{value}-{pos}"))
            })
            .collect();
        let (expected, actual, twice, all_ok) = block_on({
            let inputs = inputs.clone();
            async move {
                let mock = MockServer::builder().no_rate_limit().seed(3).start().await.expect("mock");
                let c = client(&mock.base_url(), RateLimit::new(10_000, Duration::from_secs(1)), 4, 3);
                let (outcomes, _) = c.bulk_upsert_iter(ObjectType::contacts(), inputs.clone()).collect_all().await;
                let all_ok = outcomes.iter().all(|o| o.kind.is_success());
                let expected = state::expected(&inputs, &outcomes);
                let (actual, twice) = state::actual(&mock);
                mock.shutdown().await;
                (expected, actual, twice, all_ok)
            }
        });
        prop_assert!(all_ok);
        prop_assert!(twice.is_empty());
        prop_assert_eq!(expected, actual);
    }
}
