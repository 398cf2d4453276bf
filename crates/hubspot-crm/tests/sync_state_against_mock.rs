//! Incremental sync against the embedded mock over loopback HTTP: what a run with a sync state
//! sends, what it reports, and what it writes to the state; and bad state files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hubspot_crm::property_schema::PropertySchema;
use hubspot_crm::sync_state::{Accepted, SeenKeys, SyncScope, fingerprint, record_key};
use hubspot_crm::sync_state::{SqliteSyncState, SyncOptions, SyncStateError, SyncStore};
use hubspot_crm::{
    AccessToken, Client, ObjectType, OutcomeKind, RateLimit, RecordOutcome, Summary, UpsertInput,
};
use hubspot_crm_mock::MockServer;

async fn mock() -> MockServer {
    MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock")
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("test-token"))
        .timeout(Duration::from_secs(5))
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client")
}

fn contact(email: &str, props: &[(&str, &str)]) -> UpsertInput {
    UpsertInput::new(email)
        .id_property("email")
        .properties(props.iter().copied())
}

fn example_schema() -> PropertySchema {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contacts-properties.json");
    PropertySchema::from_file(path).expect("the example schema")
}

/// One synced run of `inputs` with the state at `path`; outcomes in input order.
async fn synced(
    client: &Client,
    path: &Path,
    full: bool,
    inputs: Vec<UpsertInput>,
) -> (Vec<RecordOutcome>, Summary) {
    let state = SqliteSyncState::open(path).expect("state opens");
    let sync = SyncOptions::new(state, "email").full(full);
    client
        .bulk_upsert_synced(ObjectType::contacts(), sync, futures::stream::iter(inputs))
        .expect("the state fits the run")
        .collect_all()
        .await
}

fn kinds(outcomes: &[RecordOutcome]) -> Vec<&'static str> {
    outcomes
        .iter()
        .map(|o| match o.kind {
            OutcomeKind::Created { .. } => "created",
            OutcomeKind::Updated { .. } => "updated",
            OutcomeKind::Unchanged { .. } => "unchanged",
            OutcomeKind::Failed { .. } => "failed",
            OutcomeKind::NotAttempted { .. } => "not attempted",
        })
        .collect()
}

fn state_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("contacts.sync-state")
}

#[tokio::test]
async fn unchanged_records_are_not_sent_and_changed_ones_are() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    let first = vec![
        contact(
            "ada@example.com",
            &[("firstname", "Ada"), ("city", "London")],
        ),
        contact("bob@example.com", &[("firstname", "Bob")]),
        contact("cy@example.com", &[("firstname", "Cy")]),
    ];
    let (outcomes, summary) = synced(&client, &path, false, first).await;
    assert_eq!(kinds(&outcomes), ["created", "created", "created"]);
    assert_eq!((summary.requests, summary.unchanged), (1, 0));
    let ada_id = outcomes[0].kind.record_id().expect("id").to_string();
    let requests_before = mock.counters().requests;

    // Same values (Ada's in another order, Cy's email in capitals), Bob's changed.
    let second = vec![
        contact(
            "ada@example.com",
            &[("city", "London"), ("firstname", "Ada")],
        ),
        contact("bob@example.com", &[("firstname", "Robert")]),
        contact("CY@example.com", &[("firstname", "Cy")]),
    ];
    let (outcomes, summary) = synced(&client, &path, false, second).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "updated", "unchanged"]);
    assert_eq!(
        outcomes[0].kind,
        OutcomeKind::Unchanged {
            record_id: ada_id.clone()
        }
    );
    assert!(outcomes[0].kind.is_success());
    assert_eq!(
        (summary.unchanged, summary.updated, summary.requests),
        (2, 1, 1)
    );
    assert_eq!(summary.not_in_input, 0);
    // One request, carrying Bob alone.
    assert_eq!(mock.counters().requests - requests_before, 1);
    let log = mock.request_log();
    assert_eq!(log.last().map(|r| r.inputs), Some(1), "{log:?}");
    assert!(
        summary
            .to_string()
            .contains("0 not attempted, 2 unchanged;"),
        "{summary}"
    );

    // `full` sends everything again and keeps the state.
    let third = vec![
        contact(
            "ada@example.com",
            &[("city", "London"), ("firstname", "Ada")],
        ),
        contact("bob@example.com", &[("firstname", "Robert")]),
        contact("cy@example.com", &[("firstname", "Cy")]),
    ];
    let (outcomes, summary) = synced(&client, &path, true, third.clone()).await;
    assert_eq!(kinds(&outcomes), ["updated", "updated", "updated"]);
    assert_eq!(summary.unchanged, 0);
    let (outcomes, _) = synced(&client, &path, false, third).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "unchanged", "unchanged"]);
}

