//! `--state`: the `hubspot-upsert` binary run as a child process against a mock started in
//! this test process on a 127.0.0.1 ephemeral port, so that the mock keeps its records from one
//! run to the next (as HubSpot does) and the test can read them after killing the child.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hubspot_crm::sync_state::{SqliteSyncState, SyncStore};
use hubspot_crm_mock::MockServer;

mod common;
use common::{outcome_counts, report_lines, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_hubspot-upsert");
const TOKEN: &str = "pat-test-5e3cf1a9-secret";
/// Distinct valid records in examples/contacts.csv (see tests/cli.rs).
const EXAMPLE_DISTINCT_VALID: usize = 2981;
/// Records of the example that fail without a property schema.
const EXAMPLE_FAILED: usize = 15;

fn example_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contacts.csv")
}

/// A runtime and a mock on an ephemeral 127.0.0.1 port, living in this test process.
struct LocalMock {
    runtime: tokio::runtime::Runtime,
    server: Option<MockServer>,
}

impl LocalMock {
    fn start(latency: Duration) -> LocalMock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(MockServer::builder().latency(latency).start())
            .expect("mock starts");
        LocalMock {
            runtime,
            server: Some(server),
        }
    }

    fn server(&self) -> &MockServer {
        self.server.as_ref().expect("running")
    }

    fn url(&self) -> String {
        self.server().base_url()
    }

    /// Email to HubSpot record id, for every stored contact.
    fn ids_by_email(&self) -> BTreeMap<String, String> {
        self.server()
            .records("contacts")
            .into_iter()
            .filter_map(|r| Some((r.properties.get("email")?.clone(), r.id)))
            .collect()
    }

    fn requests(&self) -> u64 {
        self.server().counters().requests
    }
}

impl Drop for LocalMock {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The binary against `mock`, for contacts by email, with `state`.
fn against(mock: &LocalMock, state: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("RUST_LOG")
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .args(["--base-url", &mock.url(), "-t", "contacts", "-i", "email"])
        .arg("--state")
        .arg(state);
    cmd
}

fn write_csv(path: &Path, rows: &[(&str, &str, &str)]) {
    let mut text = String::from("email,firstname,city\n");
    for (email, name, city) in rows {
        text.push_str(&format!("{email},{name},{city}\n"));
    }
    std::fs::write(path, text).expect("write csv");
}

#[test]
fn a_second_run_sends_only_what_changed_and_reports_the_rest_unchanged() {
    let mock = LocalMock::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("contacts.state");
    let csv = dir.path().join("people.csv");
    let report = dir.path().join("report.ndjson");
    write_csv(
        &csv,
        &[
            ("ada@example.com", "Ada", "London"),
            ("bob@example.com", "Bob", "Paris"),
            ("cy@example.com", "Cy", "Rome"),
            ("di@example.com", "Di", "Oslo"),
        ],
    );
    let out = run(against(&mock, &state)
        .arg(&csv)
        .arg("--report")
        .arg(&report));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "State {}: 0 unchanged (not sent); 0 in the state, not in this input",
            state.display()
        )),
        "{stdout}"
    );
    let ids = mock.ids_by_email();

    // Bob moved, Di left, Eve arrived; Ada and Cy are as they were.
    write_csv(
        &csv,
        &[
            ("ada@example.com", "Ada", "London"),
            ("bob@example.com", "Bob", "Berlin"),
            ("cy@example.com", "Cy", "Rome"),
            ("eve@example.com", "Eve", "Lima"),
        ],
    );
    let before = mock.requests();
    let out = run(against(&mock, &state)
        .arg(&csv)
        .arg("--report")
        .arg(&report));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(mock.requests() - before, 1, "one request: Bob and Eve");
    assert!(
        stdout.contains("1 created, 1 updated, 0 failed, 2 unchanged; 1 requests"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "State {}: 2 unchanged (not sent); 1 in the state, not in this input (list them: hubspot-upsert gone --state {})",
            state.display(),
            state.display()
        )),
        "{stdout}"
    );
    let lines = report_lines(&report);
    assert_eq!(lines.len(), 4);
    let ada = lines.iter().find(|l| l["line"] == 2).expect("Ada's line");
    assert_eq!(ada["outcome"], "unchanged");
    assert_eq!(
        ada["record_id"].as_str(),
        ids.get("ada@example.com").map(String::as_str)
    );
    assert_eq!(
        outcome_counts(&lines),
        BTreeMap::from([
            ("created".to_string(), 1),
            ("unchanged".to_string(), 2),
            ("updated".to_string(), 1)
        ])
    );

    let out = run(Command::new(BIN).args(["gone", "--state"]).arg(&state));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "di@example.com\n");

    // --full sends all four again.
    let before = mock.requests();
    let out = run(against(&mock, &state).arg("--full").arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 created, 4 updated, 0 failed; 1 requests"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(mock.requests() - before, 1);
}

