//! HubSpot 2026-09 drops the 207 response and puts `errors` and `numErrors` into the 200 body.
//! The client reads errors from whichever success body arrives, so a 200 that carries errors
//! still maps every input to its own outcome. The embedded mock answers a 2026-09 batch in
//! that shape, over loopback HTTP: inputs whose email is invalid fail, the others are created,
//! and its results come in an order other than the inputs'.

use hubspot_crm::{
    AccessToken, Client, ObjectType, OutcomeKind, RateLimit, RetryPolicy, UpsertInput, V2026_09,
};
use hubspot_crm_mock::MockServer;
use std::time::Duration;

mod common;
use common::failure_category;

#[tokio::test]
async fn errors_in_a_200_body_fail_their_own_inputs_only() {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = Client::builder()
        .api_version(V2026_09)
        .base_url(mock.base_url())
        .token(AccessToken::new("token-2026-09"))
        .retry_policy(RetryPolicy::never())
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client");
    let inputs = vec![
        UpsertInput::new("ada@example.com").id_property("email"),
        UpsertInput::new("bad-1-at-example.com").id_property("email"),
        UpsertInput::new("grace@example.com").id_property("email"),
        UpsertInput::new("bad-2-at-example.com").id_property("email"),
    ];
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;

    let log = mock.request_log();
    assert_eq!(log.len(), 1, "one batch, no retry");
    assert_eq!(summary.requests, 1, "{summary}");
    assert_eq!(log[0].api_version, hubspot_crm_mock::ApiVersion::V2026_09);
    assert_eq!(log[0].status, Some(200), "a 200, not a 207");
    assert_eq!(outcomes.len(), 4);
    let positions: Vec<u64> = outcomes.iter().map(|o| o.position).collect();
    assert_eq!(positions, vec![0, 1, 2, 3]);
    let stored = mock.records("contacts");
    for outcome in &outcomes {
        match (&outcome.kind, outcome.id.starts_with("bad")) {
            (OutcomeKind::Created { record_id, .. }, false) => {
                let record = stored
                    .iter()
                    .find(|r| r.id == *record_id)
                    .unwrap_or_else(|| panic!("{record_id} is not in the mock"));
                assert_eq!(
                    record.properties.get("email"),
                    Some(&outcome.id),
                    "the record created for {}",
                    outcome.id
                );
            }
            (
                OutcomeKind::Failed {
                    message,
                    retried,
                    error,
                    ..
                },
                true,
            ) => {
                assert_eq!(
                    failure_category(&outcome.kind).as_deref(),
                    Some("VALIDATION_ERROR")
                );
                let error = error.as_deref().expect("HubSpot's error for the input");
                assert_eq!(error.message(), Some(message.as_str()));
                assert!(
                    message.contains(&format!("Email address {} is invalid", outcome.id)),
                    "{message}"
                );
                assert_eq!(
                    error.context().get("objectWriteTraceId"),
                    Some(&vec![outcome.trace_id.clone()])
                );
                assert!(!retried);
            }
            (other, _) => panic!("input {} ended {other:?}", outcome.id),
        }
    }
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (
            summary.created,
            summary.updated,
            summary.failed,
            summary.not_attempted
        ),
        (2, 0, 2, 0)
    );
    mock.shutdown().await;
}