#[tokio::test]
async fn a_failed_record_is_sent_again_on_the_next_run() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    let inputs = || {
        vec![
            contact("ada@example.com", &[("firstname", "Ada")]),
            contact("not an email", &[("firstname", "Bad")]),
        ]
    };
    let (outcomes, _) = synced(&client, &path, false, inputs()).await;
    assert_eq!(kinds(&outcomes), ["created", "failed"]);
    let before = mock.counters().inputs_received;
    let (outcomes, summary) = synced(&client, &path, false, inputs()).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "failed"]);
    assert_eq!(summary.requests, 1);
    assert_eq!(
        mock.counters().inputs_received - before,
        1,
        "the failed one, again"
    );
    // Once fixed in the source it goes through, and the next run skips it.
    let fixed = vec![
        contact("ada@example.com", &[("firstname", "Ada")]),
        contact("bad@example.com", &[("firstname", "Bad")]),
    ];
    let (outcomes, _) = synced(&client, &path, false, fixed.clone()).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "created"]);
    let (outcomes, _) = synced(&client, &path, false, fixed).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "unchanged"]);
}

#[tokio::test]
async fn a_record_whose_run_was_refused_keeps_its_old_entry() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    synced(
        &client,
        &path,
        false,
        vec![contact("ada@example.com", &[("firstname", "Ada")])],
    )
    .await;
    // A change HubSpot refuses: the state keeps "Ada", so the refused value is sent again and
    // going back to "Ada" counts as unchanged.
    let refused = vec![contact(
        "ada@example.com",
        &[("firstname", "Ada"), ("no_such_property", "x")],
    )];
    let (outcomes, _) = synced(&client, &path, false, refused.clone()).await;
    assert_eq!(kinds(&outcomes), ["failed"]);
    let (outcomes, _) = synced(&client, &path, false, refused).await;
    assert_eq!(kinds(&outcomes), ["failed"]);
    let (outcomes, _) = synced(
        &client,
        &path,
        false,
        vec![contact("ada@example.com", &[("firstname", "Ada")])],
    )
    .await;
    assert_eq!(kinds(&outcomes), ["unchanged"]);
}

#[tokio::test]
async fn normalization_by_the_property_schema_is_not_a_change() {
    let mock = mock().await;
    let client = client(&mock);
    let schema = Arc::new(example_schema());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    let run = |inputs: Vec<UpsertInput>| {
        let state = SqliteSyncState::open(&path).expect("state");
        let sync = SyncOptions::new(state, "email").property_schema(schema.clone());
        client
            .bulk_upsert_synced(ObjectType::contacts(), sync, futures::stream::iter(inputs))
            .expect("run")
            .collect_all()
    };
    let (outcomes, _) = run(vec![contact(
        "ada@example.com",
        &[("lifecyclestage", " Lead"), ("firstname", "Ada")],
    )])
    .await;
    assert_eq!(kinds(&outcomes), ["created"]);
    assert!(!outcomes[0].normalized.is_empty());
    // The option by its value, in another order: what was sent the first time.
    let (outcomes, summary) = run(vec![contact(
        "ada@example.com",
        &[("firstname", "Ada"), ("lifecyclestage", "lead")],
    )])
    .await;
    assert_eq!(kinds(&outcomes), ["unchanged"]);
    assert_eq!(summary.requests, 0);
    let (outcomes, _) = run(vec![contact(
        "ada@example.com",
        &[("firstname", "Ada"), ("lifecyclestage", "Subscriber")],
    )])
    .await;
    assert_eq!(kinds(&outcomes), ["updated"]);
}

#[tokio::test]
async fn a_key_repeated_in_the_input_is_sent_and_the_last_values_win() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    synced(
        &client,
        &path,
        false,
        vec![contact("ada@example.com", &[("firstname", "A1")])],
    )
    .await;
    // A2 then A1 again: the second equals the state, but must still be sent after the first.
    let (outcomes, _) = synced(
        &client,
        &path,
        false,
        vec![
            contact("ada@example.com", &[("firstname", "A2")]),
            contact("ada@example.com", &[("firstname", "A1")]),
        ],
    )
    .await;
    assert_eq!(kinds(&outcomes), ["updated", "updated"]);
    let stored = mock.records("contacts");
    assert_eq!(
        stored[0].properties.get("firstname").map(String::as_str),
        Some("A1")
    );
    let (outcomes, _) = synced(
        &client,
        &path,
        false,
        vec![contact("ada@example.com", &[("firstname", "A1")])],
    )
    .await;
    assert_eq!(kinds(&outcomes), ["unchanged"]);
}

