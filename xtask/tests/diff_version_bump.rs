//! `cargo xtask diff` across a version bump of documents in the shape of HubSpot's own: every
//! path carries the version (`/crm/objects/2026-03/...`) and so does every `operationId`
//! (`post-/crm/objects/2026-03/{objectType}/batch/upsert_/crm/objects/2025-09/...`), errors go
//! through `components/responses`, and schemas are shared between operations.
//!
//! Fixtures: `xtask/tests/fixtures/hubspot-shape/objects-{2026-03,2026-09}.json` (four
//! operations; the 2026-09 one drops both 207 responses, moves `errors` and `numErrors` onto
//! the 200/201 bodies and drops `warnings` with `PublicObjectWarning`), and
//! `xtask/tests/fixtures/diff/version-moved/` (two operations whose paths and ids move and
//! nothing else).

use serde_json::{Value, json};
use xtask::diff::render::{markdown, text};
use xtask::diff::{Change, Kind, Mark, Report, Source, Spec, Subject, VersionMove};

fn load(relative: &str) -> Spec {
    let root = xtask::workspace_root();
    match Spec::load(&root, &Source::File(root.join(relative))) {
        Ok(spec) => spec,
        Err(err) => panic!("loading {relative}: {err:#}"),
    }
}

fn compare(old: &Spec, new: &Spec) -> Report {
    Report::new(old, new).unwrap_or_else(|err| panic!("comparing: {err:#}"))
}

fn bump() -> Report {
    compare(
        &load("xtask/tests/fixtures/hubspot-shape/objects-2026-03.json"),
        &load("xtask/tests/fixtures/hubspot-shape/objects-2026-09.json"),
    )
}

fn subject_name(change: &Change) -> &str {
    match &change.subject {
        Subject::Document => "document",
        Subject::Operation { endpoint, .. } => endpoint,
        Subject::Schema { name, .. } => name,
    }
}

/// The changes that are not documentation, as (subject, location, kind, mark).
fn summary(report: &Report) -> Vec<(&str, &str, Kind, Mark)> {
    report
        .changes
        .iter()
        .filter(|c| c.mark != Mark::Documentation)
        .map(|c| (subject_name(c), c.location.as_str(), c.kind, c.mark))
        .collect()
}

use Kind::{Added, Changed, Removed};
use Mark::{Breaking, Compatible};

const UPSERT_2026_09: &str = "POST /crm/objects/2026-09/{objectType}/batch/upsert";
const CREATE_2026_09: &str = "POST /crm/objects/2026-09/{objectType}/batch/create";
const LIST_2026_09: &str = "GET /crm/objects/2026-09/{objectType}";
const CREATE_ONE_2026_09: &str = "POST /crm/objects/2026-09/{objectType}";

#[test]
fn operations_are_paired_across_the_bump_and_their_real_changes_named() {
    let report = bump();
    assert_eq!(
        summary(&report),
        vec![
            // In the order of the new operationIds.
            ("document", "info.version", Changed, Compatible),
            (LIST_2026_09, "endpoint", Changed, Compatible),
            (CREATE_2026_09, "endpoint", Changed, Compatible),
            (CREATE_2026_09, "response 207", Removed, Breaking),
            (UPSERT_2026_09, "endpoint", Changed, Compatible),
            (UPSERT_2026_09, "response 207", Removed, Breaking),
            (CREATE_ONE_2026_09, "endpoint", Changed, Compatible),
            (
                "BatchResponseSimplePublicObject",
                "errors",
                Added,
                Compatible
            ),
            (
                "BatchResponseSimplePublicObject",
                "numErrors",
                Added,
                Compatible
            ),
            (
                "BatchResponseSimplePublicObjectWithErrors",
                "",
                Removed,
                Breaking
            ),
            (
                "BatchResponseSimplePublicUpsertObject",
                "errors",
                Added,
                Compatible
            ),
            (
                "BatchResponseSimplePublicUpsertObject",
                "numErrors",
                Added,
                Compatible
            ),
            (
                "BatchResponseSimplePublicUpsertObjectWithErrors",
                "",
                Removed,
                Breaking
            ),
            ("PublicObjectWarning", "", Removed, Breaking),
            ("SimplePublicUpsertObject", "warnings", Removed, Breaking),
        ]
    );
    // No operation is counted removed or added: every one found its successor.
    assert!(
        !report
            .changes
            .iter()
            .any(|c| { matches!(c.subject, Subject::Operation { .. }) && c.location.is_empty() })
    );
    // An operation is named by its new operationId, which HubSpot builds from the new path.
    let upsert = report
        .changes
        .iter()
        .find(|c| c.location == "response 207" && subject_name(c) == UPSERT_2026_09)
        .expect("the upsert's 207 removal");
    assert_eq!(
        upsert.subject,
        Subject::Operation {
            id: "post-/crm/objects/2026-09/{objectType}/batch/upsert_/crm/objects/2026-03/{objectType}/batch/upsert".into(),
            endpoint: UPSERT_2026_09.into(),
        }
    );
    assert!(
        upsert.detail.starts_with(
            "response removed (body `BatchResponseSimplePublicUpsertObjectWithErrors`)"
        ),
        "{}",
        upsert.detail
    );
    // Each move is a version move, with the id that moved along.
    let moves: Vec<&VersionMove> = report
        .changes
        .iter()
        .filter_map(|c| c.moved.as_ref())
        .collect();
    assert_eq!(moves.len(), 4);
    assert!(moves.iter().all(|m| **m
        == VersionMove {
            from: "2026-03".into(),
            to: "2026-09".into(),
            same_id: false
        }));
    let endpoint = report
        .changes
        .iter()
        .find(|c| c.location == "endpoint" && subject_name(c) == UPSERT_2026_09)
        .expect("the upsert's move");
    assert_eq!(
        endpoint.detail,
        "`POST /crm/objects/2026-03/{objectType}/batch/upsert` → `POST /crm/objects/2026-09/{objectType}/batch/upsert`: \
         the same operation at version 2026-09; its `operationId` carries the path and moves with it"
    );
}

