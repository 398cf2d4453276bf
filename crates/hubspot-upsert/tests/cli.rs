//! End-to-end tests: the `hubspot-upsert` binary run as a child process against the embedded
//! mock, either its own (`--mock`) or one started inside this test process on a 127.0.0.1
//! ephemeral port (so the test can read the mock's state after killing the child).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hubspot_crm_mock::MockServer;
use serde_json::Value;

mod common;
use common::{outcome_counts, report_lines, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_hubspot-upsert");
const TOKEN: &str = "pat-test-5e3cf1a9-secret";
/// Distinct valid records in examples/contacts.csv, as the mock judges them without a
/// property schema: 3,000 rows less 1 without email, 5 invalid emails, 4 repeats, 6 values
/// HubSpot refuses and 3 options given by their label.
const EXAMPLE_DISTINCT_VALID: usize = 2981;
/// Records of the example that fail without a property schema.
const EXAMPLE_FAILED: usize = 15;

fn example_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contacts.csv")
}

/// The example property definitions for contacts, at the repository root.
fn example_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contacts-properties.json")
}

/// The binary with a clean environment: no token unless the test gives one, no RUST_LOG.
fn upsert() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("HUBSPOT_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn the_readme_command_loads_the_example_into_the_embedded_mock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.ndjson");
    let out = run(upsert()
        .args([
            "--mock",
            "--object-type",
            "contacts",
            "--id-property",
            "email",
            "--property-schema",
        ])
        .arg(example_schema())
        .arg(example_csv())
        .arg("--report")
        .arg(&report));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "some records fail: {stdout}{stderr}"
    );
    assert!(stderr.contains("embedded HubSpot mock"), "{stderr}");
    // 2,993 records sent (30 requests); 6 refused before sending, 1 without an id.
    assert!(
        stdout.contains("2984 created, 4 updated, 12 failed; 30 requests"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Property schema: 6 records refused before sending (no request spent), 3 sent with values normalized"),
        "{stdout}"
    );
    let lines = report_lines(&report);
    assert_eq!(lines.len(), 3000);
    assert_eq!(
        outcome_counts(&lines),
        counts(&[("created", 2984), ("updated", 4), ("failed", 12)])
    );
    let line = |n: u64| {
        lines
            .iter()
            .find(|l| l["line"] == n)
            .unwrap_or_else(|| panic!("line {n} reported"))
    };
    let bad = line(913);
    assert_eq!(bad["outcome"], "failed");
    assert_eq!(bad["id"], "grace hopper@example.com");
    assert_eq!(bad["error_category"], "VALIDATION_ERROR");
    let missing = line(1779);
    assert_eq!(missing["error_category"], "MISSING_ID");
    assert!(missing["id"].is_null());
    let refused: Vec<u64> = lines
        .iter()
        .filter(|l| l["error_category"] == "PROPERTY_CHECK")
        .filter_map(|l| l["line"].as_u64())
        .collect::<std::collections::BTreeSet<u64>>()
        .into_iter()
        .collect();
    assert_eq!(refused, [217, 390, 1044, 1668, 2419, 2557]);
    assert_eq!(
        line(2419)["error_message"],
        "refused before sending: DATE_NOT_MIDNIGHT `contract_start_date`: 1767261600000 is at 10:00:00.000 UTC, not midnight; a date property takes midnight UTC of its day"
    );
    // An option given by its label is sent as its value, and succeeds.
    assert_eq!(line(502)["outcome"], "created");
    let created = line(2);
    assert_eq!(created["outcome"], "created");
    assert!(
        created["record_id"]
            .as_str()
            .is_some_and(|id| id.parse::<u64>().is_ok())
    );
}