#[tokio::test]
async fn records_in_the_state_but_not_in_the_input_are_counted_and_listed() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    let people = ["a@x.io", "b@x.io", "c@x.io", "d@x.io"];
    let all: Vec<UpsertInput> = people
        .iter()
        .map(|e| contact(e, &[("firstname", "N")]))
        .collect();
    synced(&client, &path, false, all).await;
    let fewer: Vec<UpsertInput> = ["b@x.io", "d@x.io", "e@x.io"]
        .iter()
        .map(|e| contact(e, &[("firstname", "N")]))
        .collect();
    let (outcomes, summary) = synced(&client, &path, false, fewer).await;
    assert_eq!(kinds(&outcomes), ["unchanged", "unchanged", "created"]);
    assert_eq!(summary.not_in_input, 2);
    assert!(
        summary
            .to_string()
            .contains("; 2 in the state, not in this input;"),
        "{summary}"
    );
    let state = SqliteSyncState::open(&path).expect("reopen");
    let mut gone = Vec::new();
    state
        .not_in_last_input(|k| gone.push(k.to_string()))
        .expect("list");
    assert_eq!(gone, ["a@x.io", "c@x.io"]);
    assert_eq!(state.len().expect("len"), 5);
}

#[tokio::test]
async fn a_state_for_another_object_type_id_property_or_base_url_is_refused() {
    let mock = mock().await;
    let client = client(&mock);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    synced(
        &client,
        &path,
        false,
        vec![contact("ada@example.com", &[("firstname", "Ada")])],
    )
    .await;
    let before = mock.counters().requests;

    let state = SqliteSyncState::open(&path).expect("state");
    let err = client
        .bulk_upsert_synced(
            ObjectType::companies(),
            SyncOptions::new(state, "email"),
            futures::stream::iter(vec![UpsertInput::new("x").id_property("email")]),
        )
        .expect_err("another object type");
    assert_eq!(
        err.to_string(),
        format!(
            "sync state {}: it is the state of object type \"contacts\", not \"companies\"; a state records what one account's object type received through one id property, so use another state file for this run",
            path.display()
        )
    );
    let state = SqliteSyncState::open(&path).expect("state");
    let err = client
        .bulk_upsert_synced(
            ObjectType::contacts(),
            SyncOptions::new(state, "external_id"),
            futures::stream::iter(Vec::new()),
        )
        .expect_err("another id property");
    assert!(
        matches!(
            err,
            SyncStateError::OtherScope {
                what: "id property",
                ..
            }
        ),
        "{err}"
    );

    let other_mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let state = SqliteSyncState::open(&path).expect("state");
    let err = self::client(&other_mock)
        .bulk_upsert_synced(
            ObjectType::contacts(),
            SyncOptions::new(state, "email"),
            futures::stream::iter(Vec::new()),
        )
        .expect_err("another base URL");
    assert!(
        matches!(
            err,
            SyncStateError::OtherScope {
                what: "base URL",
                ..
            }
        ),
        "{err}"
    );

    // An account given once is recorded; another is refused.
    let state = SqliteSyncState::open(&path).expect("state");
    drop(
        client
            .bulk_upsert_synced(
                ObjectType::contacts(),
                SyncOptions::new(state, "email").account("62515981"),
                futures::stream::iter(Vec::new()),
            )
            .expect("the first account is recorded")
            .collect_all()
            .await,
    );
    let state = SqliteSyncState::open(&path).expect("state");
    let err = client
        .bulk_upsert_synced(
            ObjectType::contacts(),
            SyncOptions::new(state, "email").account("999"),
            futures::stream::iter(Vec::new()),
        )
        .expect_err("another account");
    assert!(
        matches!(
            err,
            SyncStateError::OtherScope {
                what: "account",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(mock.counters().requests, before, "nothing was sent");
    other_mock.shutdown().await;
}

#[tokio::test]
async fn a_second_run_on_the_same_state_is_refused_while_the_first_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = state_path(&dir);
    let first = SqliteSyncState::open(&path).expect("first");
    let err = SqliteSyncState::open(&path).expect_err("second");
    assert_eq!(
        err.to_string(),
        format!(
            "sync state {}: another run is using it; two runs on one state at once are refused (wait for the other to end)",
            path.display()
        )
    );
    drop(first);
    SqliteSyncState::open(&path).expect("free again once the first is closed");
}

/// A state file holding `n` accepted records.
fn state_with_records(path: &Path, n: u64) {
    let mut state = SqliteSyncState::open(path).expect("state");
    state
        .bind(&SyncScope {
            object_type: "contacts".into(),
            id_property: "email".into(),
            base_url: "http://127.0.0.1:9".into(),
            account: None,
        })
        .expect("bind");
    let accepted: Vec<Accepted> = (0..n)
        .map(|i| Accepted {
            key: format!("p{i}@example.com"),
            fingerprint: i,
            record_id: (1000 + i).to_string(),
        })
        .collect();
    for chunk in accepted.chunks(100) {
        state.save(chunk).expect("save");
    }
}

#[test]
fn bad_state_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");

    let not_sqlite = dir.path().join("notes.txt");
    std::fs::write(&not_sqlite, "email,firstname\n".repeat(400)).expect("write");
    let err = SqliteSyncState::open(&not_sqlite).expect_err("not SQLite");
    assert_eq!(
        err.to_string(),
        format!(
            "sync state {}: not a sync state file: not a SQLite database",
            not_sqlite.display()
        )
    );

    let truncated = dir.path().join("truncated.db");
    state_with_records(&truncated, 5000);
    let len = std::fs::metadata(&truncated).expect("meta").len();
    assert!(len > 40_000, "{len}");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    let err = SqliteSyncState::open(&truncated).expect_err("truncated");
    assert!(matches!(err, SyncStateError::Damaged { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "sync state {}: the file is damaged",
            truncated.display()
        )),
        "{err}"
    );

    let newer = dir.path().join("newer.db");
    state_with_records(&newer, 1);
    set_schema_version(&newer, 99);
    let err = SqliteSyncState::open(&newer).expect_err("newer");
    assert_eq!(
        err.to_string(),
        format!(
            "sync state {}: schema version 99 is newer than this program knows (2); use a newer hubspot-crm / hubspot-upsert",
            newer.display()
        )
    );

    let other_db = dir.path().join("other.db");
    std::fs::write(&other_db, b"").expect("empty file");
    // An empty file is a new, empty state.
    drop(SqliteSyncState::open(&other_db).expect("an empty file becomes a state"));
}

/// Sets `PRAGMA user_version` without this crate's store, as a newer program would have left it.
fn set_schema_version(path: &Path, version: u32) {
    // The version is the 4 bytes at offset 60 of SQLite's header (big-endian).
    let mut bytes = std::fs::read(path).expect("read");
    bytes[60..64].copy_from_slice(&version.to_be_bytes());
    std::fs::write(path, bytes).expect("write");
}

#[cfg(unix)]
#[test]
fn a_read_only_state_file_is_refused_naming_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ro.db");
    state_with_records(&path, 3);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let err = SqliteSyncState::open(&path).expect_err("read-only");
    assert_eq!(
        err.to_string(),
        format!(
            "sync state {}: the file is read-only; a run must write to its state (check the permissions of the file and its directory)",
            path.display()
        )
    );
}

