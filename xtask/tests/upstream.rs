//! `cargo xtask upstream`: our spec against HubSpot's document of the same version.
//!
//! HubSpot's side is `xtask/tests/fixtures/hubspot-shape/objects-2026-03.json` (four
//! operations, ids and paths that carry the version, `components/responses`, shared schemas,
//! per-operation scope lists, `example: null` everywhere), changed in each test the way
//! HubSpot changes its document; ours is
//! `xtask/tests/fixtures/hubspot-shape/ours/crm-objects-batch-upsert-2026-03.json`, the batch
//! upsert operation alone in this project's style, with the known deviations of the real spec
//! (OpenAPI 3.0.3, our own prose and operationId, `maxItems: 100`, a private app's token).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};
use xtask::diff::Spec;
use xtask::upstream::contract::PRESENCE;
use xtask::upstream::deviations::{Deviation, KNOWN, Side};
use xtask::upstream::{Options, Report, committed_spec, committed_specs, document_version};

const THEIRS: &str = "xtask/tests/fixtures/hubspot-shape/objects-2026-03.json";
const OURS_DIR: &str = "xtask/tests/fixtures/hubspot-shape/ours";
const OURS: &str = "xtask/tests/fixtures/hubspot-shape/ours/crm-objects-batch-upsert-2026-03.json";
const UPSERT: &str = "POST /crm/objects/2026-03/{objectType}/batch/upsert";

fn read(relative: &str) -> Value {
    let path = xtask::workspace_root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{relative}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{relative}: {err}"))
}

fn spec(source: &str, value: &Value) -> Spec {
    Spec::parse(source, &value.to_string()).unwrap_or_else(|err| panic!("{err:#}"))
}

/// HubSpot's fixture document after `edit`, compared with our fixture spec.
fn check(edit: impl FnOnce(&mut Value)) -> Report {
    let mut theirs = read(THEIRS);
    edit(&mut theirs);
    let report = Report::new(
        &spec("theirs.json", &theirs),
        &spec("ours.json", &read(OURS)),
        "2026-03",
        KNOWN,
    );
    report.unwrap_or_else(|err| panic!("{err:#}"))
}

fn drift(report: &Report) -> Vec<String> {
    report.drift.iter().map(|d| d.line()).collect()
}

/// The value at `pointer`, which must exist.
fn at<'v>(value: &'v mut Value, pointer: &str) -> &'v mut Value {
    value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the fixture"))
}

fn remove(value: &mut Value, pointer: &str, key: &str) {
    let removed = at(value, pointer)
        .as_object_mut()
        .and_then(|m| m.remove(key));
    assert!(removed.is_some(), "no {pointer}/{key} in the fixture");
}

const SCHEMAS: &str = "/components/schemas";
const UPSERT_OP: &str = "/paths/~1crm~1objects~12026-03~1{objectType}~1batch~1upsert/post";

#[test]
fn a_matching_document_reports_no_drift_and_lists_the_known_deviations_apart() {
    let report = check(|_| {});
    assert_eq!(drift(&report), Vec::<String>::new());
    assert!(!report.has_drift());
    let seen: Vec<(&str, Vec<String>)> = report
        .deviations
        .iter()
        .map(|(d, covered)| (d.name, covered.iter().map(|c| c.line()).collect()))
        .collect();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert_eq!(
        seen[0],
        (
            "OpenAPI 3.0.3",
            vec!["openapi: version `3.0.1` in HubSpot's document, `3.0.3` in ours".to_owned()]
        )
    );
    assert_eq!(seen[1].0, "our own prose");
    assert_eq!(
        seen[2],
        (
            "our operationId",
            vec![format!(
                "{UPSERT}: operationId `post-/crm/objects/2026-03/{{objectType}}/batch/upsert_/crm/objects/2025-09/{{objectType}}/batch/upsert` \
                 in HubSpot's document, `batch_upsert` in ours"
            )]
        )
    );
    assert_eq!(
        seen[3],
        (
            "100 inputs per request",
            vec!["BatchInputSimplePublicObjectBatchInputUpsert.inputs: maxItems absent in HubSpot's document, `100` in ours".to_owned()]
        )
    );
    assert_eq!(
        seen[4],
        (
            "private app tokens",
            vec![
                "security scheme `private_app` (http bearer): in ours, not in HubSpot's document"
                    .to_owned()
            ]
        )
    );
    assert!(report.unseen.is_empty());
    // What was compared: the one operation and the ten schemas it reaches, on both sides.
    assert_eq!(report.comparison.theirs_operations, 4);
    assert_eq!(report.comparison.operations.len(), 1);
    assert_eq!(
        report.comparison.operations[0].theirs.as_deref(),
        Some(UPSERT)
    );
    assert_eq!(report.comparison.schemas.len(), 10);
    let scopes = report.comparison.scopes.as_ref().expect("scopes");
    assert_eq!(scopes.theirs.len(), 6);
    assert_eq!(scopes.ours.len(), 3);
}

