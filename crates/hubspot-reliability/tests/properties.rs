//! Property tests (proptest), each over a small number of cases so the suite stays fast:
//! - the pacer never lets more than N requests into any rolling window (the mock's own
//!   window is the judge), for random mixes of concurrent runs, sizes and concurrency;
//! - backoff delays stay within [0, cap];
//! - accounting is exact for random combinations of results, 207 errors and inputs missing
//!   from the response (a scripted loopback server answers each input as the case says);
//! - random input sequences with repeated keys leave the in-order final state;
//! - whatever value the client's `PropertySchema` accepts, the mock's value rules accept, for
//!   single values and through a checked bulk run over loopback HTTP.

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
            let code;
            let got = match &o.kind {
                OutcomeKind::Created { .. } => "created",
                OutcomeKind::Updated { .. } => "updated",
                OutcomeKind::Failed { cause, .. } => {
                    code = cause.code();
                    code.as_ref()
                }
                OutcomeKind::NotAttempted { .. } => "not attempted",
                OutcomeKind::Unchanged { .. } => "unchanged",
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

/// The example property definitions for contacts, read by each side with its own parser.
const CONTACTS_PROPERTIES: &str = include_str!("../../../examples/contacts-properties.json");

/// A property of the example file and a value for it, often close to valid: the cases where
/// a checker is most likely to be wrong (whitespace, labels in any case, dates at the edge of
/// the calendar, epoch values near midnight, multiple options with stray separators).
fn property_and_value() -> impl Strategy<Value = (&'static str, String)> {
    let pad = || prop_oneof![3 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just("  ")];
    let padded = move |s: BoxedStrategy<String>| {
        (pad(), s, pad())
            .prop_map(|(a, s, b)| format!("{a}{s}{b}"))
            .boxed()
    };
    let number = padded(
        prop_oneof![
            "-?[0-9]{1,7}(\\.[0-9]{1,4})?",
            "[-+]?[0-9]{0,4}\\.?[0-9]{0,3}",
            "[0-9]{1,3}(,[0-9]{3})?",
            "[0-9]e[0-9]",
        ]
        .boxed(),
    );
    let day = (0u32..3000, 0u32..14, 0u32..33)
        .prop_map(|(y, m, d)| format!("{:04}-{m:02}-{d:02}", y + 200));
    let epoch_day = (
        -40_000i64..40_000,
        prop_oneof![4 => Just(0i64), 1 => -5_000i64..5_000, 1 => Just(36_000_000i64)],
    )
        .prop_map(|(days, off)| (days * 86_400_000 + off).to_string());
    let seconds = (0i64..2_000_000_000).prop_map(|s| s.to_string());
    let rfc3339 = (
        1900u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        prop_oneof![Just("Z"), Just("+02:00"), Just(""), Just(".5Z")],
    )
        .prop_map(|(y, mo, d, h, mi, z)| format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{z}"));
    let date = padded(
        prop_oneof![
            day.clone(),
            epoch_day.clone(),
            seconds.clone(),
            rfc3339.clone(),
            "[0-9/ -]{0,10}"
        ]
        .boxed(),
    );
    let datetime =
        padded(prop_oneof![day, epoch_day, seconds, rfc3339, "[0-9T:.Z-]{0,12}"].boxed());
    let boolean = padded(
        prop_oneof![
            Just("true".to_string()),
            Just("false".to_string()),
            Just("TRUE".to_string()),
            Just("Yes".to_string()),
            Just("no".to_string()),
            "[a-z]{0,4}",
        ]
        .boxed(),
    );
    let stage_words = [
        "subscriber",
        "lead",
        "Lead",
        "LEAD",
        "Sales Qualified Lead",
        "sales qualified lead",
        "customer",
        "Customer",
        "Evangelist",
        "other",
        "Client",
        "",
    ];
    let stage = padded(
        proptest::sample::select(stage_words.to_vec())
            .prop_map(str::to_string)
            .boxed(),
    );
    let role_words = [
        "CHAMPION", "Champion", "END_USER", "end user", "End User", "BLOCKER", "Boss", "",
    ];
    let roles = proptest::collection::vec(
        (proptest::sample::select(role_words.to_vec()), pad(), pad()),
        1..4,
    )
    .prop_map(|items| {
        items
            .iter()
            .map(|(w, a, b)| format!("{a}{w}{b}"))
            .collect::<Vec<_>>()
            .join(";")
    });
    let text = "[ -~]{0,12}";
    prop_oneof![
        number.clone().prop_map(|v| ("seats", v)),
        number.prop_map(|v| ("annual_budget", v)),
        date.prop_map(|v| ("contract_start_date", v)),
        datetime.prop_map(|v| ("last_webinar_at", v)),
        boolean.prop_map(|v| ("newsletter_opt_in", v)),
        stage.prop_map(|v| ("lifecyclestage", v)),
        roles.prop_map(|v| ("hs_buying_role", v)),
        text.prop_map(|v| ("firstname", v)),
        text.prop_map(|v| ("phone", v)),
        "[0-9]{0,3}".prop_map(|v| ("hs_object_id", v)),
        "[a-z]{0,3}".prop_map(|v| ("shoe_size", v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Whatever value the client's `PropertySchema` lets through (normalized), the mock's own
    /// value rules accept. The two are written separately; this is where they must agree.
    #[test]
    fn what_the_client_checker_accepts_the_mock_accepts((name, value) in property_and_value()) {
        let client_side = hubspot_crm::property_schema::PropertySchema::from_json(CONTACTS_PROPERTIES).expect("client reads");
        let mock_side = hubspot_crm_mock::PropertyDefinitions::from_json(CONTACTS_PROPERTIES).expect("mock reads");
        if let Ok(checked) = client_side.check_value(name, &value) {
            let judged = mock_side.judge(name, &checked.value);
            prop_assert!(
                judged.is_ok(),
                "{}={:?} (sent as {:?}) passed the client and the mock refused it: {:?}",
                name, value, checked.value, judged
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The same over loopback HTTP, through a bulk run with the schema: every input the
    /// client sends is applied by the mock, and exactly the inputs its checker refuses end
    /// `PROPERTY_CHECK` without being sent.
    #[test]
    fn a_checked_run_never_meets_a_value_error_at_the_mock(
        cases in proptest::collection::vec(proptest::collection::vec(property_and_value(), 1..4), 1..60)
    ) {
        let schema = hubspot_crm::property_schema::PropertySchema::from_json(CONTACTS_PROPERTIES).expect("client reads");
        let inputs: Vec<UpsertInput> = cases
            .iter()
            .enumerate()
            .map(|(i, props)| {
                contact(i).properties(props.iter().map(|(n, v)| (*n, v.clone())))
            })
            .collect();
        // An input holds each name once (the last value given), as it is checked.
        let refused_by_client: Vec<bool> =
            inputs.iter().map(|input| schema.check(input.clone()).is_err()).collect();
        let (outcomes, received) = block_on(async move {
            let mock = MockServer::builder().no_rate_limit().start().await.expect("mock");
            let c = client(&mock.base_url(), RateLimit::new(10_000, Duration::from_secs(1)), 2, 1);
            let run = c.bulk_upsert_with_schema(
                ObjectType::contacts(),
                Arc::new(schema),
                futures::stream::iter(inputs),
            );
            let (outcomes, _) = run.collect_all().await;
            let received = mock.counters().inputs_received;
            mock.shutdown().await;
            (outcomes, received)
        });
        let sent = refused_by_client.iter().filter(|r| !**r).count() as u64;
        prop_assert_eq!(received, sent);
        for (outcome, refused) in outcomes.iter().zip(&refused_by_client) {
            match &outcome.kind {
                OutcomeKind::Failed { cause, .. } if *refused => {
                    prop_assert_eq!(cause, &hubspot_crm::FailureCause::PropertyCheck);
                }
                kind => prop_assert!(kind.is_success() && !refused, "input {}: {:?}", outcome.position, kind),
            }
        }
    }
}
