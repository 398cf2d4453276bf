//! The pre-send checks against the embedded mock over loopback HTTP: inputs a
//! `PropertySchema` refuses end `Failed` with `PROPERTY_CHECK` and never reach the mock;
//! normalized inputs are accepted by the mock's own value rules, and the outcome lists the
//! changes.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use hubspot_crm::property_schema::{Normalization, PropertySchema};
use hubspot_crm::{
    AccessToken, Clear, Client, FailureCause, ObjectType, OutcomeKind, RateLimit, UpsertInput,
};
use hubspot_crm_mock::MockServer;

fn example_schema() -> PropertySchema {
    PropertySchema::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/contacts-properties.json"
    ))
    .expect("the example schema reads")
}

fn builder(base: &str) -> hubspot_crm::ClientBuilder {
    Client::builder()
        .base_url(base)
        .token(AccessToken::new("schema-test"))
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)))
}

fn contact(i: usize) -> UpsertInput {
    UpsertInput::new(format!("c{i}@example.com")).id_property("email")
}

#[tokio::test]
async fn refused_inputs_cost_no_request_and_labels_are_sent_as_values() {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = builder(&mock.base_url())
        .property_schema(ObjectType::contacts(), example_schema())
        .build()
        .expect("client");
    let inputs = vec![
        contact(0)
            .property("lifecyclestage", "Sales Qualified Lead")
            .property("contract_start_date", NaiveDate::from_ymd_opt(2026, 3, 1))
            .property("seats", " 12 "),
        contact(1).property("contract_start_date", "2026-02-30"),
        contact(2).property("lifecyclestage", "Prospect"),
        contact(3).property("hs_object_id", 4),
        contact(4).property("annual_budget", f64::NAN),
        contact(5)
            .property("firstname", "Eve")
            .property("seats", Clear),
    ];
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_eq!(summary.requests, 1, "one request, for the two valid inputs");
    assert_eq!(mock.counters().inputs_received, 2);
    assert!(outcomes[0].kind.is_success(), "{:?}", outcomes[0].kind);
    assert_eq!(
        outcomes[0].normalized,
        [
            Normalization::OptionLabel {
                property: "lifecyclestage".into(),
                label: "Sales Qualified Lead".into(),
                value: "salesqualifiedlead".into(),
            },
            Normalization::Trimmed {
                property: "seats".into()
            },
        ]
    );
    let stored = mock.records("contacts");
    let first = stored
        .iter()
        .find(|r| r.properties.get("email").map(String::as_str) == Some("c0@example.com"))
        .expect("c0 stored");
    assert_eq!(first.properties["lifecyclestage"], "salesqualifiedlead");
    assert_eq!(first.properties["contract_start_date"], "2026-03-01");
    assert_eq!(first.properties["seats"], "12");
    assert!(outcomes[5].kind.is_success());
    let refused: Vec<(usize, &str)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match &o.kind {
            OutcomeKind::Failed {
                cause,
                message,
                retried,
                correlation_id,
                error,
            } => {
                assert_eq!(cause, &FailureCause::PropertyCheck);
                assert!(!retried);
                assert!(correlation_id.is_none());
                // Refused before sending: HubSpot sent no error.
                assert!(error.is_none());
                Some((i, message.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        [
            (
                1,
                "refused before sending: INVALID_DATE `contract_start_date`: \"2026-02-30\" is not a day of the calendar"
            ),
            (
                2,
                "refused before sending: INVALID_OPTION `lifecyclestage`: \"Prospect\" is not an option (by value or label); options: subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other"
            ),
            (
                3,
                "refused before sending: READ_ONLY `hs_object_id`: its value is read-only in HubSpot"
            ),
            (
                4,
                "refused before sending: UNWRITABLE_VALUE `annual_budget`: NaN is not a number HubSpot can store (NaN and infinities are refused)"
            ),
        ]
    );
    assert_eq!(summary.failed, 4);
    mock.shutdown().await;
}

#[tokio::test]
async fn without_a_schema_the_mock_judges_and_a_per_run_schema_refuses_first() {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = builder(&mock.base_url()).build().expect("client");
    let bad = || vec![contact(0).property("lifecyclestage", "Customer")];
    // No schema: sent, and the mock refuses the label as HubSpot does.
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), bad())
        .collect_all()
        .await;
    assert_eq!(summary.requests, 1);
    match &outcomes[0].kind {
        OutcomeKind::Failed { cause, message, .. } => {
            assert_eq!(cause.code(), "VALIDATION_ERROR");
            assert!(message.contains("INVALID_OPTION"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // A schema for this run only: the label is sent as its value.
    let schema = Arc::new(example_schema());
    let run = client.bulk_upsert_with_schema(
        ObjectType::contacts(),
        schema,
        futures::stream::iter(bad()),
    );
    let (outcomes, summary) = run.collect_all().await;
    assert_eq!(summary.requests, 1);
    assert!(outcomes[0].kind.is_success(), "{:?}", outcomes[0].kind);
    assert_eq!(outcomes[0].normalized.len(), 1);
    // An unwritable value is refused even without a schema, and sends nothing.
    let before = mock.counters().requests;
    let (outcomes, summary) = client
        .bulk_upsert_iter(
            ObjectType::contacts(),
            vec![contact(9).property("seats", f64::INFINITY)],
        )
        .collect_all()
        .await;
    assert_eq!(summary.requests, 0);
    assert_eq!(mock.counters().requests, before);
    assert!(matches!(
        &outcomes[0].kind,
        OutcomeKind::Failed {
            cause: FailureCause::PropertyCheck,
            ..
        }
    ));
    mock.shutdown().await;
}