#[test]
fn a_field_hubspot_removed_is_drift() {
    // HubSpot's 2026-03 document before June: no `warnings`, no `PublicObjectWarning`.
    let report = check(|theirs| {
        remove(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties"),
            "warnings",
        );
        remove(theirs, SCHEMAS, "PublicObjectWarning");
    });
    assert_eq!(
        drift(&report),
        vec![
            "PublicObjectWarning: in ours, not in HubSpot's document",
            "SimplePublicUpsertObject.warnings: in ours (optional), not in HubSpot's document",
        ]
    );
}

#[test]
fn a_field_hubspot_added_is_drift() {
    let report = check(|theirs| {
        at(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties"),
        )["source"] = json!({"type": "string", "description": "Added later.", "example": null});
    });
    assert_eq!(
        drift(&report),
        vec!["SimplePublicUpsertObject.source: in HubSpot's document (optional), not in ours"]
    );
}

#[test]
fn a_changed_type_or_format_is_drift() {
    let report = check(|theirs| {
        let field = at(
            theirs,
            &format!("{SCHEMAS}/ValueWithTimestamp/properties/updatedByUserId"),
        );
        field["format"] = json!("int64");
        let id = at(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties/id"),
        );
        id["type"] = json!("integer");
    });
    assert_eq!(
        drift(&report),
        vec![
            "SimplePublicUpsertObject.id: type `integer` in HubSpot's document, `string` in ours",
            "ValueWithTimestamp.updatedByUserId: format `int64` in HubSpot's document, `int32` in ours",
        ]
    );
}

#[test]
fn a_response_hubspot_removed_is_drift() {
    let report = check(|theirs| remove(theirs, &format!("{UPSERT_OP}/responses"), "207"));
    assert_eq!(
        drift(&report),
        vec![format!(
            "{UPSERT}, response 207: in ours (body `BatchResponseSimplePublicUpsertObjectWithErrors`), not in HubSpot's document"
        )]
    );
}

#[test]
fn a_new_required_field_and_a_field_become_required_are_drift() {
    let report = check(|theirs| {
        let input = at(
            theirs,
            &format!("{SCHEMAS}/SimplePublicObjectBatchInputUpsert"),
        );
        input["properties"]["source"] = json!({"type": "string", "example": null});
        input["required"] = json!(["id", "idProperty", "properties", "source"]);
    });
    assert_eq!(
        drift(&report),
        vec![
            "SimplePublicObjectBatchInputUpsert.idProperty: required in HubSpot's document, optional in ours",
            "SimplePublicObjectBatchInputUpsert.source: in HubSpot's document (required), not in ours",
        ]
    );
}

