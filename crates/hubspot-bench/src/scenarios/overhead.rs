//! Scenario 2, client overhead: the bulk API of `hubspot-crm` (a) against a raw `reqwest`
//! loop of pre-serialized bodies (b), same records, same batches, same concurrency, against a
//! mock with no limit and no latency.
//!
//! The mock runs in its own process, so `getrusage(RUSAGE_SELF)` of this process measures the
//! client's CPU alone. Each repetition splits the records into turns and the contenders
//! alternate turn by turn (a b, b a, a b, ...): the shared machine's slow phases last seconds,
//! so both contenders meet them alike. The figure is the ratio of each pair of turns (the same
//! records, back to back), summarised by the median over every pair of every repetition; the
//! ratio of each repetition's summed turns is reported beside it, and each contender's
//! throughput is its records over the sum of its turns' wall time.
//!
//! The ratio is reported, not judged: since the bulk path encodes and decodes
//! through the generated types, the client spends more CPU per record than a loop that posts
//! pre-serialized bytes and reads nothing back. What users feel is judged elsewhere: quota
//! saturation, and CPU per record against HubSpot's own SDKs in the `peers` scenario.

use std::time::Duration;

use super::{Ctx, rate};
use crate::mock_proc::{MockProcess, MockSetup};
use crate::stats::{Figure, Target};
use crate::usage::process_cpu_time;
use crate::{client_run, raw, records};

const SCENARIO: &str = "client overhead";
const PREFIX: &str = "ovh";

#[derive(Default)]
struct Samples {
    rate: Vec<f64>,
    cpu_us_per_record: Vec<f64>,
    mock_cpu_us_per_record: Vec<f64>,
    mock_busy_pct: Vec<f64>,
}

impl Samples {
    fn push(&mut self, totals: &Totals, records: u64) {
        self.rate.push(rate(records, totals.elapsed));
        self.cpu_us_per_record
            .push(micros_per(totals.harness_cpu, records));
        self.mock_cpu_us_per_record
            .push(micros_per(totals.mock_cpu, records));
        self.mock_busy_pct
            .push(100.0 * totals.mock_cpu.as_secs_f64() / totals.elapsed.as_secs_f64().max(1e-9));
    }
}

/// One contender's turns of one repetition, added up.
#[derive(Default)]
struct Totals {
    elapsed: Duration,
    harness_cpu: Duration,
    mock_cpu: Duration,
    /// Records the contender reports written.
    delivered: u64,
    /// Records the mock wrote during the contender's turns.
    written: u64,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let n = p.overhead_records;
    let turns = p.overhead_turns.max(1);
    let per_turn = n / turns;
    anyhow::ensure!(
        per_turn * turns == n && per_turn.is_multiple_of(records::BATCH_SIZE as u64),
        "{n} records do not split into {turns} turns of whole batches"
    );
    ctx.report.setup(
        SCENARIO,
        format!(
            "{n} records per contender and repetition, in {turns} turns of {per_turn} (one bulk \
             run or raw loop each), the contenders alternating turn by turn (a b, b a, a b, ...) \
             so that both meet the same phases of the shared machine; 100-input batches, {} \
             requests in flight for both; mock in its own process (current_thread runtime), no \
             limit, no latency; a fresh mock per repetition, its records created then updated by \
             two untimed raw passes, so every measured turn updates; {} repetitions; {}",
            p.overhead_concurrency,
            p.reps,
            ctx.cpu_note()
        ),
    );
    let bodies = records::raw_bodies(PREFIX, n);
    let mut a = Samples::default();
    let mut b = Samples::default();
    let mut pair_ratios = Vec::new();
    let mut rep_ratios = Vec::new();
    for rep in 0..p.reps {
        let mut warm = warm_up(ctx, &bodies).await?;
        let mut client_totals = Totals::default();
        let mut raw_totals = Totals::default();
        for turn in 0..turns {
            let first = turn * per_turn;
            let client_first = (rep as u64 + turn).is_multiple_of(2);
            let mut client_time = Duration::ZERO;
            let mut raw_time = Duration::ZERO;
            for is_client in [client_first, !client_first] {
                let totals = if is_client {
                    &mut client_totals
                } else {
                    &mut raw_totals
                };
                let elapsed = take_turn(
                    &mut warm,
                    &bodies,
                    is_client,
                    first..first + per_turn,
                    totals,
                )
                .await?;
                if is_client {
                    client_time = elapsed;
                } else {
                    raw_time = elapsed;
                }
            }
            // Same records on both sides, so the throughput ratio is the inverse time ratio.
            pair_ratios.push(raw_time.as_secs_f64() / client_time.as_secs_f64().max(1e-9));
        }
        for (who, totals) in [("client (a)", &client_totals), ("raw (b)", &raw_totals)] {
            ctx.report.check(
                SCENARIO,
                &format!("{who}: every record written"),
                totals.delivered == n && totals.written == n,
                format!(
                    "rep {rep}: {who} reported {} of {n} written; the mock wrote {}",
                    totals.delivered, totals.written
                ),
            );
        }
        a.push(&client_totals, n);
        b.push(&raw_totals, n);
        rep_ratios.push(rate(n, client_totals.elapsed) / rate(n, raw_totals.elapsed));
    }
    let figures = [
        (
            "throughput ratio (a) client / (b) raw, per pair of turns",
            "ratio",
            pair_ratios,
            Target::None,
        ),
        (
            "throughput ratio (a) client / (b) raw, per repetition (all its turns)",
            "ratio",
            rep_ratios,
            Target::None,
        ),
        ("(a) client throughput", "records/s", a.rate, Target::None),
        (
            "(b) raw reqwest throughput",
            "records/s",
            b.rate,
            Target::None,
        ),
        (
            "(a) client CPU per record",
            "µs",
            a.cpu_us_per_record,
            Target::None,
        ),
        (
            "(b) raw CPU per record",
            "µs",
            b.cpu_us_per_record,
            Target::None,
        ),
        (
            "mock CPU per record during (a)",
            "µs",
            a.mock_cpu_us_per_record,
            Target::None,
        ),
        (
            "mock CPU per record during (b)",
            "µs",
            b.mock_cpu_us_per_record,
            Target::None,
        ),
        (
            "mock busy during (a) (its CPU time over the turns' wall time)",
            "%",
            a.mock_busy_pct,
            Target::None,
        ),
        (
            "mock busy during (b) (its CPU time over the turns' wall time)",
            "%",
            b.mock_busy_pct,
            Target::None,
        ),
    ];
    for (name, unit, samples, target) in figures {
        ctx.report
            .figure(Figure::new(SCENARIO, name, unit, samples, target));
    }
    Ok(())
}

