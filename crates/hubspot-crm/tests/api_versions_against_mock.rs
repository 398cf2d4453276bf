//! The same bulk run at each API version, against the embedded mock over loopback HTTP: the
//! requests go to the version's path, the mock answers in that version's shape (2026-03: a 207
//! for a partial success; 2026-09: a 200 with `errors`), and the outcomes are the same.

use std::time::Duration;

use hubspot_crm::{
    AccessToken, ApiVersion, Client, ObjectType, OutcomeKind, RateLimit, RecordOutcome,
    RetryPolicy, UpsertInput, UpsertedRecord, V2026_03, V2026_09,
};
use hubspot_crm_mock::MockServer;

/// 250 contacts: every tenth has an invalid email, and the first 20 are sent twice (updated).
fn inputs() -> Vec<UpsertInput> {
    (0..250)
        .chain(0..20)
        .map(|i| {
            let email = if i % 10 == 9 {
                format!("not-an-email-{i}")
            } else {
                format!("user{i}@example.com")
            };
            UpsertInput::new(email)
                .id_property("email")
                .property("firstname", format!("User {i}"))
        })
        .collect()
}

/// (created, updated, failed with their categories) of a run at version `V`, and the version of
/// every request the mock saw.
async fn run<V: ApiVersion>() -> (Vec<RecordOutcome<V>>, Vec<hubspot_crm_mock::ApiVersion>) {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = Client::builder()
        .api_version(V::default())
        .base_url(mock.base_url())
        .token(AccessToken::new("test-token"))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(10)))
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client");
    assert_eq!(client.api_version(), V::NAME);
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs())
        .collect_all()
        .await;
    assert_eq!(summary.inputs, 270, "{summary}");
    assert_eq!(summary.retries, 0, "{}: {summary}", V::NAME);
    let versions = mock
        .request_log()
        .into_iter()
        .map(|r| r.api_version)
        .collect();
    mock.shutdown().await;
    (outcomes, versions)
}

/// A comparable line per outcome: kind, HubSpot's category, and for records whether created.
fn digest<V: ApiVersion>(outcomes: &[RecordOutcome<V>]) -> Vec<String> {
    outcomes
        .iter()
        .map(|o| match &o.kind {
            OutcomeKind::Created { record, .. } => format!("created new={}", record.is_new()),
            OutcomeKind::Updated { record, .. } => format!("updated new={}", record.is_new()),
            OutcomeKind::Failed { cause, .. } => format!("failed {cause}"),
            OutcomeKind::Unchanged { .. } => "unchanged".to_string(),
            OutcomeKind::NotAttempted { reason } => format!("not attempted {reason}"),
        })
        .collect()
}

#[tokio::test]
async fn both_versions_reach_their_own_path_and_end_every_input_the_same_way() {
    let (old, old_paths) = run::<V2026_03>().await;
    let (new, new_paths) = run::<V2026_09>().await;
    assert!(!old_paths.is_empty() && !new_paths.is_empty());
    assert!(
        old_paths
            .iter()
            .all(|v| *v == hubspot_crm_mock::ApiVersion::V2026_03)
    );
    assert!(
        new_paths
            .iter()
            .all(|v| *v == hubspot_crm_mock::ApiVersion::V2026_09)
    );
    let old = digest(&old);
    assert_eq!(old, digest(&new));
    let count = |what: &str| old.iter().filter(|line| line.starts_with(what)).count();
    assert_eq!(count("created"), 225);
    assert_eq!(count("updated"), 18);
    assert_eq!(count("failed VALIDATION_ERROR"), 27);
}

#[tokio::test]
async fn a_2026_09_partial_success_maps_each_error_to_its_input() {
    let (outcomes, _) = run::<V2026_09>().await;
    for outcome in &outcomes {
        let invalid = outcome.id.starts_with("not-an-email");
        match &outcome.kind {
            OutcomeKind::Failed { error, .. } => {
                assert!(invalid, "{} failed: {:?}", outcome.id, outcome.kind);
                let error = error
                    .as_ref()
                    .expect("HubSpot's error travels with the outcome");
                assert_eq!(error.category(), Some("VALIDATION_ERROR"));
                assert_eq!(
                    error.context().get("objectWriteTraceId"),
                    Some(&vec![outcome.trace_id.clone()])
                );
            }
            kind => assert!(!invalid && kind.is_success(), "{}: {kind:?}", outcome.id),
        }
    }
}