#[test]
fn a_dry_run_with_a_state_counts_what_would_be_sent_without_a_token() {
    let mock = LocalMock::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("contacts.state");
    let csv = dir.path().join("people.csv");
    write_csv(
        &csv,
        &[
            ("ada@example.com", "Ada", "London"),
            ("bob@example.com", "Bob", "Paris"),
        ],
    );
    let dry = |state: &Path, csv: &Path| {
        run(Command::new(BIN)
            .env_remove("HUBSPOT_ACCESS_TOKEN")
            .args([
                "--dry-run",
                "--base-url",
                &mock.url(),
                "-t",
                "contacts",
                "-i",
                "email",
            ])
            .arg("--state")
            .arg(state)
            .arg(csv))
    };
    let out = dry(&state, &csv);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("unchanged:           0 (the state file does not exist yet"),
        "{}",
        text(&out.stdout)
    );
    assert!(!state.exists(), "a dry run creates no state");
    let out = run(against(&mock, &state).arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    write_csv(
        &csv,
        &[
            ("ADA@example.com", "Ada", "London"),
            ("bob@example.com", "Bob", "Berlin"),
            ("cy@example.com", "Cy", "Rome"),
        ],
    );
    let before = mock.requests();
    let out = dry(&state, &csv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("records to send:     2\n"), "{stdout}");
    assert!(
        stdout.contains("unchanged (the state holds their values; not sent): 1\n"),
        "{stdout}"
    );
    assert_eq!(mock.requests(), before, "a dry run sends nothing");
}