#[test]
fn the_dry_run_lists_refused_values_by_rule_with_lines_without_a_token() {
    let out = run(upsert()
        .args([
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
            "-t",
            "contacts",
            "-i",
            "email",
            "--property-schema",
        ])
        .arg(example_schema())
        .arg(example_csv()));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("records to send:     2993"), "{stdout}");
    let expected = r#"  refused by the property schema (not sent): 6 records
    INVALID_DATE `contract_start_date`: 2
      line 217: "2026-02-30" is not a day of the calendar
      line 1044: "03/15/2026" is not a date; give YYYY-MM-DD or epoch milliseconds at midnight UTC
    DATE_NOT_MIDNIGHT `contract_start_date`: 1
      line 2419: 1767261600000 is at 10:00:00.000 UTC, not midnight; a date property takes midnight UTC of its day
    INVALID_OPTION `lifecyclestage`: 3
      line 390: "Client" is not an option (by value or label); options: "#;
    assert!(stdout.contains(expected), "{stdout}");
    assert!(
        stdout.contains(
            "  values normalized by the property schema (sent fixed): 3\n      line 502: `lifecyclestage`: option label \"Customer\" sent as its value \"customer\""
        ),
        "{stdout}"
    );

    // A file that is not HubSpot's properties JSON stops the run with its reason.
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("p.json");
    std::fs::write(&broken, "{\"results\": 3}").expect("write");
    let out = run(upsert()
        .args([
            "--dry-run",
            "-t",
            "contacts",
            "-i",
            "email",
            "--property-schema",
        ])
        .arg(&broken)
        .arg(example_csv()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: --property-schema: the property definitions in ")
            && stderr.contains("are not HubSpot's properties JSON (line 1, column"),
        "{stderr}"
    );
}

/// A runtime and a mock on an ephemeral 127.0.0.1 port, living in this test process.
struct LocalMock {
    runtime: tokio::runtime::Runtime,
    server: Option<MockServer>,
}

impl LocalMock {
    fn start(
        configure: impl FnOnce(hubspot_crm_mock::MockConfig) -> hubspot_crm_mock::MockConfig,
    ) -> LocalMock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(configure(MockServer::builder()).start())
            .expect("mock starts");
        LocalMock {
            runtime,
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        self.server
            .as_ref()
            .map(MockServer::base_url)
            .unwrap_or_default()
    }

    fn emails(&self) -> Vec<String> {
        let records = self
            .server
            .as_ref()
            .map(|s| s.records("contacts"))
            .unwrap_or_default();
        let mut emails: Vec<String> = records
            .iter()
            .filter_map(|r| r.properties.get("email").cloned())
            .collect();
        emails.sort();
        emails
    }

    fn property(&self, email: &str, name: &str) -> Option<String> {
        self.server.as_ref().and_then(|s| {
            s.records("contacts")
                .into_iter()
                .find(|r| r.properties.get("email").map(String::as_str) == Some(email))
                .and_then(|r| r.properties.get(name).cloned())
        })
    }
}

