//! `cargo xtask diff` on fixture pairs, one pair per kind of change, under
//! `xtask/tests/fixtures/diff/<case>/{old,new}.json`.
//!
//! Every pair starts from the same small spec: `create_things` takes a `ThingInput` (request
//! only) and returns a `ThingResult` (response only); `list_things` returns a `ThingList`;
//! `Tag` is in both directions; `Legacy` is used by no operation. Each test asserts the whole
//! list of reported changes, so a missing or extra change fails it.

use std::path::PathBuf;

use xtask::diff::{Change, Kind, Mark, Report, Source, Spec, Subject};

fn fixture(case: &str, side: &str) -> PathBuf {
    xtask::workspace_root()
        .join("xtask/tests/fixtures/diff")
        .join(case)
        .join(format!("{side}.json"))
}

fn report(case: &str) -> Report {
    let root = xtask::workspace_root();
    let load = |side| match Spec::load(&root, &Source::File(fixture(case, side))) {
        Ok(spec) => spec,
        Err(err) => panic!("loading fixture {case}/{side}: {err:#}"),
    };
    match Report::new(&load("old"), &load("new")) {
        Ok(report) => report,
        Err(err) => panic!("comparing fixture {case}: {err:#}"),
    }
}

fn subject_name(change: &Change) -> &str {
    match &change.subject {
        Subject::Document => "document",
        Subject::Operation { id, .. } => id,
        Subject::Schema { name, .. } => name,
    }
}

/// Every change as (subject, location, kind, mark), in report order.
fn summary(report: &Report) -> Vec<(&str, &str, Kind, Mark)> {
    report
        .changes
        .iter()
        .map(|c| (subject_name(c), c.location.as_str(), c.kind, c.mark))
        .collect()
}

/// The one change at `subject` / `location` that is not documentation.
fn only<'a>(report: &'a Report, subject: &str, location: &str) -> &'a Change {
    let found: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| subject_name(c) == subject && c.location == location)
        .filter(|c| c.mark != Mark::Documentation)
        .collect();
    match found.as_slice() {
        [one] => one,
        other => panic!("expected one change at {subject} {location}, found {other:#?}"),
    }
}

use Kind::{Added, Changed, Removed};
use Mark::{Breaking, Compatible, Documentation};

#[test]
fn description_only_changes_are_documentation() {
    let report = report("documentation-only");
    assert_eq!(
        summary(&report),
        vec![
            ("document", "info.description", Changed, Documentation),
            ("create_things", "summary", Changed, Documentation),
            ("list_things", "response 200", Changed, Documentation),
            ("ThingInput", "name", Changed, Documentation),
        ]
    );
    assert!(!report.has_breaking());
    assert_eq!(report.count(Compatible), 0);
}

#[test]
fn an_added_operation_is_compatible() {
    let report = report("operation-added");
    assert_eq!(
        summary(&report),
        vec![("delete_thing", "", Added, Compatible)]
    );
    let Subject::Operation { endpoint, .. } = &report.changes[0].subject else {
        panic!("not an operation: {:?}", report.changes[0]);
    };
    assert_eq!(endpoint, "DELETE /things/{kind}/{id}");
}

#[test]
fn a_removed_operation_breaks_and_its_response_type_becomes_unused() {
    let report = report("operation-removed");
    assert_eq!(
        summary(&report),
        vec![("list_things", "", Removed, Breaking)]
    );
    assert!(
        report.changes[0]
            .detail
            .contains("`list_things` no longer exists")
    );
}

#[test]
fn removed_responses_break_added_error_responses_do_not() {
    let report = report("responses-changed");
    assert_eq!(
        summary(&report),
        vec![
            ("create_things", "response 429", Added, Compatible),
            ("create_things", "response default", Removed, Breaking),
            // A second success response of another type changes the method's return type.
            ("list_things", "response 201", Added, Breaking),
        ]
    );
    assert!(
        only(&report, "create_things", "response default")
            .detail
            .contains("(body `Error`)")
    );
}

#[test]
fn a_field_that_becomes_required_in_a_request_breaks() {
    let report = report("field-became-required");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "size", Changed, Breaking),
            ("ThingResult", "createdAt", Changed, Breaking),
            ("ThingResult", "note", Changed, Breaking),
        ]
    );
    let size = only(&report, "ThingInput", "size");
    assert!(size.detail.contains("must now set it"), "{}", size.detail);
    let created = only(&report, "ThingResult", "createdAt");
    assert!(
        created.detail.contains("responses may omit it"),
        "{}",
        created.detail
    );
    let note = only(&report, "ThingResult", "note");
    assert!(!note.detail.contains("must now set it"), "{}", note.detail);
}

