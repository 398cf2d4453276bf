//! The overlay in `openapi/`: each action matches the committed spec, the generated client is
//! tolerant only through it, and `generate --check` sees an edit to it.

use std::path::PathBuf;

use serde_json::Value;
use xtask::generate::{self, GENERATED_FILE, Outcome, SPEC_FILE, VERSIONS};
use xtask::overlay::{Change, OVERLAY_FILE, Overlay};

fn read(relative: &str) -> String {
    let path = xtask::workspace_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {relative}: {err}"))
}

fn committed_overlay() -> Overlay {
    Overlay::parse(OVERLAY_FILE, &read(OVERLAY_FILE)).unwrap_or_else(|err| panic!("{err:#}"))
}

/// The 2026-03 spec, which has both batch response schemas the shared overlay names.
fn committed_spec() -> Value {
    serde_json::from_str(&read(VERSIONS[0].spec)).expect("the spec is JSON")
}

/// A scratch workspace root holding copies of the committed spec, overlay and client.
fn scratch_root(test: &str, with_overlay: bool) -> PathBuf {
    let root = std::env::temp_dir().join(format!("xtask-overlay-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("openapi")).expect("creating openapi/");
    std::fs::create_dir_all(root.join("crates/hubspot-crm-api/src")).expect("creating src/");
    let mut files = Vec::new();
    for version in VERSIONS {
        files.extend([version.spec, version.generated]);
        if with_overlay {
            files.extend(version.overlay);
        }
    }
    if with_overlay {
        files.push(OVERLAY_FILE);
    }
    for file in files {
        std::fs::write(root.join(file), read(file)).expect("copying into the scratch root");
    }
    root
}

#[test]
fn every_action_matches_the_committed_spec_where_it_is_meant_to() {
    let overlay = committed_overlay();
    let spec = committed_spec();
    let schemas = "/components/schemas";
    let expected: Vec<Vec<String>> = [
        vec![
            "BatchResponseSimplePublicUpsertObject/properties/status/enum",
            "BatchResponseSimplePublicUpsertObjectWithErrors/properties/status/enum",
        ],
        vec!["SimplePublicUpsertObject/properties/properties/additionalProperties"],
        vec![
            "StandardError/required",
            "Error/required",
            "ErrorDetail/required",
        ],
        vec![
            "StandardError/properties/subCategory/type",
            "Error/properties/subCategory/type",
        ],
        vec!["Error/properties"],
    ]
    .into_iter()
    .map(|paths| {
        paths
            .into_iter()
            .map(|p| format!("{schemas}/{p}"))
            .collect()
    })
    .collect();
    let matched: Vec<Vec<String>> = overlay.actions.iter().map(|a| a.matches(&spec)).collect();
    assert_eq!(matched, expected);
    for action in &overlay.actions {
        assert!(
            action.description.len() > 40,
            "the action on `{}` must say why it exists",
            action.target
        );
    }
}

#[test]
fn the_spec_is_strict_and_the_overlay_makes_the_reading_tolerant() {
    let overlay = committed_overlay();
    let mut spec = committed_spec();
    let at = |spec: &Value, pointer: &str| spec.pointer(pointer).cloned();
    let schemas = "/components/schemas";
    // As published: an enum, string values, required error fields.
    assert!(
        at(
            &spec,
            &format!("{schemas}/BatchResponseSimplePublicUpsertObject/properties/status/enum")
        )
        .is_some()
    );
    assert_eq!(
        at(
            &spec,
            &format!(
                "{schemas}/SimplePublicUpsertObject/properties/properties/additionalProperties"
            )
        ),
        Some(serde_json::json!({"type": "string"}))
    );
    let required = at(&spec, &format!("{schemas}/StandardError/required")).expect("required");
    assert!(
        required
            .as_array()
            .is_some_and(|r| r.iter().any(|n| n == "links"))
    );
    assert!(at(&spec, &format!("{schemas}/Error/properties/policyName")).is_none());

    overlay
        .apply(&mut spec)
        .unwrap_or_else(|err| panic!("{err:#}"));
    assert!(
        at(
            &spec,
            &format!("{schemas}/BatchResponseSimplePublicUpsertObject/properties/status/enum")
        )
        .is_none()
    );
    assert_eq!(
        at(
            &spec,
            &format!(
                "{schemas}/SimplePublicUpsertObject/properties/properties/additionalProperties/nullable"
            )
        ),
        Some(Value::Bool(true))
    );
    assert!(at(&spec, &format!("{schemas}/StandardError/required")).is_none());
    assert!(
        at(
            &spec,
            &format!("{schemas}/Error/properties/subCategory/type")
        )
        .is_none()
    );
    assert!(at(&spec, &format!("{schemas}/Error/properties/policyName")).is_some());
}

#[test]
fn without_the_overlay_the_client_would_be_strict() {
    let root = scratch_root("strict", false);
    let rendered = generate::render(&root);
    let _ = std::fs::remove_dir_all(&root);
    let rendered = rendered.unwrap_or_else(|err| panic!("{err:#}"));
    assert!(rendered.overlay.is_none());
    // The strict spec's status is an enum, and property values are plain strings.
    assert!(
        rendered
            .code
            .contains("pub enum BatchResponseSimplePublicUpsertObjectStatus")
    );
    assert!(!rendered.code.contains("policy_name"));
    let tolerant = read(GENERATED_FILE);
    assert!(!tolerant.contains("pub enum BatchResponseSimplePublicUpsertObjectStatus"));
    assert!(tolerant.contains("policy_name"));
}

#[test]
fn editing_the_overlay_makes_generate_check_fail_until_regenerated() {
    let root = scratch_root("edit", true);
    let check = |root: &PathBuf| generate::run(root, true).unwrap_or_else(|err| panic!("{err:#}"));
    assert!(matches!(check(&root), Outcome::UpToDate));

    let path = root.join(OVERLAY_FILE);
    let mut overlay: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("reading")).expect("JSON");
    let actions = overlay["actions"].as_array_mut().expect("actions");
    let policy = actions
        .iter()
        .position(|a| a["target"] == "$.components.schemas.Error.properties");
    actions.remove(policy.expect("the 429 action"));
    std::fs::write(&path, generate::canonical_json(&overlay)).expect("writing");

    let stale = check(&root);
    let Outcome::Stale(diffs) = stale else {
        panic!("an edited overlay must make the check fail, got {stale:?}");
    };
    assert!(
        diffs
            .iter()
            .any(|d| d.contains(GENERATED_FILE) && d.contains("policy_name"))
    );
    assert!(matches!(
        generate::run(&root, false),
        Ok(Outcome::Written(_))
    ));
    let after = check(&root);
    let _ = std::fs::remove_dir_all(&root);
    assert!(matches!(after, Outcome::UpToDate), "{after:?}");
}

#[test]
fn an_overlay_not_in_canonical_form_is_stale() {
    let root = scratch_root("canonical", true);
    let path = root.join(OVERLAY_FILE);
    let compact: Value = serde_json::from_str(&read(OVERLAY_FILE)).expect("JSON");
    std::fs::write(&path, compact.to_string()).expect("writing");
    let outcome = generate::run(&root, true);
    let _ = std::fs::remove_dir_all(&root);
    let Ok(Outcome::Stale(diffs)) = outcome else {
        panic!("expected a stale overlay, got {outcome:?}");
    };
    assert!(diffs.iter().any(|d| d.contains(OVERLAY_FILE)));
}

#[test]
fn an_action_that_no_longer_matches_fails_generation_naming_it() {
    let root = scratch_root("unmatched", true);
    let spec_path = root.join(SPEC_FILE);
    let committed_spec = || -> Value { serde_json::from_str(&read(SPEC_FILE)).expect("JSON") };
    let mut spec = committed_spec();
    let schemas = spec["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    let error = schemas.remove("Error").expect("Error");
    schemas.insert("ApiError".into(), error);
    let text = generate::canonical_json(&spec).replace(
        "#/components/schemas/Error\"",
        "#/components/schemas/ApiError\"",
    );
    std::fs::write(&spec_path, text).expect("writing");
    let result = generate::render(&root);
    let _ = std::fs::remove_dir_all(&root);
    let err = result.map(|_| ()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("$.components.schemas.Error.properties"),
        "{text}"
    );
    assert!(text.contains("matches nothing"), "{text}");
}

#[test]
fn the_overlay_actions_are_updates_or_removals_as_declared() {
    let kinds: Vec<&str> = committed_overlay()
        .actions
        .iter()
        .map(|a| match a.change {
            Change::Update(_) => "update",
            Change::Remove => "remove",
        })
        .collect();
    assert_eq!(kinds, ["remove", "update", "remove", "remove", "update"]);
}
