//! The worked example: HubSpot's real 2026-09 change, as the two committed specs state it,
//! compared with `cargo xtask diff --old openapi/crm-objects-batch-upsert-2026-03.json --new
//! openapi/crm-objects-batch-upsert-2026-09.json`.

use std::process::Command;

use xtask::diff::{Format, Kind, Mark, Options, Report, Source, Subject};

const OLD: &str = "openapi/crm-objects-batch-upsert-2026-03.json";
const NEW: &str = "openapi/crm-objects-batch-upsert-2026-09.json";

fn options(format: Format) -> Options {
    Options {
        old: Source::File(OLD.into()),
        new: Source::File(NEW.into()),
        format,
        deny_breaking: false,
    }
}

fn run(format: Format) -> (Report, String) {
    match xtask::diff::run(&xtask::workspace_root(), &options(format)) {
        Ok(result) => result,
        Err(err) => panic!("diff failed: {err:#}"),
    }
}

fn subject_name(subject: &Subject) -> &str {
    match subject {
        Subject::Document => "document",
        Subject::Operation { id, .. } => id,
        Subject::Schema { name, .. } => name,
    }
}

#[test]
fn the_2026_09_change_is_reported_with_its_marks() {
    let (report, _) = run(Format::Markdown);
    let summary: Vec<(&str, &str, Kind, Mark)> = report
        .changes
        .iter()
        .map(|c| {
            (
                subject_name(&c.subject),
                c.location.as_str(),
                c.kind,
                c.mark,
            )
        })
        .collect();
    use Kind::{Added, Changed, Removed};
    use Mark::{Breaking, Compatible, Documentation};
    assert_eq!(
        summary,
        vec![
            ("document", "info.version", Changed, Compatible),
            ("document", "info.description", Changed, Documentation),
            ("batch_upsert", "endpoint", Changed, Compatible),
            ("batch_upsert", "description", Changed, Documentation),
            ("batch_upsert", "response 200", Changed, Documentation),
            ("batch_upsert", "response 207", Removed, Breaking),
            (
                "BatchResponseSimplePublicUpsertObject",
                "",
                Changed,
                Documentation
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
    assert_eq!(report.old_version.as_deref(), Some("2026-03"));
    assert_eq!(report.new_version.as_deref(), Some("2026-09"));
    assert_eq!(report.count(Mark::Breaking), 4);
    let endpoint = &report.changes[2];
    assert_eq!(
        endpoint.subject,
        Subject::Operation {
            id: "batch_upsert".into(),
            endpoint: "POST /crm/objects/2026-09/{objectType}/batch/upsert".into(),
        }
    );
    assert!(endpoint.detail.starts_with(
        "`POST /crm/objects/2026-03/{objectType}/batch/upsert` → `POST /crm/objects/2026-09/{objectType}/batch/upsert`"
    ));
    assert!(
        report.changes[5].detail.starts_with(
            "response removed (body `BatchResponseSimplePublicUpsertObjectWithErrors`)"
        )
    );
    assert_eq!(
        report.changes[7].detail,
        "new optional field (array of `StandardError`)"
    );
    assert_eq!(
        report.changes[8].detail,
        "new optional field (`integer`, `int32`)"
    );
}

#[test]
fn the_markdown_report_leads_with_the_counts_and_tables() {
    let (_, markdown) = run(Format::Markdown);
    let lines: Vec<&str> = markdown.lines().collect();
    assert_eq!(lines[0], "## API changes: 2026-03 → 2026-09");
    assert!(
        markdown.contains("**4 breaking**, 4 compatible, 4 documentation"),
        "{markdown}"
    );
    assert!(markdown.contains(
        "### Operation `batch_upsert` (POST /crm/objects/2026-09/{objectType}/batch/upsert)"
    ));
    assert!(markdown.contains("| **breaking** | response 207 | removed |"));
    assert!(markdown.contains(
        "### Schema `BatchResponseSimplePublicUpsertObject` (response)\n\n| Mark | Where | Change | Detail |"
    ));
    assert!(markdown.contains(
        "| compatible | `errors` | added | new optional field (array of `StandardError`) |"
    ));
    assert!(
        markdown.contains(
            "### Documentation changes\n\n- Document, `info.description`: changed\n\
         - Operation `batch_upsert`: description changed\n\
         - Operation `batch_upsert`, response 200: description changed\n\
         - Schema `BatchResponseSimplePublicUpsertObject`: description changed\n"
        ),
        "{markdown}"
    );
    assert!(markdown.contains(
        "| **breaking** | `warnings` | removed | field removed: code that reads or sets it no longer compiles |"
    ));
    // Breaking rows come first within a subject.
    let breaking = markdown
        .find("| **breaking** | response 207")
        .unwrap_or(usize::MAX);
    let compatible = markdown.find("| compatible | endpoint").unwrap_or(0);
    assert!(breaking < compatible, "{markdown}");
}

#[test]
fn the_text_report_marks_breaking_lines() {
    let (_, text) = run(Format::Text);
    assert!(
        text.starts_with("API changes: 2026-03 -> 2026-09\n"),
        "{text}"
    );
    assert!(text.contains(
        "\nOperation batch_upsert (POST /crm/objects/2026-09/{objectType}/batch/upsert)\n"
    ));
    assert!(text.contains(
        "  BREAKING    response 207: removed - response removed (body `BatchResponseSimplePublicUpsertObjectWithErrors`)"
    ), "{text}");
    assert!(
        text.contains(
            "  compatible  errors: added - new optional field (array of `StandardError`)"
        )
    );
}

fn xtask_diff(args: &[&str]) -> std::process::Output {
    match Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("diff")
        .args(args)
        .current_dir(xtask::workspace_root())
        .output()
    {
        Ok(output) => output,
        Err(err) => panic!("running xtask: {err}"),
    }
}

#[test]
fn the_command_exits_non_zero_on_breaking_changes_only_with_deny_breaking() {
    let plain = xtask_diff(&["--old", OLD, "--new", NEW]);
    assert!(plain.status.success());
    assert!(
        String::from_utf8_lossy(&plain.stdout).starts_with("## API changes: 2026-03 → 2026-09")
    );

    let denied = xtask_diff(&[
        "--old",
        OLD,
        "--new",
        NEW,
        "--deny-breaking",
        "--format",
        "text",
    ]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stdout).starts_with("API changes: 2026-03 -> 2026-09"));
    assert_eq!(
        String::from_utf8_lossy(&denied.stderr),
        "error: 4 breaking change(s) and --deny-breaking was given\n"
    );

    let same = xtask_diff(&["--old", OLD, "--new", OLD, "--deny-breaking"]);
    assert!(same.status.success());
    assert!(String::from_utf8_lossy(&same.stdout).contains("No changes."));
}

#[test]
fn bad_arguments_and_missing_files_are_named() {
    let bad = xtask_diff(&["--format", "html"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown format `html`"));

    let missing = xtask_diff(&["--old", "nowhere.json", "--new", NEW]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("loading the old spec"), "{stderr}");
    assert!(stderr.contains("nowhere.json"), "{stderr}");

    let both = xtask_diff(&["--base", "HEAD", "--old", OLD]);
    assert!(String::from_utf8_lossy(&both.stderr).contains("either --base or --old"));
}