#[test]
fn the_text_report_says_the_move_once_and_names_the_207_under_its_operation() {
    let report = text(&bump());
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "API changes: 2026-03 -> 2026-09");
    assert_eq!(
        lines[3],
        "6 breaking, 9 compatible, 1 documentation: callers of the generated crate must change their code."
    );
    assert!(report.contains(
        "\nDocument\n  compatible  info.version: changed - `2026-03` -> `2026-09`\n  compatible  paths: changed - \
         4 operations move from version `2026-03` to `2026-09`, and nothing else in their paths changes: \
         the same operations at the new version (their `operationId`s, built from the paths, move with them)\n"
    ), "{report}");
    // The upsert's block holds its 207 removal and not its move; it is headed by its endpoint.
    assert!(report.contains(
        "\nOperation POST /crm/objects/2026-09/{objectType}/batch/upsert\n  BREAKING    response 207: removed - \
         response removed (body `BatchResponseSimplePublicUpsertObjectWithErrors`)"
    ), "{report}");
    assert!(!report.contains("endpoint: changed"), "{report}");
    assert!(!report.contains("operation removed"), "{report}");
    // Operations whose only change is the move have no block of their own.
    assert!(!report.contains("\nOperation GET"), "{report}");
    assert!(
        report.contains(
            "\nSchema SimplePublicUpsertObject (response)\n  BREAKING    warnings: removed"
        )
    );
    assert!(
        report.contains("\nSchema PublicObjectWarning (response)\n  BREAKING    type: removed")
    );
    assert!(report.contains(
        "\nDocumentation changes\n  Operation GET /crm/objects/2026-09/{objectType}: summary changed\n"
    ));
}

#[test]
fn the_markdown_report_lists_the_moved_operations_in_a_fold() {
    let report = markdown(&bump());
    assert!(report.contains(
        "| compatible | `paths` | changed | 4 operations move from version `2026-03` to `2026-09`"
    ), "{report}");
    assert!(
        report.contains(
            "<details><summary>The 4 operations moved from 2026-03 to 2026-09</summary>\n\n\
         - `GET /crm/objects/2026-09/{objectType}`\n\
         - `POST /crm/objects/2026-09/{objectType}/batch/create`\n\
         - `POST /crm/objects/2026-09/{objectType}/batch/upsert`\n\
         - `POST /crm/objects/2026-09/{objectType}`\n\n</details>\n"
        ),
        "{report}"
    );
    assert!(report.contains(
        "### Operation `POST /crm/objects/2026-09/{objectType}/batch/upsert`\n\n| Mark | Where | Change | Detail |\n\
         |---|---|---|---|\n| **breaking** | response 207 | removed |"
    ), "{report}");
    assert!(
        report.contains("- Operation `GET /crm/objects/2026-09/{objectType}`: summary changed\n")
    );
}

#[test]
fn a_path_that_only_moves_to_the_new_version_is_compatible() {
    let report = compare(
        &load("xtask/tests/fixtures/diff/version-moved/old.json"),
        &load("xtask/tests/fixtures/diff/version-moved/new.json"),
    );
    assert_eq!(
        summary(&report),
        vec![
            ("document", "info.version", Changed, Compatible),
            (
                "GET /crm/objects/2026-09/{objectType}/{objectId}",
                "endpoint",
                Changed,
                Compatible
            ),
            (
                "POST /crm/objects/2026-09/{objectType}/batch/archive",
                "endpoint",
                Changed,
                Compatible
            ),
        ]
    );
    assert!(!report.has_breaking());
    assert_eq!(report.count(Compatible), 3);
    let text = text(&report);
    assert!(
        text.contains(
            "0 breaking, 3 compatible, 0 documentation: existing callers keep compiling."
        ),
        "{text}"
    );
    assert!(text.contains("2 operations move from version `2026-03` to `2026-09`"));
    assert!(!text.contains("\nOperation "), "{text}");
}

