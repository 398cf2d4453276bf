//! Scenario "versions": the client at each API version it speaks, side by side in one run.
//!
//! Two figures per version, with the same records and mock:
//! - quota saturation: the mock enforces the quota scenario's window, the client (in this
//!   process) is told the same limit, and a run sends `windows × max` full batches; the figure
//!   is records/s over the nominal ceiling, `max × 100 / window`, with the share of 429s;
//! - CPU per record: the library contender of the peers scenario (`upsert-lib`, a process of
//!   its own under `measure-rss`) upserts the peers scenario's records into an unlimited mock;
//!   the figure is its whole-process CPU time over the records.
//!
//! The versions take turns, in alternating order, so that drift in the machine's load falls on
//! both. The ratio 2026-09 / 2026-03 of CPU per record is reported beside them: the policy is
//! the same code, so only the generated types and the adapter can move it.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, anyhow};
use hubspot_crm::{ApiVersion, V2026_03, V2026_09};

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};
use crate::usage::read_measurement;

const SCENARIO: &str = "API versions";
/// The quota scenario's target for records/s over the nominal ceiling.
const TARGET_FRACTION_OF_CEILING: f64 = 0.95;
/// The bound on 429s, as a percentage of requests.
const TARGET_429_PERCENT: f64 = 1.0;
/// Requests in flight for the CPU turns (the peers scenario's).
const CONCURRENCY: usize = 4;
const VERSIONS: [&str; 2] = [V2026_03::NAME, V2026_09::NAME];

/// One version's samples.
#[derive(Default)]
struct Samples {
    ceiling_fraction: Vec<f64>,
    share_429: Vec<f64>,
    cpu_us: Vec<f64>,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let window = p.quota_window;
    let requests = u64::from(p.quota_max) * u64::from(p.quota_windows);
    let quota_n = requests * records::BATCH_SIZE as u64;
    let cpu_n = p.peers_records;
    let reps = p.quota_reps.max(1);
    ctx.report.setup(
        SCENARIO,
        format!(
            "each repetition, for 2026-03 and 2026-09 in alternating order: quota saturation \
             ({} requests per rolling {} ms, {quota_n} records, fresh mock) and CPU per record \
             of the library in its own process ({cpu_n} records into an unlimited mock, \
             concurrency {CONCURRENCY}); {reps} repetitions",
            p.quota_max,
            window.as_millis(),
        ),
    );
    let mut samples = [Samples::default(), Samples::default()];
    let mut cpu_mock = MockProcess::spawn(&ctx.exe, MockSetup::default())?;
    for rep in 0..reps {
        for step in 0..VERSIONS.len() {
            let idx = (step + rep) % VERSIONS.len();
            let version = VERSIONS[idx];
            let (fraction, share) = match version {
                "2026-03" => quota_turn::<V2026_03>(ctx, rep, quota_n).await?,
                _ => quota_turn::<V2026_09>(ctx, rep, quota_n).await?,
            };
            samples[idx].ceiling_fraction.push(fraction);
            samples[idx].share_429.push(share);
            let before = cpu_mock.stats()?;
            let cpu = cpu_turn(ctx, cpu_mock.base_url(), cpu_n, version)?;
            let written = cpu_mock.stats()?.since(&before).written();
            ctx.report.check(
                SCENARIO,
                &format!("{version}: the mock wrote every record of the CPU turn"),
                written == cpu_n,
                format!("rep {rep}: mock wrote {written} of {cpu_n}"),
            );
            samples[idx].cpu_us.push(cpu);
        }
    }
    for (version, s) in VERSIONS.iter().zip(&samples) {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{version}: quota saturation, records/s over the nominal ceiling"),
            "ratio",
            s.ceiling_fraction.clone(),
            Target::AtLeast(TARGET_FRACTION_OF_CEILING),
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{version}: quota saturation, 429 responses"),
            "% of requests",
            s.share_429.clone(),
            Target::Below(TARGET_429_PERCENT),
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{version}: library CPU per record (whole process)"),
            "µs",
            s.cpu_us.clone(),
            Target::None,
        ));
    }
    let ratios: Vec<f64> = samples[1]
        .cpu_us
        .iter()
        .zip(&samples[0].cpu_us)
        .map(|(new, old)| new / old)
        .collect();
    ctx.report.figure(Figure::new(
        SCENARIO,
        "library CPU per record, 2026-09 / 2026-03 (same repetition)",
        "ratio",
        ratios,
        Target::None,
    ));
    Ok(())
}

/// One quota-saturation run at version `V`: (records/s over the ceiling, % of 429s).
async fn quota_turn<V: ApiVersion>(
    ctx: &mut Ctx,
    rep: usize,
    n: u64,
) -> anyhow::Result<(f64, f64)> {
    let p = &ctx.params;
    let window = p.quota_window;
    let ceiling = f64::from(p.quota_max) * records::BATCH_SIZE as f64 / window.as_secs_f64();
    let mut mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            latency: Duration::ZERO,
            rate_limit: Some((p.quota_max, window)),
            cpu: None,
        },
    )?;
    let client = client_run::build_client_at::<V>(
        mock.base_url(),
        crate::params::CONCURRENCY,
        Some((p.quota_max, window)),
    )?;
    let prefix = format!("versions-{}", V::NAME);
    let inputs: Vec<_> = (0..n).map(|i| records::client_input(&prefix, i)).collect();
    let run = client_run::run(&client, inputs).await;
    let stats = mock.stats()?;
    ctx.report.check(
        SCENARIO,
        &format!("{}: no record lost in the quota run", V::NAME),
        run.outcomes == n && run.succeeded == n && stats.created == n,
        format!(
            "rep {rep}: {} outcomes, {} succeeded, mock created {} of {n}",
            run.outcomes, run.succeeded, stats.created
        ),
    );
    let share = stats.rate_limited as f64 / stats.requests.max(1) as f64 * 100.0;
    Ok((rate(run.succeeded, run.elapsed) / ceiling, share))
}

/// One run of the library contender at `version` under `measure-rss`: CPU µs per record.
fn cpu_turn(ctx: &Ctx, base_url: &str, n: u64, version: &str) -> anyhow::Result<f64> {
    let measurement = ctx.data_dir.join("versions-usage.txt");
    let _ = std::fs::remove_file(&measurement);
    let out = Command::new(&ctx.exe)
        .arg("measure-rss")
        .arg(&measurement)
        .arg(&ctx.exe)
        .arg("upsert-lib")
        .arg(base_url)
        .arg(n.to_string())
        .arg(format!("cpu-{version}"))
        .arg(CONCURRENCY.to_string())
        .args(["--api-version", version])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running upsert-lib at {version}"))?;
    let usage = std::fs::read_to_string(&measurement)
        .ok()
        .as_deref()
        .and_then(read_measurement)
        .ok_or_else(|| {
            anyhow!(
                "upsert-lib at {version}: no measurement ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(500)
                    .collect::<String>()
            )
        })?;
    Ok(usage.cpu_time.as_secs_f64() * 1e6 / n as f64)
}