/// One turn of one contender over `range` (whole batches), added to `totals`; returns the
/// turn's wall time. The client's inputs are built before the clock starts, as the raw loop's
/// bodies are.
async fn take_turn(
    warm: &mut Warm,
    bodies: &[bytes::Bytes],
    is_client: bool,
    range: std::ops::Range<u64>,
    totals: &mut Totals,
) -> anyhow::Result<Duration> {
    let inputs: Vec<_> = if is_client {
        range
            .clone()
            .map(|i| records::client_input(PREFIX, i))
            .collect()
    } else {
        Vec::new()
    };
    let batch = records::BATCH_SIZE as u64;
    let turn_bodies = &bodies[(range.start / batch) as usize..(range.end / batch) as usize];
    let before = warm.mock.stats()?;
    let cpu_before = process_cpu_time();
    let (elapsed, delivered) = if is_client {
        let run = client_run::run(&warm.client, inputs).await;
        (run.elapsed, run.succeeded)
    } else {
        let run = raw::run(
            &warm.http,
            &warm.url,
            client_run::TOKEN,
            turn_bodies,
            warm.concurrency,
        )
        .await;
        (run.elapsed, run.ok_requests * batch)
    };
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    let delta = warm.mock.stats()?.since(&before);
    totals.elapsed += elapsed;
    totals.harness_cpu += cpu;
    totals.mock_cpu += Duration::from_micros(delta.cpu_us);
    totals.delivered += delivered;
    totals.written += delta.written();
    Ok(elapsed)
}

/// A fresh mock with every record created, and both contenders' connections open.
struct Warm {
    mock: MockProcess,
    url: String,
    http: reqwest::Client,
    client: hubspot_crm::Client,
    concurrency: usize,
}

/// Starts a fresh mock (the mock keeps a log of every request, and grows slower as it grows:
/// a mock shared by all repetitions made the later ones slower than the first) and warms it
/// up: the raw loop creates every record, then updates them, and the client upserts two
/// batches per request slot, so that both have their connections open.
async fn warm_up(ctx: &Ctx, bodies: &[bytes::Bytes]) -> anyhow::Result<Warm> {
    let concurrency = ctx.params.overhead_concurrency;
    let mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            cpu: ctx.mock_cpu(),
            ..MockSetup::default()
        },
    )?;
    let url = mock.upsert_url(records::OBJECT_TYPE);
    let http = raw::http_client()?;
    let client = client_run::build_client(mock.base_url(), concurrency, None)?;
    for pass in ["create", "update"] {
        let warm = raw::run(&http, &url, client_run::TOKEN, bodies, concurrency).await;
        anyhow::ensure!(
            warm.failed_requests == 0,
            "warm-up ({pass}): {} requests failed",
            warm.failed_requests
        );
    }
    let warm_records = (2 * concurrency * records::BATCH_SIZE) as u64;
    let _ = client_run::run(
        &client,
        (0..warm_records)
            .map(|i| records::client_input(PREFIX, i))
            .collect::<Vec<_>>(),
    )
    .await;
    Ok(Warm {
        mock,
        url,
        http,
        client,
        concurrency,
    })
}

fn micros_per(cpu: Duration, records: u64) -> f64 {
    cpu.as_secs_f64() * 1e6 / records.max(1) as f64
}
