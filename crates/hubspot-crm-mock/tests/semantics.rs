//! HubSpot's batch upsert semantics, over loopback HTTP: auth, validation, upsert, ordering,
//! object types, partial success.

mod common;

use common::*;
use hubspot_crm_mock::{MockServer, ObjectSchema};
use serde_json::json;

const PATH: &str = "/crm/objects/2026-03/contacts/batch/upsert";

#[tokio::test]
async fn missing_or_malformed_token_is_401_and_nothing_applied() {
    let mock = MockServer::start().await.expect("mock starts");
    let body = serde_json::to_vec(&batch(vec![contact("a@x.com", &[])])).expect("json");
    let missing = send_bytes(&mock, PATH, None, body.clone()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.error().category.as_deref(),
        Some("INVALID_AUTHENTICATION")
    );
    assert!(missing.error().correlation_id.is_some());
    assert!(
        missing
            .message()
            .contains("Authentication credentials not found")
    );
    assert_eq!(missing.header_u64("x-hubspot-ratelimit-max"), 100);

    for bad in ["Basic abc", "Bearer", "Bearer two words", "tok"] {
        let resp = client()
            .post(mock.upsert_url("contacts"))
            .header("authorization", bad)
            .body(body.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 401, "{bad}");
        let bytes = resp.bytes().await.expect("body");
        let err = decode(401, &bytes);
        assert!(
            matches!(err, Decoded::Error(e) if e.category.as_deref() == Some("INVALID_AUTHENTICATION"))
        );
    }
    assert!(mock.records("contacts").is_empty());
    let c = mock.counters();
    assert_eq!(c.status(401), 5);
    assert_eq!(c.records_created, 0);
    mock.shutdown().await;
}

