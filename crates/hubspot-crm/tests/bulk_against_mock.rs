//! End-to-end runs of the bulk upsert against the embedded mock server over loopback HTTP.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hubspot_crm::{
    AccessToken, Client, NotAttemptedReason, ObjectType, OutcomeKind, RateLimit, RecordOutcome,
    RetryPolicy, UpsertInput,
};
use hubspot_crm_mock::{Fault, FaultPlan, MockServer};

fn client(base_url: &str, limit: RateLimit) -> Client {
    Client::builder()
        .base_url(base_url)
        .token(AccessToken::new("test-token"))
        .timeout(Duration::from_millis(1500))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(8)
                .base_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(200))
                .locked_delay(Duration::from_millis(50))
                .max_retry_after(Duration::from_secs(2)),
        )
        .rate_limit(limit)
        .concurrency(4)
        .build()
        .expect("client")
}

/// A mock with no rate limit, and a client pointed at it that paces far above any test's load.
async fn unlimited_mock_and_client() -> (MockServer, Client) {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = client(
        &mock.base_url(),
        RateLimit::new(1000, Duration::from_secs(1)),
    );
    (mock, client)
}

/// Each input exactly once, by position 0..n.
fn assert_one_outcome_each(outcomes: &[RecordOutcome], n: usize) {
    assert_eq!(outcomes.len(), n, "one outcome per input");
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.position, i as u64, "positions 0..{n} once each");
    }
}

/// What HubSpot should hold after applying, in input order, the inputs reported successful.
fn expected_state(
    inputs: &[UpsertInput],
    outcomes: &[RecordOutcome],
) -> BTreeMap<String, HashMap<String, String>> {
    let mut state: BTreeMap<String, HashMap<String, String>> = BTreeMap::new();
    for (input, outcome) in inputs.iter().zip(outcomes) {
        if outcome.kind.is_success() {
            let record = state.entry(input.id().to_lowercase()).or_default();
            for (k, v) in &input.as_api().properties {
                record.insert(k.to_string(), v.to_string());
            }
        }
    }
    state
}

