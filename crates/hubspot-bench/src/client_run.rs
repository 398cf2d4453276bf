//! Drives the `hubspot-crm` client's bulk API once and counts what came back.

use std::time::{Duration, Instant};

use futures::StreamExt;
use hubspot_crm::{
    AccessToken, ApiVersion, Client, ObjectType, RateLimit, UpsertInput, V2026_03, V2026_09,
};

/// The token every scenario sends (the mock accepts any well-formed bearer token).
pub const TOKEN: &str = "bench-token";

/// A client pointed at `base_url` with `concurrency` requests in flight and the given limit.
///
/// With `rate_limit` `None` the pacer is opened far past anything the run can reach and told
/// not to adopt the mock's headers (which report a plan even when the mock enforces none), so
/// pacing costs its bookkeeping but never waits.
pub fn build_client(
    base_url: &str,
    concurrency: usize,
    rate_limit: Option<(u32, Duration)>,
) -> anyhow::Result<Client> {
    build_client_at(base_url, concurrency, rate_limit)
}

/// [`build_client`] speaking API version `V`.
pub fn build_client_at<V: ApiVersion>(
    base_url: &str,
    concurrency: usize,
    rate_limit: Option<(u32, Duration)>,
) -> anyhow::Result<Client<V>> {
    let limit = match rate_limit {
        Some((max, window)) => RateLimit::new(max, window),
        None => RateLimit::new(1_000_000_000, Duration::from_millis(1)).learn_from_headers(false),
    };
    Ok(Client::builder()
        .api_version(V::default())
        .base_url(base_url)
        .token(AccessToken::new(TOKEN))
        .concurrency(concurrency)
        .rate_limit(limit)
        .build()?)
}

/// What one bulk run did, from the client's side.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientRun {
    /// Wall time from starting the run to its last outcome.
    pub elapsed: Duration,
    /// Outcomes received (one per input when nothing is lost).
    pub outcomes: u64,
    /// Outcomes `Created` or `Updated`.
    pub succeeded: u64,
    /// Requests sent, retries included (from the run's summary).
    pub requests: u64,
    /// Responses 429 (from the run's summary).
    pub rate_limited: u64,
}

/// Upserts `inputs` through `client.bulk_upsert` and waits for every outcome.
pub async fn run<V, I>(client: &Client<V>, inputs: I) -> ClientRun
where
    V: ApiVersion,
    I: IntoIterator<Item = UpsertInput>,
    I::IntoIter: Send + 'static,
{
    let start = Instant::now();
    let mut bulk = client.bulk_upsert_iter(ObjectType::contacts(), inputs);
    let mut outcomes = 0u64;
    let mut succeeded = 0u64;
    while let Some(outcome) = bulk.next().await {
        outcomes += 1;
        if outcome.kind.is_success() {
            succeeded += 1;
        }
    }
    let elapsed = start.elapsed();
    let summary = bulk.summary();
    ClientRun {
        elapsed,
        outcomes,
        succeeded,
        requests: summary.requests,
        rate_limited: summary.rate_limited,
    }
}

/// `hubspot-bench upsert-lib BASE_URL RECORDS PREFIX CONCURRENCY [MAX/WINDOW_MS]
/// [--api-version 2026-03|2026-09]`: upserts records `0..RECORDS` of key space PREFIX (built as
/// the run reads them) through `Client::bulk_upsert` in a process of its own (so that its CPU
/// time and peak RSS are the library's alone) on a current-thread runtime, with no limit or the
/// one given, at the API version given (default HubSpot's current one), and prints one JSON
/// line: `records_ok`, `records_failed`, `requests`, `rate_limited`.
pub fn lib_main(args: &[String]) -> anyhow::Result<()> {
    let (args, version) = match args {
        [rest @ .., flag, version] if flag == "--api-version" => (rest, version.as_str()),
        _ => (args, V2026_09::NAME),
    };
    match version {
        "2026-03" => lib_main_at::<V2026_03>(args),
        "2026-09" => lib_main_at::<V2026_09>(args),
        other => anyhow::bail!("--api-version: 2026-03 or 2026-09, not {other:?}"),
    }
}

fn lib_main_at<V: ApiVersion>(args: &[String]) -> anyhow::Result<()> {
    use anyhow::Context;
    let [base_url, records, prefix, concurrency, rest @ ..] = args else {
        anyhow::bail!(
            "usage: hubspot-bench upsert-lib BASE_URL RECORDS PREFIX CONCURRENCY [MAX/WINDOW_MS] [--api-version V]"
        );
    };
    let records: u64 = records.parse().context("RECORDS")?;
    let concurrency: usize = concurrency.parse().context("CONCURRENCY")?;
    let limit = match rest.first() {
        Some(spec) => {
            let (max, ms) = spec
                .split_once('/')
                .ok_or_else(|| anyhow::anyhow!("MAX/WINDOW_MS, not {spec:?}"))?;
            Some((
                max.parse().context("MAX")?,
                Duration::from_millis(ms.parse().context("WINDOW_MS")?),
            ))
        }
        None => None,
    };
    // One thread, as `hubspot-upsert` runs and as the crate docs advise for a bulk load: the
    // work is a few µs per record, so a second worker only adds wake-ups across threads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let run = runtime.block_on(async {
        let client = build_client_at::<V>(base_url, concurrency, limit)?;
        // Built as the run reads them, as a program streaming its records would (and as the
        // SDK peers build theirs, a batch at a time).
        let prefix = prefix.clone();
        let inputs = (0..records).map(move |i| crate::records::client_input(&prefix, i));
        anyhow::Ok(run(&client, inputs).await)
    })?;
    println!(
        "{{\"records_ok\":{},\"records_failed\":{},\"requests\":{},\"rate_limited\":{}}}",
        run.succeeded,
        run.outcomes - run.succeeded,
        run.requests,
        run.rate_limited
    );
    Ok(())
}