#[test]
fn enum_values_nullability_and_maps_are_compared() {
    let report = check(|theirs| {
        let batch = at(
            theirs,
            &format!("{SCHEMAS}/BatchResponseSimplePublicUpsertObject/properties"),
        );
        batch["status"]["enum"] =
            json!(["CANCELED", "COMPLETE", "PENDING", "PROCESSING", "FAILED"]);
        let record = at(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties"),
        );
        record["properties"]["additionalProperties"]["nullable"] = json!(true);
        record["url"]["nullable"] = json!(true);
    });
    assert_eq!(
        drift(&report),
        vec![
            "BatchResponseSimplePublicUpsertObject.status: enum value `FAILED` in HubSpot's document, not in ours",
            "SimplePublicUpsertObject.properties{}: nullable in HubSpot's document, not nullable in ours",
            "SimplePublicUpsertObject.url: nullable in HubSpot's document, not nullable in ours",
        ]
    );
}

#[test]
fn prose_and_examples_never_drift() {
    let report = check(|theirs| {
        let id = at(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties/id"),
        );
        id["description"] = json!("Reworded by HubSpot.");
        id["example"] = json!("512");
        at(theirs, UPSERT_OP)["summary"] = json!("Reworded too.");
    });
    assert!(!report.has_drift(), "{:#?}", report.drift);
    let (_, prose) = report
        .deviations
        .iter()
        .find(|(d, _)| d.name == "our own prose")
        .expect("the prose deviation");
    let baseline = check(|_| {});
    let (_, before) = baseline
        .deviations
        .iter()
        .find(|(d, _)| d.name == "our own prose")
        .expect("the prose deviation");
    // Counted, not quoted: the id's description now differs from ours and it has an example
    // (two more); the operation's summary differed already.
    assert_eq!(prose.len(), before.len() + 2, "{prose:#?}");
    assert!(prose.iter().all(|d| !format!("{d:?}").contains("Reworded")));
}

#[test]
fn a_scope_ours_names_that_hubspot_no_longer_lists_is_drift() {
    let report = check(|theirs| {
        let security = at(theirs, &format!("{UPSERT_OP}/security"));
        security
            .as_array_mut()
            .expect("a list")
            .retain(|r| r["oauth2"][0] != "crm.objects.custom.write");
    });
    assert_eq!(
        drift(&report),
        vec!["scopes: scope `crm.objects.custom.write` in ours, not in HubSpot's document"]
    );
}

#[test]
fn a_deviation_hubspot_caught_up_with_is_reported_unseen_and_another_value_is_drift() {
    let report = check(|theirs| {
        at(
            theirs,
            &format!("{SCHEMAS}/BatchInputSimplePublicObjectBatchInputUpsert/properties/inputs"),
        )["maxItems"] = json!(100);
        theirs["openapi"] = json!("3.1.0");
    });
    let unseen: Vec<&str> = report.unseen.iter().map(|d| d.name).collect();
    assert_eq!(unseen, vec!["OpenAPI 3.0.3", "100 inputs per request"]);
    assert_eq!(
        drift(&report),
        vec!["openapi: version `3.1.0` in HubSpot's document, `3.0.3` in ours"]
    );
}

/// A deviation of the 2026-09 spec only: a header scheme HubSpot's document declares.
static HEADER_2026_09: &[Deviation] = &[Deviation {
    name: "a 2026-09 header",
    place: "security scheme `private_apps` (apiKey in header `private-app`)",
    aspect: PRESENCE,
    theirs: Side::Present,
    ours: Side::Absent,
    versions: &["2026-09"],
    reason: "a test entry",
}];

#[test]
fn a_deviation_of_another_version_neither_covers_nor_goes_unseen() {
    let mut theirs = read(THEIRS);
    theirs["components"]["securitySchemes"]["private_apps"] =
        json!({"type": "apiKey", "in": "header", "name": "private-app"});
    at(&mut theirs, &format!("{UPSERT_OP}/security"))
        .as_array_mut()
        .expect("a list")
        .push(json!({"private_apps": ["crm.objects.contacts.write"]}));
    let (theirs, ours) = (spec("theirs.json", &theirs), spec("ours.json", &read(OURS)));
    let line = "security scheme `private_apps` (apiKey in header `private-app`): in HubSpot's document, not in ours";
    let for_2026_03 = Report::new(&theirs, &ours, "2026-03", HEADER_2026_09).expect("compared");
    assert!(for_2026_03.unseen.is_empty());
    assert!(
        drift(&for_2026_03).contains(&line.to_owned()),
        "{:#?}",
        for_2026_03.drift
    );
    let for_2026_09 = Report::new(&theirs, &ours, "2026-09", HEADER_2026_09).expect("compared");
    assert!(!drift(&for_2026_09).contains(&line.to_owned()));
    assert_eq!(for_2026_09.deviations.len(), 1);
    assert_eq!(for_2026_09.deviations[0].1[0].line(), line);
    // Without the scheme in HubSpot's document, the 2026-09 entry is reported unseen.
    let plain = spec("plain.json", &read(THEIRS));
    let unseen = Report::new(&plain, &ours, "2026-09", HEADER_2026_09).expect("compared");
    assert_eq!(unseen.unseen.len(), 1);
}