fn actual_state(
    mock: &MockServer,
    keys: impl Iterator<Item = String>,
) -> BTreeMap<String, HashMap<String, String>> {
    let stored = mock.records("contacts");
    let by_email: HashMap<String, &hubspot_crm_mock::StoredRecord> = stored
        .iter()
        .filter_map(|r| r.properties.get("email").map(|e| (e.to_lowercase(), r)))
        .collect();
    let _ = keys;
    by_email
        .into_iter()
        .map(|(email, r)| {
            let props = r
                .properties
                .iter()
                .filter(|(k, _)| ["firstname", "lastname", "city"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (email, props)
        })
        .collect()
}

/// One of each fault class the mock can inject, except the daily limit (tested on its own).
fn every_fault() -> Vec<Fault> {
    vec![
        Fault::RateLimited429,
        Fault::Locked423,
        Fault::MigrationInProgress477 {
            retry_after_secs: 1,
        },
        Fault::InternalError500,
        Fault::BadGateway502,
        Fault::ServiceUnavailable503,
        Fault::GatewayTimeout504,
        Fault::OriginTimeout524,
        Fault::GatewayTimeout504.after_apply(),
        Fault::Latency(Duration::from_millis(300)),
        Fault::Stall(Duration::from_secs(3)),
        Fault::CloseConnection,
        Fault::CloseConnection.after_apply(),
        Fault::TruncatedBody,
        Fault::MalformedJson,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_records_with_duplicates_bad_records_and_every_fault() {
    let mock = MockServer::builder()
        .rate_limit(60, Duration::from_millis(500))
        .seed(11)
        .faults(FaultPlan::scripted(
            every_fault()
                .into_iter()
                .enumerate()
                .map(|(k, f)| (2 + 5 * k as u64, f)),
        ))
        .start()
        .await
        .expect("mock");
    let client = client(
        &mock.base_url(),
        RateLimit::new(60, Duration::from_millis(500)).margin(Duration::from_millis(60)),
    );

    let mut inputs = Vec::new();
    let mut bad_207 = Vec::new();
    let mut bad_400 = Vec::new();
    for i in 0..10_000usize {
        let input = if i % 97 == 5 {
            // Same contact as an earlier input, different case and values: the later must win.
            UpsertInput::new(format!("User{}@Example.com", i - 5))
                .id_property("email")
                .property("firstname", format!("second-{i}"))
                .property("city", "Paris")
        } else if i % 211 == 7 {
            bad_207.push(i);
            UpsertInput::new(format!("not-an-email-{i}"))
                .id_property("email")
                .property("firstname", "x")
        } else if i % 1999 == 11 {
            // A non-unique id property: HubSpot rejects the whole request with a 400.
            bad_400.push(i);
            UpsertInput::new(format!("Name{i}"))
                .id_property("firstname")
                .property("lastname", "x")
        } else {
            UpsertInput::new(format!("user{i}@example.com"))
                .id_property("email")
                .property("firstname", format!("first-{i}"))
                .property("lastname", i)
        };
        inputs.push(input);
    }

    let run = client.bulk_upsert_iter(ObjectType::contacts(), inputs.clone());
    let (outcomes, summary) = run.collect_all().await;
    assert_one_outcome_each(&outcomes, inputs.len());

    for &i in bad_207.iter().chain(&bad_400) {
        assert!(
            matches!(&outcomes[i].kind, OutcomeKind::Failed { cause, .. } if cause.code() == "VALIDATION_ERROR"),
            "input {i}: {:?}",
            outcomes[i].kind
        );
    }
    let failed: Vec<&RecordOutcome> = outcomes
        .iter()
        .filter(|o| matches!(o.kind, OutcomeKind::Failed { .. }))
        .collect();
    assert_eq!(
        failed.len(),
        bad_207.len() + bad_400.len(),
        "only the bad records fail: {failed:#?}"
    );
    assert_eq!(summary.failed as usize, failed.len());
    assert_eq!(summary.created + summary.updated + summary.failed, 10_000);
    assert!(summary.retries > 0, "faults were retried: {summary}");
    assert_eq!(
        summary.rate_limited,
        mock.counters().status(429),
        "429s were counted: {summary}"
    );
    let log = mock.request_log();
    // A stalled request is logged when the mock finishes it, after the client gave up on it.
    for fault in every_fault()
        .into_iter()
        .filter(|f| !matches!(f, Fault::Stall(_)))
    {
        assert!(
            log.iter().any(|r| r.fault.as_ref() == Some(&fault)),
            "{fault} was injected"
        );
    }

    let expected = expected_state(&inputs, &outcomes);
    let actual = actual_state(&mock, expected.keys().cloned());
    assert_eq!(actual.len(), expected.len());
    for (email, props) in &expected {
        let got = actual
            .get(email)
            .unwrap_or_else(|| panic!("{email} missing from the mock"));
        for (k, v) in props {
            assert_eq!(got.get(k), Some(v), "{email}.{k}");
        }
    }
    // Every request the client sent is within the rolling window; the mock never had to
    // refuse one on its own account (429s here are injected faults only).
    let injected_429 = log
        .iter()
        .filter(|r| r.fault == Some(Fault::RateLimited429))
        .count() as u64;
    assert_eq!(
        mock.counters().status(429),
        injected_429,
        "the pacer kept under the mock's limit"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn one_bad_record_in_a_whole_batch_400_fails_alone() {
    let (mock, client) = unlimited_mock_and_client().await;
    let inputs: Vec<UpsertInput> = (0..100)
        .map(|i| {
            if i == 42 {
                UpsertInput::new("Ada").id_property("firstname")
            } else {
                UpsertInput::new(format!("u{i}@example.com"))
                    .id_property("email")
                    .property("firstname", i)
            }
        })
        .collect();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_one_outcome_each(&outcomes, 100);
    assert!(matches!(outcomes[42].kind, OutcomeKind::Failed { .. }));
    assert_eq!(outcomes.iter().filter(|o| o.kind.is_success()).count(), 99);
    // 1 + two halves per level down to the bad record: at most 1 + 2 * 7.
    assert!(summary.requests <= 15, "{summary}");
    assert_eq!(summary.retries, 0);
    mock.shutdown().await;
}

#[tokio::test]
async fn daily_limit_stops_the_run_and_the_rest_is_not_attempted() {
    let mock = MockServer::builder()
        .no_rate_limit()
        .daily_quota(3)
        .start()
        .await
        .expect("mock");
    let client = client(
        &mock.base_url(),
        RateLimit::new(1000, Duration::from_secs(1)),
    );
    let inputs: Vec<UpsertInput> = (0..1000)
        .map(|i| UpsertInput::new(format!("u{i}@example.com")).id_property("email"))
        .collect();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_one_outcome_each(&outcomes, 1000);
    assert_eq!(summary.created, 300);
    let not_attempted = outcomes
        .iter()
        .filter(|o| {
            o.kind
                == OutcomeKind::NotAttempted {
                    reason: NotAttemptedReason::DailyLimitReached,
                }
        })
        .count() as u64;
    assert_eq!(summary.not_attempted, not_attempted);
    assert_eq!(
        summary.created + summary.failed + summary.not_attempted,
        1000
    );
    // The daily 429 is never retried.
    assert_eq!(summary.retries, 0);
    assert!(mock.counters().status(429) <= 4, "{:?}", mock.counters());
    mock.shutdown().await;
}

#[tokio::test]
async fn refused_token_fails_the_batch_and_stops_the_run_without_leaking() {
    let mock = MockServer::builder()
        .valid_tokens(["good"])
        .start()
        .await
        .expect("mock");
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("bad-SECRET-token"))
        .build()
        .expect("client");
    let inputs: Vec<UpsertInput> = (0..250)
        .map(|i| UpsertInput::new(format!("u{i}@example.com")).id_property("email"))
        .collect();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_one_outcome_each(&outcomes, 250);
    assert_eq!(summary.created, 0);
    assert_eq!(mock.counters().status(401), summary.requests);
    assert!(
        summary.requests <= 4,
        "stopped after the first 401s: {summary}"
    );
    assert!(!format!("{outcomes:?} {summary:?} {client:?}").contains("SECRET"));
    mock.shutdown().await;
}

#[tokio::test]
async fn a_non_unique_id_property_shared_by_the_batch_fails_it_without_bisection() {
    let (mock, client) = unlimited_mock_and_client().await;
    // `firstname` is not a unique property: HubSpot rejects every request that uses it as
    // the id property, whatever the records.
    let inputs: Vec<UpsertInput> = (0..250)
        .map(|i| {
            UpsertInput::new(format!("Name{i}"))
                .id_property("firstname")
                .property("lastname", i)
        })
        .collect();
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_one_outcome_each(&outcomes, 250);
    for outcome in &outcomes {
        match &outcome.kind {
            OutcomeKind::Failed {
                cause,
                message,
                retried,
                ..
            } => {
                assert_eq!(cause.code(), "VALIDATION_ERROR");
                assert!(
                    message.starts_with("Unable to perform update/upsert by non-unique"),
                    "{message}"
                );
                assert!(message.contains("property firstname"), "{message}");
                assert!(!retried);
            }
            other => panic!("input {} ended {other:?}", outcome.position),
        }
    }
    // One request per batch of 100 (3 batches), none split; bisecting would cost ~2 per input.
    assert_eq!(summary.requests, 3, "{summary}");
    assert_eq!(mock.counters().status(400), 3);
    assert!(mock.records("contacts").is_empty());
    mock.shutdown().await;
}

#[tokio::test]
async fn outcomes_carry_hubspots_results_and_errors_whole() {
    let (mock, client) = unlimited_mock_and_client().await;
    let inputs = vec![
        UpsertInput::new("Ada@Example.com")
            .id_property("email")
            .property("firstname", "Ada"),
        UpsertInput::new("not an email@example.com")
            .id_property("email")
            .property("firstname", "Bo"),
    ];
    let (first, _) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs.clone())
        .collect_all()
        .await;
    assert_one_outcome_each(&first, 2);
    let OutcomeKind::Created { record_id, record } = &first[0].kind else {
        panic!("input 0 ended {:?}", first[0].kind);
    };
    assert_eq!(record_id, &record.id);
    assert!(record.new && !record.archived);
    assert_eq!(
        record.object_write_trace_id.as_deref(),
        Some(first[0].trace_id.as_str())
    );
    assert!(record.created_at <= record.updated_at);
    assert_eq!(
        record.properties.get("email").cloned().flatten().as_deref(),
        Some("ada@example.com"),
        "HubSpot's echo, lower-cased"
    );
    assert_eq!(
        record
            .properties
            .get("firstname")
            .cloned()
            .flatten()
            .as_deref(),
        Some("Ada")
    );
    assert_eq!(
        record
            .properties
            .get("hs_object_id")
            .cloned()
            .flatten()
            .as_deref(),
        Some(record_id.as_str())
    );

    let OutcomeKind::Failed {
        cause,
        error: Some(error),
        ..
    } = &first[1].kind
    else {
        panic!("input 1 ended {:?}", first[1].kind);
    };
    assert_eq!(cause.code(), "VALIDATION_ERROR");
    assert!(
        matches!(**error, hubspot_crm::HubSpotError::Input(_)),
        "{error:?}"
    );
    assert_eq!(error.category(), Some("VALIDATION_ERROR"));
    assert_eq!(error.codes().collect::<Vec<_>>(), ["INVALID_EMAIL"]);
    assert_eq!(
        error.context().get("objectWriteTraceId"),
        Some(&vec![first[1].trace_id.clone()])
    );
    assert_eq!(
        error.context().get("propertyName"),
        Some(&vec!["email".to_string()])
    );

    // Again: the same record is updated; HubSpot's creation time stays, its update time moves on.
    let (second, _) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs.into_iter().take(1))
        .collect_all()
        .await;
    let OutcomeKind::Updated { record: again, .. } = &second[0].kind else {
        panic!("input 0 ended {:?}", second[0].kind);
    };
    assert_eq!(again.id, record.id);
    assert!(!again.new);
    assert_eq!(again.created_at, record.created_at);
    assert!(again.updated_at >= record.updated_at);
    mock.shutdown().await;
}
