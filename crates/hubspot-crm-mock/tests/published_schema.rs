//! The mock answers within HubSpot's published contract: the body of every response class it
//! sends is validated against the schemas of the strict spec in `openapi/` (not the overlay
//! the client is generated from), with the `jsonschema` crate. The classes below are checked
//! on the 2026-03 path against the 2026-03 spec; [`the_2026_09_path_answers_within_its_own_spec`]
//! checks the 2026-09 path against the 2026-09 spec, where a partial success is a 200.
//!
//! The classes: 200 (with results, and for an empty or missing `inputs`), 207, 400 (each
//! whole-request rule), 401, 404, 409, 413, 429 (rolling window and daily quota, from the
//! limiter and as injected faults), and every error-status fault (423, 477, 5xx). Faults that
//! corrupt a body on purpose are exempt, by name, in [`fault_class`].

mod common;

use std::sync::LazyLock;
use std::time::Duration;

use common::*;
use hubspot_crm_mock::{Fault, FaultPlan, MockServer};
use serde_json::{Value, json};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../openapi/crm-objects-batch-upsert-2026-03.json"
);
const SPEC_2026_09: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../openapi/crm-objects-batch-upsert-2026-09.json"
);

fn components_of(spec: &str) -> Value {
    let text = std::fs::read_to_string(spec).unwrap_or_else(|e| panic!("reading {spec}: {e}"));
    let spec: Value = serde_json::from_str(&text).expect("the spec is JSON");
    spec["components"].clone()
}

static COMPONENTS: LazyLock<Value> = LazyLock::new(|| components_of(SPEC));
static COMPONENTS_2026_09: LazyLock<Value> = LazyLock::new(|| components_of(SPEC_2026_09));

/// The schema the published spec gives a response body of `status`.
fn schema_for(status: u16) -> &'static str {
    match status {
        200 => "BatchResponseSimplePublicUpsertObject",
        207 => "BatchResponseSimplePublicUpsertObjectWithErrors",
        _ => "Error",
    }
}

/// Validates `body` against the published 2026-03 schema `name`; the problems, one per line.
fn problems(name: &str, body: &Value) -> Vec<String> {
    problems_in(&COMPONENTS, name, body)
}

/// Validates `body` against the schema `name` of `components`; the problems, one per line.
fn problems_in(components: &Value, name: &str, body: &Value) -> Vec<String> {
    let root = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": components,
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the spec's schema {name} does not compile: {e}"));
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Sends `body` and checks the answer has `status` and a body the published schema allows.
async fn conforms(
    mock: &MockServer,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
    status: u16,
) -> Value {
    let response = post_raw(mock, path, token, body)
        .await
        .expect("the mock answers");
    assert_eq!(response.status().as_u16(), status, "{path}");
    let bytes = response.bytes().await.expect("the body arrives whole");
    let body: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("HTTP {status} body is not JSON: {e}"));
    let found = problems(schema_for(status), &body);
    assert!(
        found.is_empty(),
        "HTTP {status} body breaks the published {}:\n{}\n{body:#}",
        schema_for(status),
        found.join("\n")
    );
    body
}

const PATH: &str = "/crm/objects/2026-03/contacts/batch/upsert";

fn json_body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}

#[test]
fn the_validator_sees_what_the_published_schema_forbids() {
    // Guards the test itself: the drift this suite exists to catch must fail it.
    let result = |properties: Value| {
        json!({
            "completedAt": "2026-03-01T10:00:00.000Z",
            "startedAt": "2026-03-01T10:00:00.000Z",
            "status": "COMPLETE",
            "results": [{
                "archived": false, "createdAt": "2026-03-01T10:00:00.000Z",
                "updatedAt": "2026-03-01T10:00:00.000Z", "id": "1", "new": true,
                "properties": properties,
            }],
        })
    };
    let ok = "BatchResponseSimplePublicUpsertObject";
    assert!(problems(ok, &result(json!({"email": "a@x.com"}))).is_empty());
    assert!(
        !problems(ok, &result(json!({"phone": null}))).is_empty(),
        "null value"
    );
    let mut unknown = result(json!({}));
    unknown["status"] = json!("DONE");
    assert!(
        !problems(ok, &unknown).is_empty(),
        "status outside the enum"
    );
    let mut bad_time = result(json!({}));
    bad_time["completedAt"] = json!("yesterday");
    assert!(!problems(ok, &bad_time).is_empty(), "date-time format");

    let error = json!({
        "category": "VALIDATION_ERROR", "context": {"objectWriteTraceId": ["t"]},
        "errors": [{"message": "m"}], "message": "m", "status": "error",
    });
    let partial = |error: Value| {
        let mut body = result(json!({}));
        body["errors"] = json!([error]);
        body["numErrors"] = json!(1);
        body
    };
    let with_errors = "BatchResponseSimplePublicUpsertObjectWithErrors";
    assert!(
        !problems(with_errors, &partial(error.clone())).is_empty(),
        "no links"
    );
    let mut linked = error;
    linked["links"] = json!({"doc": "https://example.invalid"});
    assert!(problems(with_errors, &partial(linked)).is_empty());
    let no_category =
        json!({"message": "slow down", "correlationId": "6f1b3c9e-0000-4000-8000-000000000001"});
    assert!(!problems("Error", &no_category).is_empty(), "no category");
}

