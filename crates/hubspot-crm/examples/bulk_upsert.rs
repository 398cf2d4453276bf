//! Upserts 10,000 generated contacts into the embedded mock server and prints the summary.
//!
//! Run with `cargo run -p hubspot-crm --example bulk_upsert`. The mock enforces the Starter
//! plan's 100 requests per rolling 10 s, so the 100 requests fit in one window.

use std::time::Duration;

use futures::StreamExt;
use hubspot_crm::{AccessToken, Client, ObjectType, Plan, RateLimit, UpsertInput};
use hubspot_crm_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mock = MockServer::builder()
        .latency(Duration::from_millis(20))
        .start()
        .await?;
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("example-token"))
        .rate_limit(RateLimit::plan(Plan::Starter))
        .concurrency(4)
        .build()?;

    let contacts = futures::stream::iter(0..10_000u32).map(|i| {
        UpsertInput::new(format!("contact{i}@example.com"))
            .id_property("email")
            .property("firstname", format!("First{i}"))
            .property("lastname", format!("Last{}", i % 313))
            .property("city", ["Paris", "Lyon", "Nantes"][(i % 3) as usize])
    });
    let mut run = client.bulk_upsert(ObjectType::contacts(), contacts);
    let mut progress = run.progress();
    let reporter = tokio::spawn(async move {
        while progress.changed().await.is_ok() {
            let p = progress.borrow().clone();
            if p.finished {
                break;
            }
            if p.done % 2_000 == 0 && p.done > 0 {
                println!("{} done, {} in flight", p.done, p.in_flight);
            }
        }
    });
    let mut failures = 0u64;
    while let Some(outcome) = run.next().await {
        if !outcome.kind.is_success() {
            failures += 1;
            eprintln!("#{} {}: {:?}", outcome.position, outcome.id, outcome.kind);
        }
    }
    let _ = reporter.await;
    println!("{}", run.summary());
    println!(
        "{} records stored by the mock, {failures} failures",
        mock.records("contacts").len()
    );
    mock.shutdown().await;
    Ok(())
}
