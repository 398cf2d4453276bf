//! `cargo xtask diff` keeps "what HubSpot changed" apart from "what we changed in how we read
//! it": a scratch repository commits the spec and the overlay, then the working tree changes
//! both.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::diff::{Format, Kind, Mark, Options, Source, Subject};
use xtask::generate::canonical_json;

/// The 2026-03 spec, which has both batch response schemas these tests edit.
const SPEC_FILE: &str = "openapi/crm-objects-batch-upsert-2026-03.json";
use xtask::overlay::OVERLAY_FILE;

use common::git;

fn read_json(relative: &str) -> Value {
    let path = xtask::workspace_root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{relative}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// A scratch repository whose commit holds the committed spec and overlay; the working tree
/// then gets `spec` and `overlay`.
fn repository(test: &str, spec: &Value, overlay: &Value) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("xtask-diff-overlay-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("openapi")).expect("creating the scratch repository");
    for file in [SPEC_FILE, OVERLAY_FILE] {
        std::fs::write(dir.join(file), canonical_json(&read_json(file))).expect("copying");
    }
    git(&dir, &["init", "--quiet"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "--quiet", "-m", "spec and overlay"]);
    std::fs::write(dir.join(SPEC_FILE), canonical_json(spec)).expect("writing the new spec");
    std::fs::write(dir.join(OVERLAY_FILE), canonical_json(overlay)).expect("writing the overlay");
    dir
}

fn options(dir: &Path) -> Options {
    Options {
        old: Source::Git {
            rev: "HEAD".into(),
            path: SPEC_FILE.into(),
        },
        new: Source::File(dir.join(SPEC_FILE)),
        format: Format::Markdown,
        deny_breaking: false,
    }
}

fn schema(change: &xtask::diff::Change) -> &str {
    match &change.subject {
        Subject::Schema { name, .. } => name,
        _ => "",
    }
}

#[test]
fn hubspot_changes_and_overlay_changes_are_reported_apart() {
    // HubSpot adds a status value; we stop reading the 429 fields and add an action.
    let mut spec = read_json(SPEC_FILE);
    for name in [
        "BatchResponseSimplePublicUpsertObject",
        "BatchResponseSimplePublicUpsertObjectWithErrors",
    ] {
        let values = spec
            .pointer_mut(&format!(
                "/components/schemas/{name}/properties/status/enum"
            ))
            .and_then(Value::as_array_mut)
            .expect("the published status enum");
        values.push(json!("ARCHIVED"));
    }
    let mut overlay = read_json(OVERLAY_FILE);
    let actions = overlay["actions"].as_array_mut().expect("actions");
    actions.retain(|a| a["target"] != "$.components.schemas.Error.properties");
    actions.push(json!({
        "target": "$.components.schemas.SimplePublicUpsertObject.required",
        "description": "A test action: read `archived` and the rest as optional.",
        "remove": true,
    }));
    actions.push(json!({
        "target": "$.components.schemas.NoSuchSchema",
        "description": "A test action whose target matches nothing.",
        "update": {"x": 1},
    }));
    let dir = repository("apart", &spec, &overlay);
    let result = xtask::diff::run(&dir, &options(&dir));
    let text_result = xtask::diff::run(
        &dir,
        &Options {
            format: Format::Text,
            ..options(&dir)
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    let (report, markdown) = result.unwrap_or_else(|err| panic!("{err:#}"));
    let (_, text) = text_result.unwrap_or_else(|err| panic!("{err:#}"));

    // What HubSpot changed: the enum, on both batch bodies, breaking for a strict reader.
    let hubspot: Vec<(&str, &str, Mark)> = report
        .changes
        .iter()
        .filter(|c| c.mark != Mark::Documentation)
        .map(|c| (schema(c), c.location.as_str(), c.mark))
        .collect();
    assert_eq!(
        hubspot,
        [
            (
                "BatchResponseSimplePublicUpsertObject",
                "status",
                Mark::Breaking
            ),
            (
                "BatchResponseSimplePublicUpsertObjectWithErrors",
                "status",
                Mark::Breaking
            ),
        ]
    );
    // ... which the overlay absorbs: the generated crate reads `status` as a string.
    assert_eq!(report.reading.absorbed, [0, 1]);

    // What we changed: one action removed, two added, one of which matches nothing.
    let actions: Vec<(Kind, &str)> = report
        .reading
        .actions
        .iter()
        .map(|a| (a.kind, a.target.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            (Kind::Removed, "$.components.schemas.Error.properties"),
            (Kind::Added, "$.components.schemas.NoSuchSchema"),
            (
                Kind::Added,
                "$.components.schemas.SimplePublicUpsertObject.required"
            ),
        ]
    );
    assert_eq!(
        report.reading.unmatched,
        ["$.components.schemas.NoSuchSchema"]
    );

    // Their effect for callers: the four 429 fields are gone (breaking), the result's
    // required fields become optional (breaking too: `T` becomes `Option<T>`).
    let effect: Vec<(&str, &str, Kind)> = report
        .reading
        .effect
        .iter()
        .filter(|c| c.mark == Mark::Breaking)
        .map(|c| (schema(c), c.location.as_str(), c.kind))
        .collect();
    for field in ["errorType", "groupName", "policyName", "status"] {
        assert!(
            effect.contains(&("Error", field, Kind::Removed)),
            "{field}: {effect:?}"
        );
    }
    for field in [
        "archived",
        "createdAt",
        "id",
        "new",
        "properties",
        "updatedAt",
    ] {
        assert!(
            effect.contains(&("SimplePublicUpsertObject", field, Kind::Changed)),
            "{field}: {effect:?}"
        );
    }
    // The counts are what callers of the generated crate see: the absorbed enum changes are
    // not among them, the overlay's effect is.
    assert_eq!(report.count(Mark::Breaking), effect.len());
    assert_eq!(report.count_published(Mark::Breaking), 2);
    assert!(
        markdown.contains(
            "**2 breaking**, 0 compatible, 0 documentation: in the schema as HubSpot publishes it"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(
            "Read through the overlays, **{} breaking**",
            effect.len()
        )),
        "{markdown}"
    );

    assert!(
        markdown.contains("\n## How we read it: the overlay\n"),
        "{markdown}"
    );
    assert!(markdown.contains(&format!(
        "Old overlay: `{OVERLAY_FILE} at HEAD`; new overlay: `{OVERLAY_FILE}`."
    )));
    assert!(markdown.contains("| removed | `$.components.schemas.Error.properties` | update "));
    assert!(
        markdown.contains("- `$.components.schemas.NoSuchSchema`: `cargo xtask generate` refuses")
    );
    assert!(markdown.contains("### HubSpot's changes the reading absorbs"));
    // HubSpot's section comes first.
    let hubspot_at = markdown.find("### Schema `BatchResponseSimplePublicUpsertObject`");
    let ours_at = markdown.find("## How we read it");
    assert!(hubspot_at < ours_at, "{markdown}");
    assert!(text.contains("\nHow we read it: the overlay\n"), "{text}");
    assert!(
        text.contains("  UNMATCHED       $.components.schemas.NoSuchSchema"),
        "{text}"
    );
}

#[test]
fn an_unchanged_overlay_adds_nothing_to_the_report() {
    let dir = repository("unchanged", &read_json(SPEC_FILE), &read_json(OVERLAY_FILE));
    let result = xtask::diff::run(&dir, &options(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    let (report, markdown) = result.unwrap_or_else(|err| panic!("{err:#}"));
    assert!(report.changes.is_empty());
    assert!(report.reading.is_empty(), "{:?}", report.reading);
    assert!(markdown.contains("No changes."));
    assert!(!markdown.contains("How we read it"));
}

#[test]
fn an_overlay_only_change_is_reported_although_hubspot_changed_nothing() {
    let mut overlay = read_json(OVERLAY_FILE);
    overlay["actions"][1]["description"] = json!("Accept `null` as a property value, reworded.");
    let dir = repository("reworded", &read_json(SPEC_FILE), &overlay);
    let result = xtask::diff::run(&dir, &options(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    let (report, markdown) = result.unwrap_or_else(|err| panic!("{err:#}"));
    assert!(report.changes.is_empty());
    assert_eq!(report.reading.actions.len(), 1);
    assert_eq!(report.reading.actions[0].kind, Kind::Changed);
    assert!(
        report.reading.actions[0]
            .detail
            .starts_with("reason reworded: ")
    );
    assert!(
        markdown.contains("No changes.\n\n## How we read it: the overlay\n"),
        "{markdown}"
    );
}