#[tokio::test]
async fn success_bodies_conform() {
    let mock = MockServer::start().await.expect("mock starts");
    let body = conforms(
        &mock,
        PATH,
        Some(TOKEN),
        json_body(&batch(vec![
            contact("a@x.com", &[("firstname", "A")]),
            contact("b@x.com", &[("firstname", "B"), ("lastname", "")]),
        ])),
        200,
    )
    .await;
    assert_eq!(body["results"].as_array().map(Vec::len), Some(2));
    // An update conforms too, and so does the empty no-op.
    conforms(
        &mock,
        PATH,
        Some(TOKEN),
        json_body(&batch(vec![contact("a@x.com", &[("city", "Oslo")])])),
        200,
    )
    .await;
    for empty in [json!({}), json!({"inputs": []})] {
        let body = conforms(&mock, PATH, Some(TOKEN), json_body(&empty), 200).await;
        assert_eq!(body["results"], json!([]));
    }
    let partial = conforms(
        &mock,
        PATH,
        Some(TOKEN),
        json_body(&batch(vec![
            traced(contact("c@x.com", &[]), "t-c"),
            traced(contact("not-an-email", &[]), "t-bad"),
            traced(contact("d@x.com", &[("nosuchproperty", "1")]), "t-d"),
        ])),
        207,
    )
    .await;
    assert_eq!(partial["numErrors"], json!(2));
    mock.shutdown().await;
}

#[tokio::test]
async fn whole_request_errors_conform() {
    let mock = MockServer::builder()
        .max_body_bytes(64 * 1024)
        .existing_record("contacts", [("email", "taken@x.com")])
        .start()
        .await
        .expect("mock starts");
    let by_external_id = |external: &str, email: &str| json!({"id": external, "idProperty": "contact_external_id", "properties": {"email": email}});
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("not json", b"{\"inputs\": [".to_vec(), 400),
        (
            "duplicate ids",
            json_body(&batch(vec![
                contact("a@x.com", &[]),
                contact("A@x.com", &[]),
            ])),
            400,
        ),
        (
            "non-unique id property",
            json_body(
                &json!({"inputs": [{"id": "A", "idProperty": "firstname", "properties": {}}]}),
            ),
            400,
        ),
        (
            "untraced invalid input",
            json_body(&batch(vec![contact("bad", &[])])),
            400,
        ),
        (
            "over 100 inputs",
            json_body(&batch(
                (0..101)
                    .map(|i| contact(&format!("c{i}@x.com"), &[]))
                    .collect(),
            )),
            400,
        ),
        ("body too large", vec![b' '; 65 * 1024], 413),
        (
            "unique-value conflict",
            json_body(&batch(vec![by_external_id("ext-1", "taken@x.com")])),
            409,
        ),
    ];
    for (name, body, status) in cases {
        let answer = conforms(&mock, PATH, Some(TOKEN), body, status).await;
        assert!(answer["message"].is_string(), "{name}");
    }
    conforms(
        &mock,
        PATH,
        None,
        json_body(&batch(vec![contact("a@x.com", &[])])),
        401,
    )
    .await;
    conforms(
        &mock,
        "/crm/objects/2026-03/widgets/batch/upsert",
        Some(TOKEN),
        b"{}".to_vec(),
        400,
    )
    .await;
    conforms(
        &mock,
        "/crm/objects/2026-03/contacts/batch/nothing",
        Some(TOKEN),
        b"{}".to_vec(),
        404,
    )
    .await;
    mock.shutdown().await;
}

#[tokio::test]
async fn rate_limit_bodies_conform() {
    let rolling = MockServer::builder()
        .rate_limit(1, Duration::from_secs(60))
        .start()
        .await
        .expect("mock starts");
    let one = json_body(&batch(vec![contact("a@x.com", &[])]));
    conforms(&rolling, PATH, Some(TOKEN), one.clone(), 200).await;
    let body = conforms(&rolling, PATH, Some(TOKEN), one.clone(), 429).await;
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    rolling.shutdown().await;

    let daily = MockServer::builder()
        .daily_quota(1)
        .start()
        .await
        .expect("mock starts");
    conforms(&daily, PATH, Some(TOKEN), one.clone(), 200).await;
    let body = conforms(&daily, PATH, Some(TOKEN), one, 429).await;
    assert_eq!(body["policyName"], "DAILY");
    daily.shutdown().await;
}