#[test]
fn an_operation_hubspot_dropped_is_drift() {
    let report = check(|theirs| {
        remove(
            theirs,
            "/paths",
            "/crm/objects/2026-03/{objectType}/batch/upsert",
        );
    });
    assert_eq!(
        drift(&report)[0],
        format!("{UPSERT}: in ours, not in HubSpot's document")
    );
    assert_eq!(report.comparison.operations[0].theirs, None);
}

#[test]
fn the_version_comes_from_info_and_paths_and_they_must_agree() {
    let theirs = read(THEIRS);
    assert_eq!(
        document_version(&spec("theirs.json", &theirs)).expect("a version"),
        "2026-03"
    );
    let mut no_info = theirs.clone();
    remove(&mut no_info, "/info", "version");
    assert_eq!(
        document_version(&spec("no-info.json", &no_info)).expect("a version"),
        "2026-03"
    );
    let mut disagreeing = theirs;
    disagreeing["info"]["version"] = json!("2026-09");
    let err = document_version(&spec("odd.json", &disagreeing)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "odd.json says `info.version` 2026-09, but its paths carry 2026-03: which version it describes is unclear"
    );
}

#[test]
fn the_committed_spec_of_the_same_version_is_picked() {
    let dir = xtask::workspace_root().join(OURS_DIR);
    assert_eq!(
        committed_specs(&dir).expect("listing"),
        vec![(
            "2026-03".to_owned(),
            "crm-objects-batch-upsert-2026-03.json".to_owned()
        )]
    );
    let spec = committed_spec(&dir, "ours", "2026-03").expect("the 2026-03 spec");
    assert_eq!(spec.source, "ours/crm-objects-batch-upsert-2026-03.json");
    let err = committed_spec(&dir, "ours", "2026-09").unwrap_err();
    assert_eq!(
        err.to_string(),
        "HubSpot's document is version 2026-09, but no committed spec has that version: \
         ours/crm-objects-batch-upsert-2026-09.json does not exist (committed: \
         ours/crm-objects-batch-upsert-2026-03.json). Bring that version in first \
         (docs/updating-api-version.md), or name our side with --spec FILE"
    );
}