/// A document of `operations` (method, path, operationId, summary), each answering 204.
fn spec(version: &str, operations: &[(&str, &str, &str, &str)]) -> Spec {
    let mut paths = serde_json::Map::new();
    for (method, path, id, summary) in operations {
        let item = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        item[*method] = json!({
            "operationId": id,
            "summary": summary,
            "responses": {"204": {"description": "done"}}
        });
    }
    let value = json!({"openapi": "3.0.1", "info": {"title": "t", "version": version}, "paths": Value::Object(paths)});
    Spec::parse(version, &value.to_string()).expect("a valid document")
}

#[test]
fn a_renamed_operation_at_the_same_endpoint_is_paired_and_breaks() {
    let old = spec("1", &[("post", "/things", "make_thing", "s")]);
    let new = spec("1", &[("post", "/things", "create_thing", "s")]);
    let report = compare(&old, &new);
    assert_eq!(
        summary(&report),
        vec![("POST /things", "operationId", Changed, Breaking)]
    );
    assert_eq!(
        report.changes[0].detail,
        "`make_thing` → `create_thing`: the generated method is renamed, and calls to `make_thing` no longer compile"
    );
}

#[test]
fn v3_paths_pair_with_dated_ones() {
    // HubSpot's `/v3/` ids end with a name of their own; the dated ones repeat the path.
    let old = spec(
        "v3",
        &[(
            "post",
            "/crm/v3/objects/{t}/batch/upsert",
            "post-/crm/v3/objects/{t}/batch/upsert_upsert",
            "s",
        )],
    );
    let new = spec(
        "2026-03",
        &[(
            "post",
            "/crm/objects/2026-03/{t}/batch/upsert",
            "post-/crm/objects/2026-03/{t}/batch/upsert_/crm/v3/objects/{t}/batch/upsert",
            "s",
        )],
    );
    let report = compare(&old, &new);
    assert_eq!(
        summary(&report),
        vec![
            ("document", "info.version", Changed, Compatible),
            (
                "POST /crm/objects/2026-03/{t}/batch/upsert",
                "endpoint",
                Changed,
                Compatible
            ),
        ]
    );
    assert_eq!(
        report.changes[1].moved,
        Some(VersionMove {
            from: "v3".into(),
            to: "2026-03".into(),
            same_id: false
        })
    );
}

#[test]
fn one_moved_operation_keeps_its_own_endpoint_line() {
    // A single move is said where it happens, as this project's own one-operation specs have it.
    let old = spec(
        "2026-03",
        &[(
            "post",
            "/crm/objects/2026-03/{t}/batch/upsert",
            "batch_upsert",
            "s",
        )],
    );
    let new = spec(
        "2026-09",
        &[(
            "post",
            "/crm/objects/2026-09/{t}/batch/upsert",
            "batch_upsert",
            "s",
        )],
    );
    let report = text(&compare(&old, &new));
    assert!(report.contains(
        "\nOperation batch_upsert (POST /crm/objects/2026-09/{t}/batch/upsert)\n  compatible  endpoint: changed - \
         `POST /crm/objects/2026-03/{t}/batch/upsert` -> `POST /crm/objects/2026-09/{t}/batch/upsert`: \
         the generated method keeps its name and sends requests to the new endpoint\n"
    ), "{report}");
    assert!(!report.contains("paths: changed"), "{report}");
}

#[test]
fn many_documentation_changes_are_counted_not_listed_in_text() {
    let names: Vec<(String, String)> = (0..12)
        .map(|i| (format!("/crm/objects/2026-03/t{i}"), format!("op{i}")))
        .collect();
    let old: Vec<(&str, &str, &str, &str)> = names
        .iter()
        .map(|(p, id)| ("get", p.as_str(), id.as_str(), "before"))
        .collect();
    let new: Vec<(&str, &str, &str, &str)> = names
        .iter()
        .map(|(p, id)| ("get", p.as_str(), id.as_str(), "after"))
        .collect();
    let report = compare(&spec("1", &old), &spec("1", &new));
    assert_eq!(report.count(Mark::Documentation), 12);
    let text = text(&report);
    assert!(
        text.ends_with(
            "\n12 documentation changes, in 12 operations (`--format markdown` lists them)\n"
        ),
        "{text}"
    );
    let markdown = markdown(&report);
    assert!(markdown.contains(
        "### Documentation changes\n\n<details><summary>12 documentation changes, in 12 operations</summary>\n\n\
         - Operation `op0`: summary changed\n"
    ), "{markdown}");
    assert!(markdown.ends_with("</details>\n"), "{markdown}");
}
