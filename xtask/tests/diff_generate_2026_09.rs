//! `cargo xtask generate` on HubSpot's 2026-09 shape: the 207 response is gone and the 200
//! body carries `errors` and `numErrors`, beside a `default` error response of another type.
//!
//! progenitor 0.15 counts `default` among the success types unless a `2XX` range is present,
//! and panics when an operation's success types differ. `rewrite::range_lone_success` reads the
//! lone 200 as `2XX`; the first test generates through the real pipeline, the second shows the
//! same result from a spec edited by hand.

use std::path::PathBuf;

use serde_json::Value;
use xtask::generate;

/// The committed 2026-09 spec, rendered here without its overlays.
const FIXTURE: &str = "openapi/crm-objects-batch-upsert-2026-09.json";

/// A scratch workspace root holding `spec` where `generate` looks for the spec.
fn scratch_root(test: &str, spec: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
    std::fs::create_dir_all(root.join("openapi")).expect("creating the scratch spec directory");
    std::fs::write(root.join(generate::SPEC_FILE), spec).expect("writing the scratch spec");
    root
}

fn fixture() -> String {
    let path = xtask::workspace_root().join(FIXTURE);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {FIXTURE}: {err}"))
}

fn render(test: &str, spec: &str) -> anyhow::Result<generate::Rendered> {
    let root = scratch_root(test, spec);
    let rendered = generate::render(&root);
    let _ = std::fs::remove_dir_all(&root);
    rendered
}

#[test]
fn generate_renders_a_client_from_the_2026_09_shape() {
    let rendered = render("generate-2026-09", &fixture())
        .unwrap_or_else(|err| panic!("generate failed on the 2026-09 shape: {err:#}"));
    assert!(
        rendered
            .code
            .contains("ResponseValue<types::BatchResponseSimplePublicUpsertObject>")
    );
    assert!(
        rendered
            .rewrites
            .iter()
            .any(|applied| applied.rule == xtask::rewrite::RANGE_LONE_SUCCESS)
    );
}

#[test]
fn reading_the_lone_200_as_2xx_makes_the_2026_09_shape_generate() {
    let mut spec: Value = serde_json::from_str(&fixture()).expect("the fixture is JSON");
    let responses = spec
        .pointer_mut("/paths/~1crm~1objects~12026-09~1{objectType}~1batch~1upsert/post/responses")
        .and_then(Value::as_object_mut)
        .expect("the fixture has the batch upsert responses");
    let ok = responses
        .remove("200")
        .expect("the fixture has a 200 response");
    responses.insert("2XX".to_owned(), ok);
    let text = generate::canonical_json(&spec);
    let rendered = render("generate-2026-09-2xx", &text)
        .unwrap_or_else(|err| panic!("generate failed on the 2XX variant: {err:#}"));
    assert!(rendered.code.contains(
        "ResponseValue<types::BatchResponseSimplePublicUpsertObject>,\n            Error<types::Error>,"
    ));
    // The 200 body type now carries the per-input errors.
    let start = rendered
        .code
        .find("pub struct BatchResponseSimplePublicUpsertObject {")
        .expect("the 200 body type is generated");
    let body = &rendered.code[start..];
    let body = &body[..body.find("\n    }").unwrap_or(body.len())];
    assert!(
        body.contains("pub errors: ::std::vec::Vec<StandardError>"),
        "{body}"
    );
    assert!(
        body.contains("pub num_errors: ::std::option::Option<i32>"),
        "{body}"
    );
}