#[test]
fn a_committed_spec_whose_info_version_disagrees_with_its_name_is_refused() {
    let dir = std::env::temp_dir().join(format!("xtask-upstream-misnamed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut ours = read(OURS);
    ours["info"]["version"] = json!("2026-09");
    std::fs::write(
        dir.join("crm-objects-batch-upsert-2026-03.json"),
        ours.to_string(),
    )
    .expect("writing");
    let result = committed_spec(&dir, "openapi", "2026-03");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        result.unwrap_err().to_string(),
        "openapi/crm-objects-batch-upsert-2026-03.json is named for version 2026-03 but its `info.version` is `2026-09`"
    );
}

#[test]
fn options_name_the_document_and_refuse_the_rest() {
    assert_eq!(
        Options::parse(&["doc.json", "--format", "markdown", "--spec", "x.json"]).expect("valid"),
        Options {
            document: PathBuf::from("doc.json"),
            spec: Some(PathBuf::from("x.json")),
            format: xtask::diff::Format::Markdown,
        }
    );
    let err = Options::parse(&[]).unwrap_err().to_string();
    assert!(err.starts_with("name HubSpot's document"), "{err}");
    let err = Options::parse(&["a.json", "b.json"])
        .unwrap_err()
        .to_string();
    assert_eq!(err, "give one HubSpot document; `b.json` is a second one");
    let err = Options::parse(&["a.json", "--deny"])
        .unwrap_err()
        .to_string();
    assert_eq!(err, "unknown option for upstream: `--deny`");
}

fn xtask_upstream(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("upstream")
        .args(args)
        .current_dir(xtask::workspace_root())
        .output()
        .unwrap_or_else(|err| panic!("running xtask: {err}"))
}

/// HubSpot's fixture after `edit`, in a scratch file named for `test`.
fn scratch_document(test: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut theirs = read(THEIRS);
    edit(&mut theirs);
    let path =
        std::env::temp_dir().join(format!("xtask-upstream-{test}-{}.json", std::process::id()));
    std::fs::write(&path, theirs.to_string()).expect("writing the scratch document");
    path
}

#[test]
fn the_command_exits_0_on_a_match_1_on_drift_2_when_it_cannot_compare() {
    let matching = xtask_upstream(&[THEIRS, "--spec", OURS]);
    let stdout = String::from_utf8_lossy(&matching.stdout);
    assert_eq!(matching.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with(
        "Upstream check, version 2026-03: our spec matches HubSpot's document\n\
         HubSpot's document: xtask/tests/fixtures/hubspot-shape/objects-2026-03.json (4 operations)\n"
    ), "{stdout}");
    assert!(stdout.contains(
        "Scopes: HubSpot's document lists 6 for the operation (any one is accepted); ours names 3, all among them\n"
    ));
    assert!(stdout.contains(
        "\nKnown deviations, kept on purpose (listed in xtask/src/upstream/deviations.rs)\n"
    ));

    let document = scratch_document("drift", |theirs| {
        remove(
            theirs,
            &format!("{SCHEMAS}/SimplePublicUpsertObject/properties"),
            "warnings",
        );
    });
    let path = document.to_string_lossy().into_owned();
    let drifted = xtask_upstream(&[&path, "--spec", OURS, "--format", "markdown"]);
    let _ = std::fs::remove_file(&document);
    let stdout = String::from_utf8_lossy(&drifted.stdout);
    assert_eq!(drifted.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .starts_with("## Upstream check, version 2026-03: 1 difference of contract (drift)\n")
    );
    assert!(
        stdout.contains(
            "### Drift (1): HubSpot's document and ours differ here\n\n\
         - SimplePublicUpsertObject.warnings: in ours (optional), not in HubSpot's document\n"
        ),
        "{stdout}"
    );
    assert_eq!(
        String::from_utf8_lossy(&drifted.stderr),
        "error: our spec differs from HubSpot's document in 1 place(s); see the drift above\n"
    );

    // A version no committed spec has: the error names the file it looked for.
    let document = scratch_document("no-version", |theirs| {
        let text = theirs.to_string().replace("2026-03", "2031-03");
        *theirs = serde_json::from_str(&text).expect("still JSON");
    });
    let path = document.to_string_lossy().into_owned();
    let missing = xtask_upstream(&[&path]);
    let _ = std::fs::remove_file(&document);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.starts_with(
            "error: HubSpot's document is version 2031-03, but no committed spec has that version: \
         openapi/crm-objects-batch-upsert-2031-03.json does not exist (committed: "
        ),
        "{stderr}"
    );

    let unreadable = xtask_upstream(&["nowhere.json"]);
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unreadable.stderr).contains("loading HubSpot's document"));
}

#[test]
fn without_spec_the_workspace_spec_of_the_document_version_is_used() {
    // Whatever our committed 2026-03 spec says today, it is the one picked for a 2026-03
    // document, and the comparison runs (a match or drift, not an error).
    let output = xtask_upstream(&[THEIRS]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stdout}");
    assert!(
        stdout.contains("\nOur spec: openapi/crm-objects-batch-upsert-2026-03.json\n"),
        "{stdout}"
    );
}
