//! A nightly sync with a sync state, against the embedded mock: the first night loads 2,000
//! contacts; the second, 20 of them changed, 5 new and 5 gone, sends only the 25 that differ.
//!
//! Run with `cargo run -p hubspot-crm --example incremental_sync`. The state is a SQLite file
//! in the system's temporary directory, removed at the end; open it with `sqlite3` before then
//! to see what was synced (`SELECT * FROM records LIMIT 5;`).

use futures::StreamExt;
use hubspot_crm::sync_state::{SqliteSyncState, SyncOptions};
use hubspot_crm::{AccessToken, Client, ObjectType, OutcomeKind, Summary, UpsertInput};
use hubspot_crm_mock::MockServer;

/// The contacts of one night: `changed` of them moved to another city, `skip` of them gone from
/// the source, `extra` new ones at the end.
fn export(changed: u32, skip: u32, extra: u32) -> Vec<UpsertInput> {
    (0..2_000 + extra)
        .filter(|i| *i >= skip)
        .map(|i| {
            let city = if i >= 1_000 && i < 1_000 + changed {
                "Nantes"
            } else {
                "Lyon"
            };
            UpsertInput::new(format!("contact{i}@example.com"))
                .id_property("email")
                .property("firstname", format!("First{i}"))
                .property("city", city)
        })
        .collect()
}

/// One night's run: the state is opened (and locked) for the run, and closed when it ends.
async fn night(
    client: &Client,
    state_path: &std::path::Path,
    contacts: Vec<UpsertInput>,
) -> Result<Summary, Box<dyn std::error::Error>> {
    let state = SqliteSyncState::open(state_path)?;
    let sync = SyncOptions::new(state, "email");
    let mut run = client.bulk_upsert_synced(
        ObjectType::contacts(),
        sync,
        futures::stream::iter(contacts),
    )?;
    while let Some(outcome) = run.next().await {
        if let OutcomeKind::Failed { cause, message, .. } = &outcome.kind {
            eprintln!("{}: {cause}: {message}", outcome.id);
        }
    }
    Ok(run.summary())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder().no_rate_limit().start().await?;
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("example-token"))
        .build()?;
    let state_path = std::env::temp_dir().join(format!(
        "incremental-sync-example-{}.state",
        std::process::id()
    ));

    let first = night(&client, &state_path, export(0, 0, 0)).await?;
    println!("first night:  {first}");
    let second = night(&client, &state_path, export(20, 5, 5)).await?;
    println!("second night: {second}");
    assert_eq!(
        (second.unchanged, second.updated, second.created),
        (1_975, 20, 5)
    );
    assert_eq!(second.not_in_input, 5);

    let state = SqliteSyncState::open(&state_path)?;
    let mut gone = Vec::new();
    state.not_in_last_input(|key| gone.push(key.to_owned()))?;
    println!("in the state, not in the last export: {}", gone.join(", "));
    drop(state);
    std::fs::remove_file(&state_path)?;
    mock.shutdown().await;
    Ok(())
}
