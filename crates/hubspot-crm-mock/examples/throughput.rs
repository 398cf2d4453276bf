//! Measures how many records per second the mock upserts on one core.
//!
//! The mock runs on its own thread with a single-threaded tokio runtime (so it uses at most one
//! core); a client on another thread fires pre-serialised 100-input batches over loopback with
//! reqwest, several at a time, half creating records and half updating them. Prints the
//! wall-clock rate and, on Linux, the mock thread's CPU time and records per CPU-second.
//!
//! ```text
//! cargo run --release -p hubspot-crm-mock --example throughput -- [BATCHES] [CONCURRENCY]
//! ```

use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hubspot_crm_api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert,
};
use hubspot_crm_mock::MockServer;
use indexmap::IndexMap;

/// Clock ticks per second of `/proc/.../stat` times (the Linux default).
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// CPU time used so far by the thread with this id in this process (Linux only).
fn thread_cpu(tid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (utime + stime) / CLOCK_TICKS_PER_SEC,
    ))
}

/// A `contacts` batch of `len` inputs keyed by email, numbered from `first`
/// (`contact{n}@example.com`), each with a trace id and three more properties, as JSON.
fn contacts_batch_json(first: u64, len: usize) -> Result<Vec<u8>, serde_json::Error> {
    let inputs = (first..first + len as u64)
        .map(|n| SimplePublicObjectBatchInputUpsert {
            id: format!("contact{n}@example.com"),
            id_property: Some("email".to_owned()),
            object_write_trace_id: Some(format!("t{n}")),
            properties: IndexMap::from_iter([
                ("firstname".to_owned(), format!("First{n}")),
                ("lastname".to_owned(), format!("Last{n}")),
                ("city".to_owned(), "Lyon".to_owned()),
            ]),
        })
        .collect();
    serde_json::to_vec(&BatchInputSimplePublicObjectBatchInputUpsert { inputs })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let batches: u64 = args.next().map_or(Ok(2000), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(8), |a| a.parse())?;
    const BATCH: usize = 100;

    // The mock, alone on one thread.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mock_thread = std::thread::spawn(move || -> Result<(), String> {
        let tid = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let mock = MockServer::builder()
                .no_rate_limit()
                .start()
                .await
                .map_err(|e| e.to_string())?;
            ready_tx
                .send((mock.base_url(), tid))
                .map_err(|e| e.to_string())?;
            let _ = stop_rx.await;
            let c = mock.counters();
            println!(
                "mock: {} requests, {} created, {} updated, statuses {:?}",
                c.requests, c.records_created, c.records_updated, c.requests_by_status
            );
            mock.shutdown().await;
            Ok(())
        })
    });
    let (base_url, tid) = ready_rx.recv()?;
    let url = format!("{base_url}/crm/objects/2026-03/contacts/batch/upsert");

    // Bodies prepared up front, so the client spends its time on HTTP only.
    let half = (batches / 2).max(1);
    let bodies = (0..batches)
        .map(|i| contacts_batch_json((i % half) * BATCH as u64, BATCH).map(bytes::Bytes::from))
        .collect::<Result<Vec<_>, _>>()?;

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cpu_before = tid.as_deref().and_then(thread_cpu);
    let started = Instant::now();
    let ok = client_rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let results = futures::stream::iter(bodies)
            .map(|body| {
                let client = client.clone();
                let url = url.clone();
                async move {
                    let resp = client
                        .post(&url)
                        .bearer_auth("bench-token")
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await?;
                    let status = resp.status();
                    resp.bytes().await?;
                    Ok::<bool, reqwest::Error>(status.is_success())
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await;
        let mut ok = 0u64;
        for r in results {
            if r? {
                ok += 1;
            }
        }
        Ok::<u64, reqwest::Error>(ok)
    })?;
    let elapsed = started.elapsed();
    let cpu_after = tid.as_deref().and_then(thread_cpu);

    let records = ok * BATCH as u64;
    println!(
        "{ok}/{batches} batches of {BATCH} ok in {:.3} s: {:.0} records/s wall-clock ({concurrency} in flight)",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let cpu = after.saturating_sub(before).as_secs_f64();
        if cpu > 0.0 {
            println!(
                "mock thread CPU: {cpu:.3} s, {:.0} records per CPU-second",
                records as f64 / cpu
            );
        }
    }
    let _ = stop_tx.send(());
    mock_thread
        .join()
        .map_err(|_| "the mock thread panicked")??;
    Ok(())
}