#[test]
fn an_older_schema_is_upgraded_in_place_keeping_its_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    {
        let mut old = SqliteSyncState::open_at_schema_version(&path, 1).expect("a version 1 file");
        assert_eq!(old.schema_version().expect("version"), 1);
        old.save(&[Accepted {
            key: "a@x.io".into(),
            fingerprint: 7,
            record_id: "51".into(),
        }])
        .expect("save");
    }
    let mut state = SqliteSyncState::open(&path).expect("upgraded");
    assert_eq!(state.schema_version().expect("version"), 2);
    let stored = state.get("a@x.io").expect("get").expect("kept");
    assert_eq!((stored.fingerprint, stored.record_id.as_str()), (7, "51"));
    let mut seen = SeenKeys::default();
    seen.insert("b@x.io");
    assert_eq!(state.close_input(&seen).expect("the new table works"), 1);
}

#[test]
fn the_fingerprint_is_of_the_values_sent_and_keys_fold_email_case() {
    let a = contact("Ada@Example.com", &[("firstname", "Ada"), ("city", "X")]);
    let b = contact("ada@example.com", &[("city", "X"), ("firstname", "Ada")]);
    assert_eq!(
        fingerprint(&a.as_api().properties),
        fingerprint(&b.as_api().properties)
    );
    assert_eq!(record_key(a.id(), "email"), record_key(b.id(), "email"));
}

