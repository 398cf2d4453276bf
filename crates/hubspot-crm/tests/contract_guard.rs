//! The contract guard: a field of the spec reaches bulk users without a hand edit.
//!
//! From the spec in `openapi/`, each test builds a body with **every** field its schemas
//! declare set (following `$ref`s, one entry per map and array). That body must round-trip
//! through the generated types unchanged (a field the generated code does not know would be
//! dropped), and a bulk run over loopback HTTP must hand each part of it, whole, to the
//! outcome of the input it concerns: the generated `SimplePublicUpsertObject` of a result,
//! the `StandardError` of a per-input error, the `Error` of a request refused as a whole.
//! When the spec gains a field, regenerating is all it takes for these to keep passing.
//!
//! Every test runs for each API version the client speaks, against that version's spec and
//! generated types: 2026-03's 207 with `warnings` on results, 2026-09's 200 with `errors`
//! (and, read liberally, a 2026-09 answer that still comes as a 207).
//!
//! The answers come from [`CannedHubSpot`], not from the mock: the mock sends only what it
//! builds from its store, never a body with every optional field of the spec set, nor a
//! 2026-09 answer as a 207 (see `common/canned_hubspot.rs`).

use hubspot_crm::api::{v2026_03, v2026_09};
use hubspot_crm::{
    AccessToken, ApiVersion, Client, HubSpotError, ObjectType, OutcomeKind, RetryPolicy,
    UpsertInput, V2026_03, V2026_09,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

mod common;
use common::canned_hubspot::{CannedAnswer, CannedHubSpot};
use common::failure_category;

/// The spec of `version`, as JSON.
fn spec(version: &str) -> Value {
    let path = format!(
        "{}/../../openapi/crm-objects-batch-upsert-{version}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("the spec is readable");
    serde_json::from_str(&text).expect("the spec is JSON")
}

/// The schema of the body that carries per-input errors at `version`.
fn partial_schema(version: &str) -> &'static str {
    match version {
        "2026-03" => "BatchResponseSimplePublicUpsertObjectWithErrors",
        _ => "BatchResponseSimplePublicUpsertObject",
    }
}

/// An instance of the named component schema with every property set.
fn full(spec: &Value, name: &str) -> Value {
    instance(spec, &spec["components"]["schemas"][name], 0)
}

fn instance(spec: &Value, schema: &Value, depth: usize) -> Value {
    assert!(depth < 16, "the spec's schemas nest too deep: {schema}");
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect("a local schema reference");
        return instance(spec, &spec["components"]["schemas"][name], depth + 1);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let mut object = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    object.insert(name.clone(), instance(spec, property, depth + 1));
                }
            }
            if schema["additionalProperties"].is_object() {
                let value = instance(spec, &schema["additionalProperties"], depth + 1);
                object.insert("someKey".into(), value);
            }
            Value::Object(object)
        }
        Some("array") => Value::Array(vec![instance(spec, &schema["items"], depth + 1)]),
        Some("boolean") => Value::Bool(true),
        Some("integer") => json!(7),
        Some("number") => json!(1.5),
        _ => match schema["format"].as_str() {
            // Millisecond precision, as HubSpot sends them and as chrono writes them back.
            Some("date-time") => json!("2024-08-15T17:09:13.648Z"),
            Some("uuid") => json!("6f1b3c9e-0000-4000-8000-000000000001"),
            _ => json!("some text"),
        },
    }
}

/// A partial success with one full result (for trace id `t-1`) and one full error (for `t-2`).
fn full_partial(spec: &Value, version: &str) -> Value {
    let mut body = full(spec, partial_schema(version));
    body["results"][0]["objectWriteTraceId"] = json!("t-1");
    body["results"][0]["new"] = json!(true);
    body["errors"][0]["context"]["objectWriteTraceId"] = json!(["t-2"]);
    body["numErrors"] = json!(1);
    body
}

/// The partial-success body and `Error` of `version`, with every field of its spec, round-trip
/// through that version's generated types `B` and `E`.
fn round_trip<B, E>(version: &str) -> Value
where
    B: Serialize + DeserializeOwned,
    E: Serialize + DeserializeOwned,
{
    let spec = spec(version);
    let body = full_partial(&spec, version);
    let decoded: B = serde_json::from_value(body.clone()).expect("the full body decodes");
    assert_eq!(serde_json::to_value(&decoded).expect("serializes"), body);
    let error = full(&spec, "Error");
    let decoded: E = serde_json::from_value(error.clone()).expect("the full Error decodes");
    assert_eq!(serde_json::to_value(&decoded).expect("serializes"), error);
    // The guard guards: the instance really sets the fields users read.
    let result = &body["results"][0];
    for field in ["createdAt", "updatedAt", "url", "propertiesWithHistory"] {
        assert!(!result[field].is_null(), "results[0].{field} is set");
    }
    for field in ["category", "subCategory", "context", "errors", "links"] {
        assert!(
            !body["errors"][0][field].is_null(),
            "errors[0].{field} is set"
        );
    }
    body
}

#[test]
fn a_body_with_every_field_of_the_spec_round_trips_through_the_generated_types() {
    let body = round_trip::<
        v2026_03::types::BatchResponseSimplePublicUpsertObjectWithErrors,
        v2026_03::types::Error,
    >("2026-03");
    assert!(
        !body["results"][0]["warnings"].is_null(),
        "2026-03 has warnings"
    );
    let body = round_trip::<
        v2026_09::types::BatchResponseSimplePublicUpsertObject,
        v2026_09::types::Error,
    >("2026-09");
    assert!(body["results"][0]["warnings"].is_null(), "2026-09 has none");
    assert_eq!(body["numErrors"], json!(1));
}