/// Waits (polling, bounded) until the mock holds `n` contacts or the child exits.
fn wait_for_records(child: &mut Child, mock: &LocalMock, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while mock.ids_by_email().len() < n {
        assert!(
            child.try_wait().expect("poll child").is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(Instant::now() < give_up, "no records stored within 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn slow_run(mock: &LocalMock, state: &Path, report: &Path) -> Command {
    let mut cmd = against(mock, state);
    cmd.args(["--concurrency", "1", "--quiet"])
        .arg(example_csv())
        .arg("--report")
        .arg(report);
    cmd
}

#[test]
fn sigkill_mid_run_then_rerun_stores_every_record_once_and_keeps_the_state_true() {
    let mock = LocalMock::start(Duration::from_millis(40));
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("contacts.state");
    let first_report = dir.path().join("first.ndjson");
    let report = dir.path().join("report.ndjson");

    let mut child = slow_run(&mock, &state, &first_report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_records(&mut child, &mock, 400);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let stored_at_kill = mock.ids_by_email().len();
    assert!(
        stored_at_kill < EXAMPLE_DISTINCT_VALID,
        "killed mid-run ({stored_at_kill} stored)"
    );

    // The state is true after the kill: every entry is a record HubSpot holds, by its id.
    let held = mock.ids_by_email();
    let in_state_at_kill = {
        let mut state = SqliteSyncState::open(&state).expect("the killed run's state opens");
        let mut n = 0;
        for (email, id) in &held {
            if let Some(stored) = state.get(email).expect("get") {
                assert_eq!(&stored.record_id, id, "{email}");
                n += 1;
            }
        }
        assert_eq!(
            state.len().expect("len"),
            n,
            "nothing HubSpot does not hold"
        );
        n as usize
    };
    // At most the requests in flight at the kill (one here, of 100) are not in the state.
    assert!(
        in_state_at_kill + 100 >= stored_at_kill && in_state_at_kill > 0,
        "{in_state_at_kill} in the state, {stored_at_kill} stored"
    );

    let before = mock.server().counters();
    let out = run(&mut slow_run(&mock, &state, &report));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    let after = mock.server().counters();

    // Every record stored once: created once each, over both runs.
    assert_eq!(mock.ids_by_email().len(), EXAMPLE_DISTINCT_VALID);
    assert_eq!(after.records_created as usize, EXAMPLE_DISTINCT_VALID);
    // The rerun sent what the state lacked: not the records it held.
    let resent = (after.inputs_received - before.inputs_received) as usize;
    assert!(
        resent <= 3000 - in_state_at_kill,
        "{resent} inputs sent again, {in_state_at_kill} were in the state"
    );

    // The report goes on: each input line once, those accepted before the kill unchanged.
    let lines = report_lines(&report);
    let mut numbers: Vec<u64> = lines.iter().filter_map(|l| l["line"].as_u64()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=3001).collect::<Vec<u64>>());
    let by_outcome = outcome_counts(&lines);
    assert_eq!(
        by_outcome.get("failed"),
        Some(&EXAMPLE_FAILED),
        "{by_outcome:?}"
    );
    assert_eq!(
        by_outcome.get("unchanged"),
        Some(&in_state_at_kill),
        "{by_outcome:?}"
    );

    // And the state is whole and true.
    let held = mock.ids_by_email();
    let mut state = SqliteSyncState::open(&state).expect("state");
    assert_eq!(state.len().expect("len"), EXAMPLE_DISTINCT_VALID as u64);
    for (email, id) in &held {
        let stored = state
            .get(email)
            .expect("get")
            .expect("every record in the state");
        assert_eq!(&stored.record_id, id);
    }
}

#[test]
fn a_second_run_on_the_same_state_is_refused_and_changes_nothing() {
    let mock = LocalMock::start(Duration::from_millis(40));
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("contacts.state");
    let mut first = slow_run(&mock, &state, &dir.path().join("first.ndjson"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_records(&mut first, &mock, 100);
    let before = mock.requests();
    let out = run(against(&mock, &state).arg(example_csv()));
    let after = mock.requests();
    first.kill().expect("kill the first");
    first.wait().expect("reap");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: sync state {}: another run is using it; two runs on one state at once are refused (wait for the other to end)",
            state.display()
        )
    );
    assert!(text(&out.stdout).is_empty());
    // Only the first run's requests (at most a few, at 40 ms each) went out meanwhile.
    assert!(after - before < 20, "{}", after - before);
    SqliteSyncState::open(&state).expect("the state is intact");
}

#[test]
fn bad_state_files_stop_the_run_before_anything_is_sent() {
    let mock = LocalMock::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("people.csv");
    write_csv(&csv, &[("ada@example.com", "Ada", "London")]);

    let not_sqlite = dir.path().join("people-copy.csv");
    std::fs::copy(&csv, &not_sqlite).expect("copy");
    let report = dir.path().join("report.ndjson");
    let out = run(against(&mock, &not_sqlite)
        .arg(&csv)
        .arg("--report")
        .arg(&report));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: sync state {}: not a sync state file: not a SQLite database",
            not_sqlite.display()
        )
    );
    assert_eq!(mock.requests(), 0);
    assert!(!report.exists(), "no report of records never sent");
    assert_eq!(
        std::fs::read(&not_sqlite).expect("read"),
        std::fs::read(&csv).expect("read"),
        "the file is left as it was"
    );

    // A read-only state: refused, the input's records neither sent nor reported.
    let read_only = dir.path().join("read-only.state");
    let out = run(against(&mock, &read_only).arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut permissions = std::fs::metadata(&read_only).expect("meta").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&read_only, permissions).expect("chmod");
    let before = mock.requests();
    let out = run(against(&mock, &read_only)
        .arg(&csv)
        .arg("--report")
        .arg(&report));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: sync state {}: the file is read-only; a run must write to its state (check the permissions of the file and its directory)",
            read_only.display()
        )
    );
    assert_eq!(mock.requests(), before);
    assert!(!report.exists());

    // A state of another object type.
    let state = dir.path().join("companies.state");
    let out = run(Command::new(BIN)
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .args([
            "--base-url",
            &mock.url(),
            "-t",
            "companies",
            "-i",
            "company_external_id",
            "--quiet",
        ])
        .arg("--state")
        .arg(&state)
        .arg(write_companies(dir.path())));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = mock.requests();
    std::fs::write(&report, "an earlier report\n").expect("write");
    let out = run(against(&mock, &state)
        .arg(&csv)
        .arg("--report")
        .arg(&report));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&report).expect("read"),
        "an earlier report\n",
        "the report is left as it was"
    );
    assert!(
        text(&out.stderr).contains(&format!(
            "error: sync state {}: it is the state of object type \"companies\", not \"contacts\"",
            state.display()
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(mock.requests(), before);

    // Another account than the one recorded.
    let state = dir.path().join("contacts.state");
    let out = run(against(&mock, &state).args(["--account", "111"]).arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(against(&mock, &state).args(["--account", "222"]).arg(&csv));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("it is the state of account \"111\", not \"222\""),
        "{}",
        text(&out.stderr)
    );
}

fn write_companies(dir: &Path) -> PathBuf {
    let path = dir.join("companies.csv");
    std::fs::write(&path, "company_external_id,name\nC-1,Acme\n").expect("write");
    path
}

#[test]
fn state_does_not_go_with_mock_or_resume_and_full_needs_it() {
    let out = run(Command::new(BIN).args([
        "--mock", "--state", "s", "-t", "contacts", "-i", "email", "x.csv",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--mock"),
        "{}",
        text(&out.stderr)
    );
    let out = run(Command::new(BIN).args([
        "--resume", "j", "--state", "s", "-t", "contacts", "-i", "email", "x.csv",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let out = run(Command::new(BIN).args(["--full", "-t", "contacts", "-i", "email", "x.csv"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--state"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_input_cut_short_never_counts_the_unread_records_as_gone() {
    let mock = LocalMock::start(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("contacts.state");
    let csv = dir.path().join("people.csv");
    let rows = [
        ("ada@example.com", "Ada", "London"),
        ("bob@example.com", "Bob", "Paris"),
        ("cy@example.com", "Cy", "Rome"),
        ("di@example.com", "Di", "Oslo"),
    ];
    write_csv(&csv, &rows);
    let out = run(against(&mock, &state).arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // The same people, but reading stops at a malformed second row (--max-bad-rows 0): the
    // rows after it were never read, so they are not gone from the source.
    std::fs::write(
        &csv,
        "email,firstname,city\nada@example.com,Ada,London\nbob@example.com,Bob\ncy@example.com,Cy,Rome\ndi@example.com,Di,Oslo\n",
    )
    .expect("write csv");
    let out = run(against(&mock, &state)
        .args(["--max-bad-rows", "0"])
        .arg(&csv));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        !stdout.contains("3 in the state, not in this input"),
        "{stdout}"
    );
    let out = run(Command::new(BIN).args(["gone", "--state"]).arg(&state));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "", "nothing is listed as gone");
}