/// A store of the application's own, in memory: what the trait asks of another database.
#[derive(Default)]
struct MemoryStore {
    records: std::collections::HashMap<String, (u64, String)>,
    /// How many records each `save` call wrote.
    saves: Arc<std::sync::Mutex<Vec<usize>>>,
    scope: Option<SyncScope>,
}

impl SyncStore for MemoryStore {
    fn bind(&mut self, scope: &SyncScope) -> Result<(), SyncStateError> {
        match &self.scope {
            Some(recorded) if recorded.object_type != scope.object_type => {
                Err(SyncStateError::Other("another object type".into()))
            }
            _ => {
                self.scope = Some(scope.clone());
                Ok(())
            }
        }
    }

    fn learn_account(&mut self, _account: &str) -> Result<(), SyncStateError> {
        Ok(())
    }

    fn get(
        &mut self,
        key: &str,
    ) -> Result<Option<hubspot_crm::sync_state::StoredRecord>, SyncStateError> {
        Ok(self.records.get(key).map(|(fingerprint, record_id)| {
            hubspot_crm::sync_state::StoredRecord {
                fingerprint: *fingerprint,
                record_id: record_id.clone(),
                synced_at: chrono::Utc::now(),
            }
        }))
    }

    fn save(&mut self, accepted: &[Accepted]) -> Result<(), SyncStateError> {
        self.saves.lock().expect("lock").push(accepted.len());
        for a in accepted {
            self.records
                .insert(a.key.clone(), (a.fingerprint, a.record_id.clone()));
        }
        Ok(())
    }

    fn close_input(&mut self, seen: &SeenKeys) -> Result<u64, SyncStateError> {
        Ok(self.records.keys().filter(|k| !seen.contains(k)).count() as u64)
    }
}

/// Hands the same store to several runs.
struct Shared(Arc<std::sync::Mutex<MemoryStore>>);

impl SyncStore for Shared {
    fn bind(&mut self, scope: &SyncScope) -> Result<(), SyncStateError> {
        self.0.lock().expect("lock").bind(scope)
    }
    fn learn_account(&mut self, account: &str) -> Result<(), SyncStateError> {
        self.0.lock().expect("lock").learn_account(account)
    }
    fn get(
        &mut self,
        key: &str,
    ) -> Result<Option<hubspot_crm::sync_state::StoredRecord>, SyncStateError> {
        self.0.lock().expect("lock").get(key)
    }
    fn save(&mut self, accepted: &[Accepted]) -> Result<(), SyncStateError> {
        self.0.lock().expect("lock").save(accepted)
    }
    fn close_input(&mut self, seen: &SeenKeys) -> Result<u64, SyncStateError> {
        self.0.lock().expect("lock").close_input(seen)
    }
}

#[tokio::test]
async fn a_store_of_ones_own_works_and_is_written_once_per_request() {
    let mock = mock().await;
    let client = client(&mock);
    let store = Arc::new(std::sync::Mutex::new(MemoryStore::default()));
    let saves = store.lock().expect("lock").saves.clone();
    let people = |changed: u32| -> Vec<UpsertInput> {
        (0..450u32)
            .map(|i| {
                let city = if i < changed { "Nantes" } else { "Lyon" };
                UpsertInput::new(format!("p{i}@example.com"))
                    .id_property("email")
                    .property("city", city)
            })
            .collect()
    };
    let run = |inputs: Vec<UpsertInput>| {
        client
            .bulk_upsert_synced(
                ObjectType::contacts(),
                SyncOptions::new(Shared(store.clone()), "email"),
                futures::stream::iter(inputs),
            )
            .expect("bound")
            .collect_all()
    };
    let (_, summary) = run(people(0)).await;
    assert_eq!((summary.created, summary.requests), (450, 5));
    // One write per answered request, never one per record.
    let mut sizes = saves.lock().expect("lock").clone();
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100, 100, 100, 100]);
    let (outcomes, summary) = run(people(30)).await;
    assert_eq!(
        (summary.updated, summary.unchanged, summary.requests),
        (30, 420, 1)
    );
    assert!(matches!(outcomes[449].kind, OutcomeKind::Unchanged { .. }));
    assert_eq!(saves.lock().expect("lock")[5..], [30]);
}