#[tokio::test]
async fn only_configured_tokens_are_accepted() {
    let mock = MockServer::builder()
        .valid_tokens(["tok-1"])
        .start()
        .await
        .expect("mock starts");
    let body = serde_json::to_vec(&batch(vec![contact("a@x.com", &[])])).expect("json");
    let other = send_bytes(&mock, PATH, Some("tok-2"), body.clone()).await;
    assert_eq!(other.status, 401);
    assert!(mock.records("contacts").is_empty());
    let good = send_bytes(&mock, PATH, Some("tok-1"), body).await;
    assert_eq!(good.status, 200);
    assert_eq!(good.ok().results.len(), 1);
    assert_eq!(mock.records("contacts").len(), 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn creates_then_updates_and_merges() {
    let mock = MockServer::start().await.expect("mock starts");
    let first = upsert(
        &mock,
        "contacts",
        &batch(vec![
            traced(
                contact("Alice@Example.COM", &[("firstname", "Alice")]),
                "t-a",
            ),
            traced(contact("bob@example.com", &[("firstname", "Bob")]), "t-b"),
        ]),
    )
    .await;
    assert_eq!(first.status, 200);
    let body = first.ok();
    assert_eq!(body.status, "COMPLETE");
    assert_eq!(body.results.len(), 2);
    for r in &body.results {
        assert!(r.new);
        assert!(!r.archived);
        assert!(r.id.parse::<u64>().is_ok(), "numeric id {}", r.id);
        assert_eq!(r.properties["hs_object_id"].as_deref(), Some(r.id.as_str()));
        assert!(r.properties["createdate"].is_some());
        assert!(r.properties["lastmodifieddate"].is_some());
        // A batch write echoes what it wrote plus HubSpot's own three, never a null: a
        // known property that was not written is not listed.
        assert_eq!(r.properties.get("phone"), None);
        assert_eq!(r.properties.len(), 5, "{:?}", r.properties);
        assert!(r.properties.values().all(Option::is_some));
        assert_eq!(r.created_at, r.updated_at);
    }
    let alice = body
        .results
        .iter()
        .find(|r| r.object_write_trace_id.as_deref() == Some("t-a"))
        .expect("alice's result carries her trace id");
    assert_eq!(
        alice.properties["email"].as_deref(),
        Some("alice@example.com"),
        "emails come back lower-cased"
    );
    let alice_id = alice.id.clone();

    let second = upsert(
        &mock,
        "contacts",
        &batch(vec![
            contact("ALICE@example.com", &[("lastname", "Liddell")]),
            contact("carol@example.com", &[("firstname", "Carol")]),
        ]),
    )
    .await;
    assert_eq!(second.status, 200);
    let results = &second.ok().results;
    let alice2 = results
        .iter()
        .find(|r| r.properties["email"].as_deref() == Some("alice@example.com"))
        .expect("alice updated");
    assert!(!alice2.new);
    assert_eq!(alice2.id, alice_id);
    // The update echoes what it wrote; the merge shows in the store below.
    assert_eq!(alice2.properties.get("firstname"), None);
    assert_eq!(alice2.properties["lastname"].as_deref(), Some("Liddell"));
    assert!(alice2.updated_at >= alice2.created_at);
    let carol = results
        .iter()
        .find(|r| r.properties["email"].as_deref() == Some("carol@example.com"))
        .expect("carol created");
    assert!(carol.new);

    let records = mock.records("contacts");
    assert_eq!(records.len(), 3);
    assert!(
        records
            .windows(2)
            .all(|w| w[0].id.parse::<u64>().ok() < w[1].id.parse::<u64>().ok())
    );
    assert_eq!(
        stored(&mock, "alice@example.com", "firstname").as_deref(),
        Some("Alice")
    );
    assert_eq!(
        stored(&mock, "alice@example.com", "lastname").as_deref(),
        Some("Liddell")
    );
    let c = mock.counters();
    assert_eq!((c.records_created, c.records_updated), (3, 1));
    assert_eq!(c.inputs_received, 4);
    assert_eq!(c.status(200), 2);
    mock.shutdown().await;
}

#[tokio::test]
async fn results_are_out_of_input_order_and_seeded() {
    async fn order(seed: u64) -> Vec<String> {
        let mock = MockServer::builder()
            .seed(seed)
            .start()
            .await
            .expect("starts");
        let inputs = (0..20)
            .map(|i| traced(contact(&format!("p{i}@x.com"), &[]), &i.to_string()))
            .collect();
        let reply = upsert(&mock, "contacts", &batch(inputs)).await;
        let order = reply
            .ok()
            .results
            .iter()
            .map(|r| r.object_write_trace_id.clone().expect("trace id echoed"))
            .collect();
        mock.shutdown().await;
        order
    }
    let input_order: Vec<String> = (0..20).map(|i: i32| i.to_string()).collect();
    let a = order(7).await;
    assert_ne!(a, input_order);
    let mut sorted = a.clone();
    sorted.sort_by_key(|s| s.parse::<u32>().unwrap_or(u32::MAX));
    assert_eq!(sorted, input_order, "every input has one result");
    assert_eq!(a, order(7).await, "same seed, same order");
    assert_ne!(a, order(8).await, "another seed, another order");
}

#[tokio::test]
async fn malformed_and_incomplete_bodies_are_400_and_nothing_applied() {
    let mock = MockServer::start().await.expect("mock starts");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not json", b"{\"inputs\": [".to_vec(), "Invalid input JSON"),
        (
            "missing id",
            br#"{"inputs":[{"properties":{"firstname":"A"}}]}"#.to_vec(),
            "missing field `id`",
        ),
        (
            "missing properties",
            br#"{"inputs":[{"id":"a@x.com","idProperty":"email"}]}"#.to_vec(),
            "missing field `properties`",
        ),
        (
            "non-string value",
            br#"{"inputs":[{"id":"a@x.com","idProperty":"email","properties":{"firstname":5}}]}"#
                .to_vec(),
            "invalid type: integer `5`",
        ),
    ];
    for (name, body, expected) in cases {
        let reply = send_bytes(&mock, PATH, Some(TOKEN), body).await;
        assert_eq!(reply.status, 400, "{name}");
        assert_eq!(
            reply.error().category.as_deref(),
            Some("VALIDATION_ERROR"),
            "{name}"
        );
        assert!(
            reply.message().contains(expected),
            "{name}: {}",
            reply.message()
        );
    }
    assert!(mock.records("contacts").is_empty());
    assert_eq!(mock.counters().status(400), 4);
    assert!(mock.request_log().iter().all(|r| !r.applied));
    mock.shutdown().await;
}

#[tokio::test]
async fn at_most_100_inputs() {
    let mock = MockServer::start().await.expect("mock starts");
    let many = |n: usize| {
        batch(
            (0..n)
                .map(|i| contact(&format!("c{i}@x.com"), &[]))
                .collect(),
        )
    };
    let over = upsert(&mock, "contacts", &many(101)).await;
    assert_eq!(over.status, 400);
    assert_eq!(over.error().category.as_deref(), Some("VALIDATION_ERROR"));
    assert!(over.message().contains("101"), "{}", over.message());
    assert!(mock.records("contacts").is_empty());
    assert_eq!(mock.request_log()[0].inputs, 101);

    let full = upsert(&mock, "contacts", &many(100)).await;
    assert_eq!(full.status, 200);
    assert_eq!(full.ok().results.len(), 100);
    assert_eq!(mock.records("contacts").len(), 100);
    mock.shutdown().await;
}

#[tokio::test]
async fn duplicate_ids_reject_the_whole_batch() {
    let mock = MockServer::start().await.expect("mock starts");
    let reply = upsert(
        &mock,
        "contacts",
        &batch(vec![
            contact("a@x.com", &[]),
            contact("b@x.com", &[]),
            contact("a@x.com", &[("firstname", "again")]),
            contact("ok@x.com", &[]),
            contact("b@x.com", &[]),
        ]),
    )
    .await;
    assert_eq!(reply.status, 400);
    let err = reply.error();
    assert_eq!(err.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        err.message.as_deref(),
        Some("Duplicate IDs found in batch input: [a@x.com, b@x.com]. IDs must be unique")
    );
    assert_eq!(
        err.context.get("ids"),
        Some(&vec!["a@x.com".to_owned(), "b@x.com".to_owned()])
    );
    assert!(mock.records("contacts").is_empty(), "nothing applied");
    mock.shutdown().await;
}

#[tokio::test]
async fn object_types_by_name_id_and_custom_name() {
    let mock = MockServer::builder()
        .object_schema(
            "p_cars",
            ObjectSchema::new(["model", "color"])
                .unique(["vin"])
                .type_id("2-1234567"),
        )
        .start()
        .await
        .expect("mock starts");
    let unknown = upsert(&mock, "widgets", &batch(vec![contact("a@x.com", &[])])).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.message(),
        "Unable to infer object type from: widgets"
    );
    let unknown_id = upsert(&mock, "2-999", &batch(vec![contact("a@x.com", &[])])).await;
    assert_eq!(unknown_id.status, 400);

    let by_id = upsert(&mock, "0-1", &batch(vec![contact("a@x.com", &[])])).await;
    assert_eq!(by_id.status, 200);
    assert_eq!(mock.records("contacts").len(), 1);
    assert_eq!(mock.records("0-1").len(), 1);

    let car =
        json!({"inputs": [{"id": "VIN1", "idProperty": "vin", "properties": {"model": "T"}}]});
    assert_eq!(upsert(&mock, "p_cars", &car).await.status, 200);
    let car2 =
        json!({"inputs": [{"id": "VIN1", "idProperty": "vin", "properties": {"color": "black"}}]});
    let again = upsert(&mock, "2-1234567", &car2).await;
    assert_eq!(again.status, 200);
    assert!(!again.ok().results[0].new);
    let cars = mock.records("p_cars");
    assert_eq!(cars.len(), 1);
    assert_eq!(cars[0].properties["model"], "T");
    assert_eq!(cars[0].properties["color"], "black");
    assert_eq!(
        cars[0].properties["vin"], "VIN1",
        "ids are not lower-cased unless emails"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn non_unique_id_property_is_400() {
    let mock = MockServer::start().await.expect("mock starts");
    let body = json!({"inputs": [
        {"id": "acme.com", "idProperty": "domain", "properties": {"name": "Acme"}},
    ]});
    let reply = upsert(&mock, "companies", &body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error().category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        reply.message(),
        format!(
            "Unable to perform update/upsert by non-unique 0-2 property domain in portal ID {}",
            hubspot_crm_mock::MOCK_PORTAL_ID
        )
    );
    assert!(mock.records("companies").is_empty());
    // The unique property works.
    let ok = json!({"inputs": [
        {"id": "C-1", "idProperty": "company_external_id", "properties": {"domain": "acme.com"}},
    ]});
    assert_eq!(upsert(&mock, "companies", &ok).await.status, 200);
    assert_eq!(mock.records("companies").len(), 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn per_input_errors_with_trace_ids_give_207() {
    let mock = MockServer::start().await.expect("mock starts");
    let reply = upsert(
        &mock,
        "contacts",
        &batch(vec![
            traced(contact("good@x.com", &[("firstname", "G")]), "t1"),
            traced(contact("bad@x.com", &[("shoe_size", "42")]), "t2"),
            traced(contact("not-an-email", &[]), "t3"),
            traced(contact("good2@x.com", &[]), "t4"),
        ]),
    )
    .await;
    assert_eq!(reply.status, 207);
    let body = reply.partial();
    assert_eq!(body.num_errors, Some(2));
    assert_eq!(body.errors.len(), 2);
    let mut traced_ids: Vec<String> = body
        .results
        .iter()
        .filter_map(|r| r.object_write_trace_id.clone())
        .collect();
    traced_ids.sort();
    assert_eq!(traced_ids, ["t1", "t4"]);
    let err_for = |trace: &str| {
        body.errors
            .iter()
            .find(|e| e.context.get("objectWriteTraceId") == Some(&vec![trace.to_owned()]))
            .unwrap_or_else(|| panic!("an error for {trace}"))
    };
    let unknown = err_for("t2");
    assert_eq!(unknown.category.as_deref(), Some("VALIDATION_ERROR"));
    assert!(
        unknown
            .message
            .as_deref()
            .is_some_and(|m| m.contains("Property \\\"shoe_size\\\" does not exist")
                && m.contains("PROPERTY_DOESNT_EXIST")),
        "{:?}",
        unknown.message
    );
    let email = err_for("t3");
    assert!(
        email
            .message
            .as_deref()
            .is_some_and(|m| m.contains("INVALID_EMAIL"))
    );
    assert_eq!(email.errors[0].code.as_deref(), Some("INVALID_EMAIL"));

    let records = mock.records("contacts");
    assert_eq!(records.len(), 2, "the valid inputs were applied");
    assert_eq!(
        stored(&mock, "good@x.com", "firstname").as_deref(),
        Some("G")
    );
    assert!(stored(&mock, "bad@x.com", "email").is_none());
    let c = mock.counters();
    assert_eq!(
        (c.status(207), c.inputs_failed, c.records_created),
        (1, 2, 2)
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn per_input_errors_without_trace_ids_fail_the_whole_batch() {
    let mock = MockServer::start().await.expect("mock starts");
    let reply = upsert(
        &mock,
        "contacts",
        &batch(vec![
            contact("good@x.com", &[]),
            contact("bad@x.com", &[("shoe_size", "42")]),
        ]),
    )
    .await;
    assert_eq!(reply.status, 400);
    let err = reply.error();
    assert_eq!(err.category.as_deref(), Some("VALIDATION_ERROR"));
    assert!(
        err.message
            .as_deref()
            .is_some_and(|m| m.starts_with("Property values were not valid"))
    );
    assert_eq!(err.errors[0].code.as_deref(), Some("PROPERTY_DOESNT_EXIST"));
    assert!(mock.records("contacts").is_empty(), "nothing applied");
    mock.shutdown().await;
}

#[tokio::test]
async fn v3_path_and_mock_read_back() {
    let mock = MockServer::start().await.expect("mock starts");
    let reply = send_bytes(
        &mock,
        "/crm/v3/objects/contacts/batch/upsert",
        Some(TOKEN),
        serde_json::to_vec(&batch(vec![contact("v3@x.com", &[("city", "Oslo")])])).expect("json"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let listed: serde_json::Value = client()
        .get(format!("{}/__mock/objects/0-1", mock.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["objectType"], "contacts");
    assert_eq!(listed["results"][0]["properties"]["city"], "Oslo");
    assert_eq!(listed["results"][0]["properties"]["email"], "v3@x.com");
    let records: Vec<hubspot_crm_mock::StoredRecord> =
        serde_json::from_value(listed["results"].clone()).expect("records decode");
    assert_eq!(records, mock.records("contacts"));

    let nowhere = client()
        .post(format!("{}/crm/v4/nothing", mock.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(nowhere.status().as_u16(), 404);
    let bytes = nowhere.bytes().await.expect("body");
    assert!(matches!(decode(404, &bytes), Decoded::Error(_)));
    mock.shutdown().await;
}

#[tokio::test]
async fn generated_client_talks_to_the_mock() {
    use hubspot_crm_api::v2026_09::types::{
        BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert,
    };
    let mock = MockServer::start().await.expect("mock starts");
    let http = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_static("Bearer tok"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .expect("client");
    let client = hubspot_crm_api::v2026_09::Client::new_with_client(
        &mock.base_url(),
        http,
        hubspot_crm_api::Inner::new(),
    );
    let body = BatchInputSimplePublicObjectBatchInputUpsert {
        inputs: vec![SimplePublicObjectBatchInputUpsert {
            id: "gen@x.com".into(),
            id_property: Some("email".into()),
            object_write_trace_id: None,
            properties: [("firstname".to_owned(), "Gen".to_owned())]
                .into_iter()
                .collect(),
        }],
    };
    let resp = client
        .batch_upsert()
        .object_type("contacts")
        .body(body)
        .send()
        .await
        .expect("the generated client decodes the mock's answer");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        stored(&mock, "gen@x.com", "firstname").as_deref(),
        Some("Gen")
    );
    mock.shutdown().await;
}
