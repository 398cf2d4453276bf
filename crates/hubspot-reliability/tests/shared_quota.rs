//! Several users of one token against one rate-limited mock, as separate jobs of one app: they
//! learn of each other only through the rate-limit headers and 429s. Whatever their pacing
//! does, every record is stored exactly once and every input gets a success. No timing is
//! asserted here: the 429 share and the combined pace are figures of `cargo xtask bench`
//! (scenario "shared quota") and of the pacer's simulation test.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

use hubspot_crm::{AccessToken, Client, ObjectType, RateLimit, UpsertInput};
use hubspot_crm_mock::MockServer;
use hubspot_reliability::state;

const TOKEN: &str = "pat-na1-shared";
/// A test-speed window: 20 requests per 200 ms (HubSpot's professional plan: 190 per 10 s).
const WINDOW_MAX: u32 = 20;
const WINDOW: Duration = Duration::from_millis(200);
/// Records per user; each user's last `OVERLAP` are the next user's first.
const PER_USER: u64 = 1_500;
const OVERLAP: u64 = 500;

fn email(n: u64) -> String {
    format!("shared{n}@example.com")
}

/// The ids user `k` writes: its own range, overlapping the next user's.
fn ids(k: u64) -> std::ops::Range<u64> {
    let start = k * (PER_USER - OVERLAP);
    start..start + PER_USER
}

fn assert_stored_once(mock: &MockServer, users: u64) {
    let (held, twice) = state::actual(mock);
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let expected: BTreeSet<String> = (0..users).flat_map(ids).map(email).collect();
    let held: BTreeSet<String> = held.into_keys().collect();
    assert_eq!(held.len(), expected.len());
    assert_eq!(held, expected);
    let c = mock.counters();
    assert_eq!(c.records_created, expected.len() as u64, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_one_token_store_every_record_once() {
    let mock = MockServer::builder()
        .rate_limit(WINDOW_MAX, WINDOW)
        .start()
        .await
        .expect("mock");
    let users = 3;
    let mut runs = Vec::new();
    for k in 0..users {
        // One client each, so one pacer each: they share nothing but the token.
        let client = Client::builder()
            .base_url(mock.base_url())
            .token(AccessToken::new(TOKEN))
            .rate_limit(RateLimit::new(WINDOW_MAX, WINDOW))
            .build()
            .expect("client");
        let inputs: Vec<UpsertInput> = ids(k)
            .map(|n| {
                UpsertInput::new(email(n))
                    .id_property("email")
                    .property("firstname", format!("F{n}"))
                    .property("city", "Lyon")
            })
            .collect();
        runs.push(tokio::spawn(async move {
            client
                .bulk_upsert_iter(ObjectType::contacts(), inputs)
                .collect_all()
                .await
        }));
    }
    for run in runs {
        let (outcomes, summary) = run.await.expect("run");
        assert_eq!(outcomes.len() as u64, PER_USER, "{summary}");
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.kind.is_success()).collect();
        assert!(failed.is_empty(), "{summary}: {failed:?}");
    }
    assert_stored_once(&mock, users);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_processes_sharing_one_token_store_every_record_once() {
    let bin = hubspot_reliability::cli::binary().expect("hubspot-upsert binary");
    let mock = MockServer::builder()
        .rate_limit(WINDOW_MAX, WINDOW)
        .start()
        .await
        .expect("mock");
    let dir = tempfile::tempdir().expect("temp dir");
    let users = 2;
    let mut children = Vec::new();
    for k in 0..users {
        let path = dir.path().join(format!("user{k}.ndjson"));
        let mut file = std::fs::File::create(&path).expect("file");
        for n in ids(k) {
            writeln!(
                file,
                "{{\"email\":\"{}\",\"firstname\":\"F{n}\",\"city\":\"Lyon\"}}",
                email(n)
            )
            .expect("write");
        }
        drop(file);
        let mut cmd = Command::new(&bin);
        cmd.args(["--base-url", &mock.base_url(), "--plan", "professional"])
            .args(["--quiet", "-t", "contacts", "-i", "email"])
            .arg(&path)
            .env("HUBSPOT_ACCESS_TOKEN", TOKEN);
        // Started together: each process waits for its own in a blocking thread.
        children.push(tokio::task::spawn_blocking(move || cmd.output()));
    }
    for child in children {
        let out = child.await.expect("join").expect("run hubspot-upsert");
        assert!(
            out.status.success(),
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_stored_once(&mock, users);
}