impl Drop for LocalMock {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

fn against(mock: &LocalMock) -> Command {
    let mut cmd = upsert();
    cmd.env("HUBSPOT_ACCESS_TOKEN", TOKEN).args([
        "--base-url",
        &mock.url(),
        "-t",
        "contacts",
        "-i",
        "email",
    ]);
    cmd
}

#[test]
fn ndjson_from_stdin_in_both_line_forms_succeeds_with_exit_0() {
    let mock = LocalMock::start(|c| c);
    let mut child = against(&mock)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(
                b"{\"id\":\"ada@example.com\",\"properties\":{\"firstname\":\"Ada\"}}\n\
                  \n\
                  {\"email\":\"grace@example.com\",\"firstname\":\"Grace\",\"city\":\"Arlington\"}\n",
            )
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("2 created, 0 updated, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(mock.emails(), vec!["ada@example.com", "grace@example.com"]);
    assert_eq!(
        mock.property("grace@example.com", "city").as_deref(),
        Some("Arlington")
    );
    assert_eq!(
        mock.property("ada@example.com", "firstname").as_deref(),
        Some("Ada")
    );
}

#[test]
fn csv_file_updates_on_a_second_run_and_keeps_empty_cells_out() {
    let mock = LocalMock::start(|c| c);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "email,firstname,city\na@example.com,Ann,Oslo\nb@example.com,Bo,Rome\n",
    )
    .expect("write");
    let out = run(against(&mock).arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(&csv, "email,firstname,city\na@example.com,Anna,\n").expect("write");
    let report = dir.path().join("r.ndjson");
    let out = run(against(&mock).arg(&csv).arg("--report").arg(&report));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        outcome_counts(&report_lines(&report)),
        counts(&[("updated", 1)])
    );
    assert_eq!(
        mock.property("a@example.com", "firstname").as_deref(),
        Some("Anna")
    );
    assert_eq!(
        mock.property("a@example.com", "city").as_deref(),
        Some("Oslo")
    );
}

#[test]
fn a_refused_token_is_fatal_and_never_shown() {
    let mock = LocalMock::start(|c| c.valid_tokens(["the-right-one"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.ndjson");
    let out = run(against(&mock)
        .arg(example_csv())
        .arg("--report")
        .arg(&report));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: the run stopped: the access token was refused: Authentication credentials not found."),
        "{stderr}"
    );
    let everything = format!(
        "{}{stderr}{}",
        text(&out.stdout),
        std::fs::read_to_string(&report).unwrap_or_default()
    );
    assert!(
        !everything.contains(TOKEN),
        "the token leaked: {everything}"
    );
    assert!(mock.emails().is_empty());
}

#[test]
fn a_spent_daily_quota_is_fatal_and_only_finished_records_are_reported() {
    let mock = LocalMock::start(|c| c.daily_quota(5));
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.ndjson");
    let journal = dir.path().join("j");
    let out = run(against(&mock)
        .args(["--concurrency", "1"])
        .arg(example_csv())
        .arg("--report")
        .arg(&report)
        .arg("--resume")
        .arg(&journal));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("daily"), "{stderr}");
    assert!(stderr.contains("Rerun with the same --resume"), "{stderr}");
    let reported = report_lines(&report);
    assert!(
        reported.len() >= 400 && reported.len() <= 502,
        "five requests' worth reported, not the refused ones: {}",
        reported.len()
    );
    assert!(reported.iter().all(|l| l["outcome"] != "not_attempted"));
    assert_eq!(
        mock.emails().len(),
        reported
            .iter()
            .filter(|l| l["outcome"] == "created")
            .count()
    );
}

#[test]
fn a_missing_token_is_fatal_with_a_one_line_cause() {
    let out = run(upsert()
        .args(["-t", "contacts", "-i", "email"])
        .arg(example_csv()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("set the environment variable HUBSPOT_ACCESS_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_1_and_help_exits_0() {
    let out = run(upsert().args(["-t", "contacts", "missing-id-property.csv"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--id-property"));
    let help = run(upsert().arg("--help"));
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    for option in [
        "--dry-run",
        "--report",
        "--resume",
        "--mock",
        "--token-env",
        "--plan",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}

#[test]
fn dry_run_needs_no_token_and_sends_nothing() {
    // The base URL is a port nothing listens on: any request would fail the run.
    let out = run(upsert()
        .args([
            "--dry-run",
            "--base-url",
            "http://127.0.0.1:9",
            "-t",
            "contacts",
            "-i",
            "email",
        ])
        .args(["--plan", "professional"])
        .arg(example_csv()));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "a record has no id: {stdout}");
    assert!(stdout.contains("records read:        3000"), "{stdout}");
    assert!(stdout.contains("records to send:     2999"), "{stdout}");
    assert!(
        !stdout.contains("property schema"),
        "no schema, no value checks: {stdout}"
    );
    assert!(stdout.contains("requests:            30"), "{stdout}");
    assert!(
        stdout.contains("professional plan (190 requests per 10 s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 1779: no value for the id `email`"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let clean = dir.path().join("clean.ndjson");
    std::fs::write(
        &clean,
        "{\"email\":\"a@example.com\",\"firstname\":\"A\"}\n",
    )
    .expect("write");
    let out = run(upsert()
        .args([
            "--dry-run",
            "-t",
            "contacts",
            "-i",
            "email",
            "--properties",
            "firstname",
        ])
        .arg(&clean));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = run(upsert()
        .args([
            "--dry-run",
            "-t",
            "contacts",
            "-i",
            "email",
            "--properties",
            "lastname",
        ])
        .arg(&clean));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("property `firstname` is not in --properties"));
}

#[test]
fn schemas_are_printed_as_json() {
    for which in ["input", "report"] {
        let out = run(upsert().args(["schema", which]));
        assert_eq!(out.status.code(), Some(0));
        let schema: Value = serde_json::from_slice(&out.stdout).expect("JSON schema");
        assert!(
            schema["$schema"]
                .as_str()
                .is_some_and(|s| s.contains("json-schema.org"))
        );
    }
}

/// Runs the binary with `--mock` on a file and returns (exit code, stdout and stderr).
fn mock_run_on(name: &str, content: &[u8]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write");
    let out = run(upsert()
        .args(["--mock", "-t", "contacts", "-i", "email"])
        .arg(&path));
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn malformed_rows_fail_alone_and_malformed_files_exit_1_naming_the_line() {
    let (code, output) = mock_run_on(
        "ragged.csv",
        b"email,firstname\na@example.com,A\nb@example.com\n",
    );
    assert_eq!(code, Some(2));
    assert!(
        output.contains("1 created, 0 updated, 1 failed")
            && output.contains(
                "line 3 (no id): MALFORMED_ROW: the row has 1 fields but the header has 2"
            ),
        "{output}"
    );

    let (code, output) = mock_run_on("latin1.csv", b"email,firstname\na@example.com,Ren\xe9\n");
    assert_eq!(code, Some(2));
    assert!(
        output.contains("line 2 (no id): MALFORMED_ROW: invalid UTF-8 in column `firstname`"),
        "{output}"
    );

    let mut huge =
        b"{\"email\":\"a@example.com\"}\n{\"email\":\"b@example.com\",\"firstname\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    huge.extend(b"\"}\n");
    let (code, output) = mock_run_on("huge.ndjson", &huge);
    assert_eq!(code, Some(2));
    assert!(
        output.contains("line 2 (no id): MALFORMED_ROW: the line is longer than 1048576 bytes"),
        "{output}"
    );

    let (code, output) = mock_run_on("empty.csv", b"");
    assert_eq!(code, Some(1));
    assert!(
        output.contains("empty.csv, line 1: the input is empty"),
        "{output}"
    );

    let (code, output) = mock_run_on(
        "typed.ndjson",
        b"{\"email\":\"a@example.com\",\"age\":36}\n",
    );
    assert_eq!(code, Some(2));
    assert!(
        output.contains("line 1 (no id): MALFORMED_ROW: property `age` is a number"),
        "{output}"
    );

    let (code, output) = mock_run_on("binary.csv", b"\x00\x01\x02email\n");
    assert_eq!(code, Some(1));
    assert!(
        output.contains("binary.csv: the input holds NUL bytes, so it is binary"),
        "{output}"
    );
}

/// Journal lines (header included), or 0 while it does not exist.
fn journal_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// Waits (polling, bounded) until the journal holds `lines` lines or the child exits.
fn wait_for_commits(child: &mut Child, journal: &Path, lines: usize) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while journal_lines(journal) < lines {
        assert!(
            child.try_wait().expect("poll child").is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(Instant::now() < give_up, "no journal commits within 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn slow_run(mock: &LocalMock, report: &Path, journal: &Path) -> Command {
    let mut cmd = against(mock);
    cmd.args(["--concurrency", "1", "--quiet"])
        .arg(example_csv())
        .arg("--report")
        .arg(report)
        .arg("--resume")
        .arg(journal);
    cmd
}

/// Every input line reported exactly once, with the example's final outcomes.
fn assert_complete_report(report: &Path) {
    let lines = report_lines(report);
    let mut numbers: Vec<u64> = lines.iter().filter_map(|l| l["line"].as_u64()).collect();
    numbers.sort_unstable();
    let expected: Vec<u64> = (2..=3001).collect();
    assert_eq!(numbers, expected, "each input line reported exactly once");
    let by_outcome = outcome_counts(&lines);
    assert_eq!(
        by_outcome.get("failed"),
        Some(&EXAMPLE_FAILED),
        "{by_outcome:?}"
    );
    assert_eq!(
        by_outcome.get("created").copied().unwrap_or(0)
            + by_outcome.get("updated").copied().unwrap_or(0),
        3000 - EXAMPLE_FAILED,
        "{by_outcome:?}"
    );
}

#[test]
fn sigkill_mid_run_then_resume_upserts_everything_and_reports_each_record_once() {
    let mock = LocalMock::start(|c| c.latency(Duration::from_millis(40)));
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.ndjson");
    let journal = dir.path().join("journal");

    let mut child = slow_run(&mock, &report, &journal)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_commits(&mut child, &journal, 4);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let stored_at_kill = mock.emails().len();
    assert!(
        stored_at_kill > 0 && stored_at_kill < EXAMPLE_DISTINCT_VALID,
        "killed mid-run ({stored_at_kill} stored)"
    );

    let out = run(&mut slow_run(&mock, &report, &journal));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("skipped (done before)"), "{stdout}");
    assert_eq!(mock.emails().len(), EXAMPLE_DISTINCT_VALID);
    assert_complete_report(&report);

    // A third run finds nothing left to do and sends nothing.
    let out = run(&mut slow_run(&mock, &report, &journal));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("0 requests"),
        "{}",
        text(&out.stdout)
    );
    assert_complete_report(&report);
}

#[test]
fn ctrl_c_stops_with_130_and_resume_finishes_the_job() {
    let mock = LocalMock::start(|c| c.latency(Duration::from_millis(40)));
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.ndjson");
    let journal = dir.path().join("journal");

    let mut child = slow_run(&mock, &report, &journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_commits(&mut child, &journal, 3);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Ctrl-C: stopped reading"),
        "{}",
        text(&out.stderr)
    );
    let reported = report_lines(&report).len();
    assert!(
        reported > 0 && reported < 3000,
        "{reported} reported before the stop"
    );

    let out = run(&mut slow_run(&mock, &report, &journal));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(mock.emails().len(), EXAMPLE_DISTINCT_VALID);
    assert_complete_report(&report);
}

#[test]
fn the_report_carries_hubspots_timestamps_and_error_codes() {
    let mock = LocalMock::start(|c| c);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("people.csv");
    let first = dir.path().join("first.ndjson");
    std::fs::write(&csv, "email,firstname\na@example.com,Ann\n").expect("write");
    let out = run(against(&mock).arg(&csv).arg("--report").arg(&first));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(
        &csv,
        "email,firstname\na@example.com,Anna\nnot an email@example.com,Bo\n",
    )
    .expect("write");
    let second = dir.path().join("second.ndjson");
    let out = run(against(&mock).arg(&csv).arg("--report").arg(&second));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let time = |line: &Value, field: &str| {
        let text = line[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {line}"));
        chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    let created = &report_lines(&first)[0];
    assert_eq!(created["outcome"], "created");
    assert!(time(created, "created_at") <= time(created, "updated_at"));
    assert!(created.get("error_codes").is_none(), "{created}");

    let lines = report_lines(&second);
    let updated = lines.iter().find(|l| l["line"] == 2).expect("line 2");
    assert_eq!(updated["outcome"], "updated");
    assert_eq!(updated["record_id"], created["record_id"]);
    assert_eq!(
        time(updated, "created_at"),
        time(created, "created_at"),
        "HubSpot's creation time of the record, not of this run"
    );
    assert!(time(updated, "updated_at") >= time(created, "updated_at"));
    let failed = lines.iter().find(|l| l["line"] == 3).expect("line 3");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["error_category"], "VALIDATION_ERROR");
    assert_eq!(failed["error_codes"], serde_json::json!(["INVALID_EMAIL"]));
    assert!(failed.get("created_at").is_none(), "{failed}");
}

/// The summary line of the README's example at `version`, through the embedded mock.
fn readme_summary_at(version: &str) -> String {
    let out = run(upsert()
        .args([
            "--mock",
            "--api-version",
            version,
            "--object-type",
            "contacts",
            "--id-property",
            "email",
            "--property-schema",
        ])
        .arg(example_schema())
        .arg(example_csv()));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn both_api_versions_give_the_same_counts_on_the_readme_example() {
    for version in ["2026-09", "2026-03"] {
        let stdout = readme_summary_at(version);
        assert!(
            stdout.contains("2984 created, 4 updated, 12 failed; 30 requests"),
            "{version}: {stdout}"
        );
    }
}

#[test]
fn the_api_version_chooses_the_path_and_defaults_to_2026_09() {
    let csv = "email,firstname\nada@example.com,Ada\nnot-an-email,Bad\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("people.csv");
    std::fs::write(&file, csv).expect("write");
    for (flag, expected) in [
        (None, hubspot_crm_mock::ApiVersion::V2026_09),
        (Some("2026-03"), hubspot_crm_mock::ApiVersion::V2026_03),
        (Some("2026-09"), hubspot_crm_mock::ApiVersion::V2026_09),
    ] {
        let mock = LocalMock::start(|c| c.no_rate_limit());
        let mut cmd = against(&mock);
        if let Some(version) = flag {
            cmd.args(["--api-version", version]);
        }
        let out = run(cmd.arg(&file));
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("1 created, 0 updated, 1 failed; 1 requests"),
            "{flag:?}: {}",
            text(&out.stdout)
        );
        let log = mock
            .server
            .as_ref()
            .map(MockServer::request_log)
            .unwrap_or_default();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].api_version, expected, "{flag:?}");
    }
    let bad = run(upsert().args([
        "--api-version",
        "2025-09",
        "-t",
        "contacts",
        "-i",
        "email",
        "x.csv",
    ]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("2026-09"),
        "{}",
        text(&bad.stderr)
    );
}
