//! HubSpot's whole-request 409 `CONFLICT`, end to end: 250 contacts upserted by a custom
//! unique property, one of them with an email another contact already holds. The client
//! splits the 409 like a whole-batch 400, so only that one input fails, with HubSpot's
//! category and message, in a bounded number of requests. Also: the client never sends a
//! request without inputs.

use hubspot_crm::{AccessToken, Client, HubSpotError, ObjectType, OutcomeKind, UpsertInput};
use hubspot_crm_mock::{FIRST_RECORD_ID, MockServer};
use hubspot_reliability::audit::audit;

const N: usize = 250;
const CONFLICTING: usize = 137;
const HOLDER_EMAIL: &str = "holder@example.com";

fn inputs() -> Vec<UpsertInput> {
    (0..N)
        .map(|i| {
            let email = if i == CONFLICTING {
                HOLDER_EMAIL.to_owned()
            } else {
                format!("contact{i}@example.com")
            };
            UpsertInput::new(format!("ext-{i}"))
                .id_property("contact_external_id")
                .property("email", email)
                .property("firstname", format!("first-{i}"))
        })
        .collect()
}

#[tokio::test]
async fn one_conflicting_contact_in_250_fails_alone_in_a_bounded_number_of_requests() {
    let mock = MockServer::builder()
        .existing_record(
            "contacts",
            [("email", HOLDER_EMAIL), ("firstname", "Holder")],
        )
        .start()
        .await
        .expect("mock starts");
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("conflict-test-token"))
        .build()
        .expect("client");

    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs())
        .collect_all()
        .await;

    assert_eq!(outcomes.len(), N);
    assert_eq!(
        (summary.created, summary.updated, summary.failed),
        (249, 0, 1),
        "{summary}"
    );
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o.kind, OutcomeKind::Failed { .. }))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].position, CONFLICTING as u64);
    let OutcomeKind::Failed {
        cause,
        message,
        correlation_id,
        retried,
        error,
    } = &failed[0].kind
    else {
        unreachable!("filtered on Failed");
    };
    assert_eq!(cause.code(), "CONFLICT");
    assert_eq!(
        message,
        &format!("Contact already exists. Existing ID: {FIRST_RECORD_ID}")
    );
    assert!(correlation_id.is_some());
    // The outcome carries HubSpot's whole-request error as it was sent.
    let error = error.as_deref().expect("the 409 carries HubSpot's error");
    assert!(matches!(error, HubSpotError::Request(_)));
    assert_eq!(error.category(), Some("CONFLICT"));
    assert_eq!(error.message(), Some(message.as_str()));
    // `retried` says the input was sent more than once: here in each bisection half. That
    // the 409 on it alone was final (never resent) is the audit's check below.
    assert!(*retried);

    // Three batches (100, 100, 50); the one holding the conflict is halved down to the
    // conflicting input: 2 requests per level over ⌈log2 100⌉ = 7 levels.
    let batches = N.div_ceil(100) as u64;
    let bound = batches + 2 * 7;
    let log = mock.request_log();
    let a = audit(&log, 6);
    println!(
        "CONFLICT_CASE requests={} bound={bound} statuses={:?}",
        summary.requests, a.by_status
    );
    assert_eq!(a.requests, summary.requests);
    assert!(
        summary.requests <= bound,
        "{} requests, bound {bound}",
        summary.requests
    );
    assert!(a.violations.is_empty(), "{:?}", a.violations);
    assert_eq!(summary.retries, 0);
    // Input 37 of its batch sits in halves of 100, 50, 25, 13, 6, 3 and 1 inputs: seven 409s;
    // the six other halves and the two other batches are 200s.
    assert_eq!(
        a.by_status.get("409").copied(),
        Some(7),
        "{:?}",
        a.by_status
    );
    assert_eq!(
        a.by_status.get("200").copied(),
        Some(8),
        "{:?}",
        a.by_status
    );
    assert_eq!(summary.requests, 15);
    assert!(
        log.iter().all(|r| r.inputs > 0),
        "a request without inputs was sent"
    );

    // The holder keeps its email; the 249 others exist with theirs.
    let records = mock.records("contacts");
    assert_eq!(records.len(), 250);
    let holder = records
        .iter()
        .find(|r| r.properties.get("email").map(String::as_str) == Some(HOLDER_EMAIL))
        .expect("the holder");
    assert_eq!(holder.id, FIRST_RECORD_ID.to_string());
    assert_eq!(
        holder.properties.get("firstname").map(String::as_str),
        Some("Holder")
    );
    assert!(!holder.properties.contains_key("contact_external_id"));
    mock.shutdown().await;
}

#[tokio::test]
async fn the_client_never_sends_a_request_without_inputs() {
    let mock = MockServer::start().await.expect("mock starts");
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("empty-test-token"))
        .build()
        .expect("client");
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), Vec::<UpsertInput>::new())
        .collect_all()
        .await;
    assert!(outcomes.is_empty());
    assert_eq!(summary.requests, 0);
    assert_eq!(mock.counters().requests, 0);

    // Bisection never produces an empty half either: every request of a run that splits
    // (one input names a non-unique id property: a whole-batch 400) holds at least one input.
    let inputs: Vec<UpsertInput> = (0..7)
        .map(|i| match i {
            3 => UpsertInput::new("Name3").id_property("firstname"),
            _ => UpsertInput::new(format!("e{i}@example.com")).id_property("email"),
        })
        .collect();
    let (_, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_eq!((summary.created, summary.failed), (6, 1));
    let log = mock.request_log();
    assert!(
        log.iter().any(|r| r.status == Some(400) && r.inputs > 1),
        "the run split"
    );
    assert_eq!(log.len() as u64, summary.requests);
    assert!(log.iter().all(|r| r.inputs > 0), "{log:?}");
    mock.shutdown().await;
}
