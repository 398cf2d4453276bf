//! The generated types decode real HubSpot bodies, including the ones looser than the
//! published schema. Each test asserts decoded values, not only that decoding succeeded.

use chrono::{TimeZone, Timelike, Utc};
use hubspot_crm_api::v2026_03::types::{BatchResponseSimplePublicUpsertObjectWithErrors, Error};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn batch(name: &str) -> BatchResponseSimplePublicUpsertObjectWithErrors {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("decoding {name}: {e}"))
}

#[test]
fn a_200_body_decodes_with_results_history_and_warnings() {
    let body = batch("batch_200.json");
    assert_eq!(body.status, "COMPLETE");
    assert!(body.errors.is_empty());
    assert_eq!(body.num_errors, None);
    assert_eq!(
        body.completed_at,
        Utc.with_ymd_and_hms(2026, 3, 18, 10, 15, 2).unwrap() + chrono::Duration::milliseconds(648)
    );
    assert_eq!(body.requested_at.map(|t| t.nanosecond()), Some(101_000_000));
    assert_eq!(
        body.links.get("self").map(String::as_str),
        Some("https://api.hubapi.com/crm/objects/2026-03/contacts/batch/upsert")
    );
    assert_eq!(body.results.len(), 2);

    let created = &body.results[0];
    assert_eq!(created.id, "51");
    assert!(created.new);
    assert!(!created.archived);
    assert_eq!(created.object_write_trace_id.as_deref(), Some("t-2"));
    assert_eq!(
        created.properties.get("email"),
        Some(&Some("grace@example.com".to_owned()))
    );
    assert_eq!(
        created.url.as_deref(),
        Some("https://app.hubspot.com/contacts/123/record/0-1/51")
    );

    let updated = &body.results[1];
    assert_eq!(updated.id, "7");
    assert!(!updated.new);
    assert_eq!(
        updated.created_at,
        Utc.with_ymd_and_hms(2025, 11, 2, 8, 0, 0).unwrap()
    );
    let history = &updated.properties_with_history["firstname"];
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].value, "Ada");
    assert_eq!(history[0].source_type, "API");
    assert_eq!(history[0].source_id.as_deref(), Some("private-app"));
    assert_eq!(history[0].updated_by_user_id, Some(42));
    assert_eq!(history[1].source_label, None);
    assert_eq!(updated.warnings.len(), 1);
    assert_eq!(updated.warnings[0].category, "PROPERTY_TRUNCATED");
    assert_eq!(updated.warnings[0].context["property"], "firstname");
}

#[test]
fn a_207_body_keeps_both_errors_and_their_trace_ids() {
    let body = batch("batch_207.json");
    assert_eq!(body.num_errors, Some(2));
    assert_eq!(body.results.len(), 1);
    assert_eq!(
        body.results[0].object_write_trace_id.as_deref(),
        Some("row-1")
    );
    assert_eq!(body.errors.len(), 2);

    let first = &body.errors[0];
    assert_eq!(first.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(first.status.as_deref(), Some("error"));
    assert_eq!(
        first.context["objectWriteTraceId"],
        vec!["row-2".to_owned()]
    );
    assert_eq!(first.context["propertyName"], vec!["email".to_owned()]);
    assert_eq!(first.errors.len(), 1);
    assert_eq!(first.errors[0].code.as_deref(), Some("INVALID_EMAIL"));
    assert_eq!(first.errors[0].in_.as_deref(), Some("email"));
    assert!(
        first.links.is_empty(),
        "links are absent in HubSpot's examples"
    );

    let second = &body.errors[1];
    assert_eq!(
        second.context["objectWriteTraceId"],
        vec!["row-3".to_owned()]
    );
    assert_eq!(
        second.sub_category,
        Some(serde_json::json!({"kind": "UNKNOWN_PROPERTY"}))
    );
    assert!(
        second.errors.is_empty(),
        "errors are absent in HubSpot's examples"
    );
}

#[test]
fn a_2026_09_style_200_body_with_errors_keeps_them() {
    let body = batch("batch_2026_09_ok_with_errors.json");
    assert!(body.results.is_empty());
    assert_eq!(body.num_errors, Some(1));
    assert_eq!(
        body.errors[0].context["objectWriteTraceId"],
        vec!["x-9".to_owned()]
    );
    assert_eq!(body.errors[0].message.as_deref(), Some("bad"));
}

#[test]
fn unknown_fields_unknown_status_nulls_and_missing_optionals_decode() {
    let body = batch("batch_loose.json");
    assert_eq!(body.status, "PARTIALLY_QUEUED");
    assert_eq!(body.requested_at, None);
    assert!(body.links.is_empty());
    let result = &body.results[0];
    assert_eq!(result.properties.len(), 3);
    assert_eq!(result.properties["phone"], None);
    assert_eq!(result.properties["company"], None);
    assert_eq!(
        result.properties["email"].as_deref(),
        Some("lin@example.com")
    );
    assert_eq!(result.object_write_trace_id, None);
    assert_eq!(result.archived_at, None);
    assert!(result.properties_with_history.is_empty());
    assert!(result.warnings.is_empty());
    // "+02:00" with half a second: converted to UTC, fraction kept.
    assert_eq!(
        result.updated_at,
        Utc.with_ymd_and_hms(2026, 3, 18, 8, 17, 0).unwrap() + chrono::Duration::milliseconds(500)
    );
    // Timestamps without milliseconds.
    assert_eq!(body.started_at.nanosecond(), 0);
}

#[test]
fn an_error_body_decodes_with_its_context_and_correlation_id() {
    let error: Error = serde_json::from_str(&fixture("error_400_duplicates.json")).unwrap();
    assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(
        error.message.as_deref(),
        Some("Duplicate IDs found in batch input: [ada@example.com]. IDs must be unique")
    );
    assert_eq!(error.context["ids"], vec!["ada@example.com".to_owned()]);
    assert_eq!(
        error.correlation_id.map(|id| id.to_string()).as_deref(),
        Some("3f2c0d4e-8a1b-4c7e-9d2f-5b6a7c8d9e0f")
    );
    assert_eq!(error.sub_category, Some(serde_json::json!("DUPLICATE_IDS")));
    assert_eq!(error.policy_name, None);
}

#[test]
fn the_429_body_without_category_decodes_with_its_policy() {
    let error: Error = serde_json::from_str(&fixture("error_429_ten_secondly.json")).unwrap();
    assert_eq!(error.category, None);
    assert_eq!(error.error_type.as_deref(), Some("RATE_LIMIT"));
    assert_eq!(error.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
    assert_eq!(
        error.group_name.as_deref(),
        Some("publicapi:private-app:123456")
    );
    assert_eq!(error.status.as_deref(), Some("error"));
    assert_eq!(
        error.message.as_deref(),
        Some("You have reached your ten_secondly_rolling limit.")
    );
}