#[test]
fn added_fields_break_only_when_required_in_a_request() {
    let report = report("fields-added");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "nickname", Added, Compatible),
            ("ThingInput", "owner", Added, Breaking),
            ("ThingResult", "errors", Added, Compatible),
            ("ThingResult", "owner", Added, Compatible),
        ]
    );
    assert_eq!(
        only(&report, "ThingResult", "errors").detail,
        "new optional field (array of `Error`)"
    );
}

#[test]
fn removed_fields_break_in_either_direction() {
    let report = report("field-removed");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "color", Removed, Breaking),
            ("ThingResult", "note", Removed, Breaking),
        ]
    );
}

#[test]
fn changed_types_and_formats_break() {
    let report = report("type-changed");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "size", Changed, Breaking),
            ("ThingList", "things[]", Changed, Breaking),
            ("ThingResult", "id", Changed, Breaking),
            ("ThingResult", "id", Changed, Breaking),
        ]
    );
    assert_eq!(
        only(&report, "ThingInput", "size").detail,
        "format `int32` → `int64`: the field's Rust type changes"
    );
    assert_eq!(
        only(&report, "ThingList", "things[]").detail,
        "type `ThingResult` → `Tag`"
    );
}

#[test]
fn enum_values_removed_break_added_ones_break_only_in_responses() {
    let report = report("enum-changed");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "color", Removed, Breaking),
            ("ThingInput", "color", Added, Compatible),
            ("ThingResult", "status", Added, Breaking),
        ]
    );
    let details: Vec<&str> = report.changes.iter().map(|c| c.detail.as_str()).collect();
    assert!(details[0].starts_with("enum value `green` removed"));
    assert!(details[1].starts_with("enum value `blue` added"));
    assert!(details[2].contains("exhaustive `match`"));
}

#[test]
fn a_schema_used_in_both_directions_is_judged_as_a_request_too() {
    let report = report("shared-schema-changed");
    assert_eq!(summary(&report), vec![("Tag", "weight", Added, Breaking)]);
    let Subject::Schema { usage, .. } = &report.changes[0].subject else {
        panic!("not a schema: {:?}", report.changes[0]);
    };
    assert!(usage.request && usage.response);
}

#[test]
fn removed_schemas_break_even_when_unused_and_added_ones_do_not() {
    let report = report("schemas-added-removed");
    assert_eq!(
        summary(&report),
        vec![
            ("Legacy", "", Removed, Breaking),
            ("Widget", "", Added, Compatible)
        ]
    );
    assert!(report.changes[0].detail.contains("`types::Legacy`"));
}

#[test]
fn new_required_parameters_and_changed_parameter_types_break() {
    let report = report("parameters-changed");
    assert_eq!(
        summary(&report),
        vec![
            ("list_things", "parameter `cursor` (query)", Added, Breaking),
            (
                "list_things",
                "parameter `limit` (query)",
                Changed,
                Breaking
            ),
            ("list_things", "parameter `sort` (query)", Added, Compatible),
        ]
    );
}

#[test]
fn a_narrower_constraint_breaks_requests_only() {
    let report = report("request-constraints-changed");
    assert_eq!(
        summary(&report),
        vec![
            ("ThingInput", "tags", Changed, Breaking),
            ("ThingResult", "tags", Changed, Compatible),
        ]
    );
}

#[test]
fn identical_specs_report_nothing() {
    let root = xtask::workspace_root();
    let spec = Spec::load(&root, &Source::File(fixture("field-removed", "old")))
        .expect("loading the fixture");
    let report = Report::new(&spec, &spec).expect("comparing");
    assert!(report.changes.is_empty());
    assert!(xtask::diff::render::markdown(&report).contains("No changes."));
}

#[test]
fn a_file_that_is_not_an_openapi_document_is_refused_with_its_name() {
    let err = Spec::parse("some/file.json", r#"{"swagger": "2.0"}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "some/file.json is not an OpenAPI document: it has no `openapi` version string"
    );
    let err = Spec::parse("broken.json", "{").unwrap_err();
    assert!(err.to_string().starts_with("broken.json is not valid JSON"));
}