/// The status a fault answers with and whether its body is checked; `None` for the faults
/// that corrupt or withhold a body on purpose. Exhaustive, so that a new fault must be
/// classified here.
fn fault_class(fault: &Fault) -> Option<u16> {
    match fault {
        Fault::RateLimited429 | Fault::DailyLimit429 => Some(429),
        Fault::Locked423 => Some(423),
        Fault::MigrationInProgress477 { .. } => Some(477),
        Fault::InternalError500 => Some(500),
        Fault::BadGateway502 => Some(502),
        Fault::ServiceUnavailable503 => Some(503),
        Fault::GatewayTimeout504 => Some(504),
        Fault::OriginTimeout524 => Some(524),
        // A stall before the write ends in the gateway's 504.
        Fault::Stall(_) => Some(504),
        // Latency delays an ordinary answer (checked with the success bodies).
        Fault::Latency(_) => Some(200),
        Fault::AfterApply(inner) => fault_class(inner),
        // Exempt: they cut the connection, truncate the body or send broken JSON on purpose.
        Fault::CloseConnection | Fault::TruncatedBody | Fault::MalformedJson => None,
    }
}

#[tokio::test]
async fn fault_bodies_conform_except_the_corrupting_ones() {
    let faults = [
        Fault::RateLimited429,
        Fault::DailyLimit429,
        Fault::Locked423,
        Fault::MigrationInProgress477 {
            retry_after_secs: 5,
        },
        Fault::InternalError500,
        Fault::BadGateway502,
        Fault::ServiceUnavailable503,
        Fault::GatewayTimeout504,
        Fault::OriginTimeout524,
        Fault::Stall(Duration::from_millis(5)),
        Fault::Latency(Duration::from_millis(5)),
        Fault::GatewayTimeout504.after_apply(),
        Fault::CloseConnection,
        Fault::TruncatedBody,
        Fault::MalformedJson,
    ];
    let plan = FaultPlan::scripted(
        faults
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, f)| (i as u64, f)),
    );
    let mock = MockServer::builder()
        .faults(plan)
        .start()
        .await
        .expect("mock starts");
    let mut checked = 0;
    for (i, fault) in faults.iter().enumerate() {
        let body = json_body(&batch(vec![contact(&format!("f{i}@x.com"), &[])]));
        match fault_class(fault) {
            Some(status) => {
                conforms(&mock, PATH, Some(TOKEN), body, status).await;
                checked += 1;
            }
            None => {
                // Still sent, so that the scripted indexes line up.
                let _ = post_raw(&mock, PATH, Some(TOKEN), body).await;
            }
        }
    }
    assert_eq!(checked, faults.len() - 3);
    mock.shutdown().await;
}

/// Sends `body` to the 2026-09 path and checks the answer has `status` and a body the 2026-09
/// spec allows: a 200 body for 200 (partial successes included), `Error` otherwise.
async fn conforms_2026_09(
    mock: &MockServer,
    token: Option<&str>,
    body: Vec<u8>,
    status: u16,
) -> Value {
    let path = "/crm/objects/2026-09/contacts/batch/upsert";
    let response = post_raw(mock, path, token, body)
        .await
        .expect("the mock answers");
    assert_eq!(response.status().as_u16(), status, "{path}");
    let bytes = response.bytes().await.expect("the body arrives whole");
    let body: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("HTTP {status} body is not JSON: {e}"));
    let schema = if status == 200 {
        "BatchResponseSimplePublicUpsertObject"
    } else {
        "Error"
    };
    let found = problems_in(&COMPONENTS_2026_09, schema, &body);
    assert!(
        found.is_empty(),
        "HTTP {status} body breaks the published 2026-09 {schema}:\n{}\n{body:#}",
        found.join("\n")
    );
    body
}

#[tokio::test]
async fn the_2026_09_path_answers_within_its_own_spec() {
    // The 2026-09 spec has no 207 body and no `warnings`.
    let schemas = &COMPONENTS_2026_09["schemas"];
    assert!(schemas["BatchResponseSimplePublicUpsertObjectWithErrors"].is_null());
    assert!(schemas["SimplePublicUpsertObject"]["properties"]["warnings"].is_null());
    let mock = MockServer::builder()
        .rate_limit(2, Duration::from_secs(10))
        .start()
        .await
        .expect("mock starts");
    let body = conforms_2026_09(
        &mock,
        Some(TOKEN),
        json_body(&batch(vec![contact("a@x.com", &[("firstname", "A")])])),
        200,
    )
    .await;
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert!(body.get("errors").is_none() && body.get("numErrors").is_none());
    assert!(body["results"][0].get("warnings").is_none());
    // A partial success: 200, with the failed inputs in `errors`.
    let partial = conforms_2026_09(
        &mock,
        Some(TOKEN),
        json_body(&batch(vec![
            traced(contact("c@x.com", &[]), "t-c"),
            traced(contact("not-an-email", &[]), "t-bad"),
        ])),
        200,
    )
    .await;
    assert_eq!(partial["numErrors"], json!(1));
    assert_eq!(
        partial["errors"][0]["context"]["objectWriteTraceId"],
        json!(["t-bad"])
    );
    assert_eq!(partial["results"].as_array().map(Vec::len), Some(1));
    // Whole-request errors and the rate limit keep the shared `Error` schema.
    conforms_2026_09(&mock, None, json_body(&batch(vec![])), 401).await;
    conforms_2026_09(&mock, Some(TOKEN), json_body(&batch(vec![])), 429).await;
    mock.shutdown().await;
}