fn client<V: ApiVersion>(base_url: &str) -> Client<V> {
    Client::builder()
        .api_version(V::default())
        .base_url(base_url)
        .token(AccessToken::new("contract-token"))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client")
}

/// A bulk run of version `V` answered `status` with a partial-success body of every field
/// hands each part of it, whole, to the outcome of its input.
async fn outcome_carries_every_field<V>(status: u16)
where
    V: ApiVersion,
    V::Record: Serialize,
    V::InputError: Serialize + DeserializeOwned,
{
    let spec = spec(V::NAME);
    let body = full_partial(&spec, V::NAME);
    let hubspot = CannedHubSpot::start(CannedAnswer::json(status, body.clone())).await;
    let inputs = vec![
        UpsertInput::new("ada@example.com")
            .id_property("email")
            .trace_id("t-1"),
        UpsertInput::new("bad@example.com")
            .id_property("email")
            .trace_id("t-2"),
    ];
    let (outcomes, summary) = client::<V>(&hubspot.base_url())
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_eq!(summary.requests, 1, "{summary}");
    let requests = hubspot.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].uri.path(),
        format!("/crm/objects/{}/contacts/batch/upsert", V::NAME)
    );
    assert_eq!(requests[0].body["inputs"].as_array().map(Vec::len), Some(2));

    let OutcomeKind::Created { record_id, record } = &outcomes[0].kind else {
        panic!("input 0 ended {:?}", outcomes[0].kind);
    };
    assert_eq!(Some(record_id.as_str()), body["results"][0]["id"].as_str());
    assert_eq!(
        serde_json::to_value(record).expect("serializes"),
        body["results"][0],
        "the outcome holds HubSpot's whole result"
    );

    let OutcomeKind::Failed {
        message,
        error: Some(error),
        ..
    } = &outcomes[1].kind
    else {
        panic!("input 1 ended {:?}", outcomes[1].kind);
    };
    let HubSpotError::Input(standard) = error.as_ref() else {
        panic!("a per-input error, got {error:?}");
    };
    let expected: V::InputError =
        serde_json::from_value(body["errors"][0].clone()).expect("decodes");
    assert_eq!(standard, &expected);
    assert_eq!(
        serde_json::to_value(standard).expect("serializes"),
        body["errors"][0],
        "the outcome holds HubSpot's whole error"
    );
    assert_eq!(
        failure_category(&outcomes[1].kind).as_deref(),
        error.category()
    );
    assert_eq!(Some(message.as_str()), error.message());
    assert_eq!(
        error.sub_category(),
        Some(&body["errors"][0]["subCategory"])
    );
    assert_eq!(error.codes().collect::<Vec<_>>(), ["some text"]);
    assert_eq!(error.details().len(), 1);
}

#[tokio::test]
async fn the_bulk_outcome_carries_every_field_hubspot_sent() {
    outcome_carries_every_field::<V2026_03>(207).await;
    outcome_carries_every_field::<V2026_09>(200).await;
}

#[tokio::test]
async fn a_2026_09_answer_sent_as_a_207_still_maps_every_input() {
    outcome_carries_every_field::<V2026_09>(207).await;
}

#[tokio::test]
async fn the_2026_03_warnings_reach_the_outcome() {
    let body = full_partial(&spec("2026-03"), "2026-03");
    let hubspot = CannedHubSpot::start(CannedAnswer::json(207, body.clone())).await;
    let inputs = vec![
        UpsertInput::new("ada@example.com")
            .id_property("email")
            .trace_id("t-1"),
    ];
    let (outcomes, _) = client::<V2026_03>(&hubspot.base_url())
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    let record = outcomes[0].kind.record().expect("input 0 applied");
    // `warnings` is a field of 2026-03's generated result only: this line would not compile
    // for a 2026-09 outcome.
    assert_eq!(record.warnings.len(), 1);
    assert_eq!(
        Some(record.warnings[0].message.as_str()),
        body["results"][0]["warnings"][0]["message"].as_str()
    );
}

async fn request_refused_as_a_whole<V>()
where
    V: ApiVersion,
    V::RequestError: Serialize,
{
    let spec = spec(V::NAME);
    let error = full(&spec, "Error");
    let hubspot = CannedHubSpot::start(CannedAnswer::json(400, error.clone())).await;
    let inputs = vec![UpsertInput::new("ada@example.com").id_property("email")];
    let (outcomes, _) = client::<V>(&hubspot.base_url())
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    let Some(HubSpotError::Request(sent)) = outcomes[0].kind.hubspot_error() else {
        panic!("input 0 ended {:?}", outcomes[0].kind);
    };
    assert_eq!(serde_json::to_value(sent).expect("serializes"), error);
    let OutcomeKind::Failed { correlation_id, .. } = &outcomes[0].kind else {
        unreachable!("hubspot_error is only set on failures");
    };
    assert_eq!(
        correlation_id.as_deref(),
        error["correlationId"].as_str(),
        "the correlation id comes from the body"
    );
}

#[tokio::test]
async fn a_request_refused_as_a_whole_carries_hubspots_whole_error() {
    request_refused_as_a_whole::<V2026_03>().await;
    request_refused_as_a_whole::<V2026_09>().await;
}
