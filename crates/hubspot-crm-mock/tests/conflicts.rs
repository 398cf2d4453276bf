//! Unique values beyond the id property (409 `CONFLICT` for the whole request), records that
//! exist before the server starts, and the empty-`inputs` no-op, over loopback HTTP.

mod common;

use common::*;
use hubspot_crm_mock::{FIRST_RECORD_ID, MockError, MockServer};
use serde_json::{Value, json};

/// A contact upserted by the custom unique property `contact_external_id`.
fn by_external_id(external: &str, props: &[(&str, &str)]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    json!({"id": external, "idProperty": "contact_external_id", "properties": properties})
}

async fn with_existing_contact() -> MockServer {
    MockServer::builder()
        .existing_record(
            "contacts",
            [("email", "Taken@X.com"), ("firstname", "Owner")],
        )
        .start()
        .await
        .expect("mock starts")
}

#[tokio::test]
async fn taking_another_records_email_fails_the_whole_request_with_409() {
    let mock = with_existing_contact().await;
    let owner = mock.records("contacts");
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].id, FIRST_RECORD_ID.to_string());
    assert_eq!(
        owner[0].properties["email"], "taken@x.com",
        "stored lower-cased"
    );

    let reply = upsert(
        &mock,
        "contacts",
        &batch(vec![
            traced(by_external_id("ext-1", &[("firstname", "Fine")]), "t-1"),
            traced(by_external_id("ext-2", &[("email", "TAKEN@x.com")]), "t-2"),
        ]),
    )
    .await;
    assert_eq!(reply.status, 409);
    let error = reply.error();
    assert_eq!(error.category.as_deref(), Some("CONFLICT"));
    assert_eq!(
        reply.message(),
        format!("Contact already exists. Existing ID: {FIRST_RECORD_ID}")
    );
    assert_eq!(
        error.context["existingId"],
        vec![FIRST_RECORD_ID.to_string()]
    );
    assert_eq!(error.context["propertyName"], vec!["email".to_owned()]);
    assert!(error.correlation_id.is_some());
    // Nothing of the request was applied, not even the input that was fine.
    assert_eq!(mock.records("contacts").len(), 1);
    assert_eq!(mock.counters().status(409), 1);
    assert!(mock.request_log().iter().all(|r| !r.applied));

    // Alone, the fine input goes through.
    let fine = upsert(
        &mock,
        "contacts",
        &batch(vec![by_external_id("ext-1", &[("firstname", "Fine")])]),
    )
    .await;
    assert_eq!(fine.status, 200);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_record_keeping_or_moving_its_own_unique_value_is_no_conflict() {
    let mock = with_existing_contact().await;
    // The owner, found by email, gets an external id ...
    let first = upsert(
        &mock,
        "contacts",
        &batch(vec![contact(
            "taken@x.com",
            &[("contact_external_id", "ext-9")],
        )]),
    )
    .await;
    assert_eq!(first.status, 200);
    assert!(!first.ok().results[0].new);
    // ... and, found by that external id, may write its own email again.
    let again = upsert(
        &mock,
        "contacts",
        &batch(vec![by_external_id("ext-9", &[("email", "taken@x.com")])]),
    )
    .await;
    assert_eq!(again.status, 200);
    // It may move to a new email, after which the old one is free for another record.
    let moved = upsert(
        &mock,
        "contacts",
        &batch(vec![by_external_id("ext-9", &[("email", "moved@x.com")])]),
    )
    .await;
    assert_eq!(moved.status, 200);
    let other = upsert(
        &mock,
        "contacts",
        &batch(vec![by_external_id("ext-10", &[("email", "taken@x.com")])]),
    )
    .await;
    assert_eq!(other.status, 200, "{:?}", other.body);
    assert!(other.ok().results[0].new);
    // Clearing a unique property ("") never conflicts.
    let cleared = upsert(
        &mock,
        "contacts",
        &batch(vec![
            by_external_id("ext-11", &[("email", "")]),
            by_external_id("ext-12", &[("email", "")]),
        ]),
    )
    .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(mock.records("contacts").len(), 4);
    mock.shutdown().await;
}

#[tokio::test]
async fn two_inputs_claiming_one_unique_value_conflict_within_the_batch() {
    let mock = MockServer::start().await.expect("mock starts");
    let reply = upsert(
        &mock,
        "contacts",
        &batch(vec![
            contact("new@x.com", &[]),
            by_external_id("ext-1", &[("email", "new@x.com")]),
        ]),
    )
    .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error().category.as_deref(), Some("CONFLICT"));
    assert!(
        reply
            .message()
            .contains("Two inputs of this batch give email the value new@x.com")
    );
    assert!(mock.records("contacts").is_empty());
    mock.shutdown().await;
}

#[tokio::test]
async fn a_body_without_inputs_is_a_complete_no_op() {
    let mock = MockServer::start().await.expect("mock starts");
    for body in [json!({}), json!({"inputs": []})] {
        let reply = send_bytes(
            &mock,
            "/crm/objects/2026-03/contacts/batch/upsert",
            Some(TOKEN),
            serde_json::to_vec(&body).expect("json"),
        )
        .await;
        assert_eq!(reply.status, 200, "{body}");
        let ok = reply.ok();
        assert_eq!(ok.status, "COMPLETE");
        assert!(ok.results.is_empty());
    }
    assert!(mock.records("contacts").is_empty());
    let log = mock.request_log();
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|r| r.inputs == 0 && !r.applied && r.status == Some(200))
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn an_existing_record_that_cannot_be_stored_is_named() {
    let unknown = MockServer::builder()
        .existing_record("widgets", [("name", "w")])
        .start()
        .await;
    assert!(
        matches!(&unknown, Err(MockError::ExistingRecord { index: 0, .. })),
        "{unknown:?}"
    );
    let keyless = MockServer::builder()
        .existing_record("contacts", [("email", "a@x.com")])
        .existing_record("contacts", [("firstname", "no key")])
        .start()
        .await;
    let Err(err) = keyless else {
        panic!("a record without a unique property must be refused");
    };
    let text = err.to_string();
    assert!(text.contains("record #1"), "{text}");
    assert!(
        text.contains("none of the unique properties of contacts"),
        "{text}"
    );
}
