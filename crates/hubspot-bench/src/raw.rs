//! The raw HTTP baseline: pre-serialized bodies POSTed with `reqwest` at bounded concurrency.
//!
//! It does only what any upsert loop must (send, check the status, read the body) and so is
//! the ceiling the client's ergonomic layer is measured against. Its requests carry the
//! headers the client's do (`Accept`, `api-version`), so the mock parses the same bytes. It also drives the mock in
//! the capacity scenario.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;

/// The `api-version` header the client sends.
const API_VERSION: &str = "2026-03";

/// What one raw run did.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRun {
    /// Wall time from the first send to the last response read.
    pub elapsed: Duration,
    /// Requests answered 200 or 207.
    pub ok_requests: u64,
    /// Requests answered anything else, or failed in transport.
    pub failed_requests: u64,
}

/// An HTTP client for loopback benchmarks: no proxy, kept-alive connections.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// A POST of `body` to `url` with the headers the client's requests carry.
fn post(client: &reqwest::Client, url: &str, auth: &str, body: Bytes) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::ACCEPT, "application/json")
        .header("api-version", API_VERSION)
        .body(body)
}

/// POSTs every body to `url` with at most `concurrency` requests in flight.
pub async fn run(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: &[Bytes],
    concurrency: usize,
) -> RawRun {
    let auth = format!("Bearer {token}");
    let start = Instant::now();
    let results: Vec<bool> = futures::stream::iter(bodies.iter().cloned())
        .map(|body| {
            let request = post(client, url, &auth, body);
            async move {
                match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let read = response.bytes().await.is_ok();
                        read && (status == 200 || status == 207)
                    }
                    Err(_) => false,
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let elapsed = start.elapsed();
    let ok_requests = results.iter().filter(|ok| **ok).count() as u64;
    RawRun {
        elapsed,
        ok_requests,
        failed_requests: results.len() as u64 - ok_requests,
    }
}

/// POSTs every body to `url`, one at a time, and returns each answer's body in the order of
/// `bodies`.
///
/// # Errors
/// The first request that fails in transport or is answered anything but 200 or 207.
pub async fn answers(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: &[Bytes],
) -> anyhow::Result<Vec<Bytes>> {
    let auth = format!("Bearer {token}");
    let mut answers = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        let response = post(client, url, &auth, body.clone()).send().await?;
        let status = response.status().as_u16();
        if status != 200 && status != 207 {
            anyhow::bail!("request {i} of {} was answered {status}", bodies.len());
        }
        answers.push(response.bytes().await?);
    }
    Ok(answers)
}
