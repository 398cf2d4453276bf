//! Scenario 7, shared quota: 2 and 4 `hubspot-upsert` processes with one token load their own
//! files into one mock that enforces the professional plan's window (190 requests per 10 s in
//! the full run; 19 per second in the quick run; 5 per 200 ms in smoke). They know of each
//! other only through the rate-limit headers and 429s, as separate jobs of one app do.
//!
//! # The figures
//! - 429 responses as a share of every request the mock received.
//! - Combined records/s (all records over the time from the first start to the last exit)
//!   over the window's nominal ceiling, `max × 100 / window`. A run starts cold, so a client
//!   that spread its requests perfectly from the first would reach 1.0; one that bursts at
//!   the start could exceed it by one window's worth.
//! - Records lost: records not stored by the mock (each has its own id).
//!
//! Two more cases, each on a fresh mock: a second process that starts a tenth of a window
//! after the first, while the first bursts into the empty window; and eight small jobs
//! started evenly over three tenths of a window (0-3 s on HubSpot's). Their 429s and
//! records lost are judged; their throughput is reported (the processes do not start
//! together, and the small jobs cannot fill the window).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "shared quota";
/// The bound on 429s, as a percentage of requests.
const TARGET_429_PERCENT: f64 = 1.0;
/// The target for combined records/s over the ceiling.
const TARGET_FRACTION_OF_CEILING: f64 = 0.95;

/// Runs the scenario.
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let cli = ctx
        .cli
        .clone()
        .ok_or_else(|| anyhow!("no --cli given: the hubspot-upsert binary is needed"))?;
    let (max, window) = p.shared_window;
    let ceiling = f64::from(max) * records::BATCH_SIZE as f64 / window.as_secs_f64();
    let total = (ceiling * p.shared_seconds as f64).ceil() as u64;
    ctx.report.setup(
        SCENARIO,
        format!(
            "{:?} `hubspot-upsert --plan professional --quiet` processes at once, one token, \
             each with its own NDJSON file ({total} records in all, split evenly: {} s at the \
             ceiling); one mock in its own process enforcing {max} requests per rolling {} ms \
             (ceiling {ceiling:.0} records/s); figures from the mock's counters",
            p.shared_processes,
            p.shared_seconds,
            window.as_millis()
        ) + &format!(
            "; then, on fresh mocks, the same records split 2:1 between a process and a second \
             one started {} ms after it (while the first bursts into the empty window), and 8 \
             processes of {} records each started evenly over {} ms",
            (window / 10).as_millis(),
            p.shared_small_job,
            (window * 3 / 10).as_millis()
        ),
    );
    for &procs in &p.shared_processes {
        let per = total.div_ceil(procs as u64);
        let jobs = vec![(Duration::ZERO, per); procs];
        let case = Case {
            label: format!("{procs} processes"),
            files: format!("shared-{procs}"),
            ceiling_target: true,
        };
        run_case(ctx, &cli, &case, &jobs)?;
    }
    // A second process that starts a tenth of a window after the first, while the first
    // bursts into the empty window: two thirds of the records, then a third.
    let first = (total * 2).div_ceil(3);
    let jobs = [(Duration::ZERO, first), (window / 10, total - first)];
    let case = Case {
        label: format!(
            "second process starting {} ms into the first's burst",
            (window / 10).as_millis()
        ),
        files: "shared-join".to_owned(),
        ceiling_target: false,
    };
    run_case(ctx, &cli, &case, &jobs)?;
    // Eight small jobs of `shared_small_job` records, started evenly over three tenths of a
    // window (0-3 s on HubSpot's).
    let jobs: Vec<(Duration, u64)> = (0..8u32)
        .map(|k| (window * 3 * k / 70, p.shared_small_job))
        .collect();
    let case = Case {
        label: format!(
            "8 jobs of {} records started 0-{} ms apart",
            p.shared_small_job,
            (window * 3 / 10).as_millis()
        ),
        files: "shared-small".to_owned(),
        ceiling_target: false,
    };
    run_case(ctx, &cli, &case, &jobs)?;
    Ok(())
}

/// One case of the scenario: its label in the figures, its files' name, and whether the
/// combined throughput is judged (it is for processes that start together with equal
/// files; cases where the processes start apart or finish early report it).
struct Case {
    label: String,
    files: String,
    ceiling_target: bool,
}

/// Starts one CLI process per job (`(start after the first, records)`), each with its own
/// NDJSON file, into one fresh mock on the scenario's window, waits for all, and reports the
/// case's figures.
fn run_case(
    ctx: &mut Ctx,
    cli: &std::path::Path,
    case: &Case,
    jobs: &[(Duration, u64)],
) -> anyhow::Result<()> {
    let (max, window) = ctx.params.shared_window;
    let ceiling = f64::from(max) * records::BATCH_SIZE as f64 / window.as_secs_f64();
    let mut files = Vec::new();
    for (k, (_, n)) in jobs.iter().enumerate() {
        let path = ctx.data_dir.join(format!("{}-{k}-{n}.ndjson", case.files));
        if !path.exists() {
            records::write_ndjson(&path, &format!("{}x{k}", case.files), *n)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        files.push(path);
    }
    let mut mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            rate_limit: Some((max, window)),
            ..MockSetup::default()
        },
    )?;
    let start = Instant::now();
    let mut children: Vec<(Child, std::path::PathBuf)> = Vec::new();
    for (k, (file, (delay, _))) in files.iter().zip(jobs).enumerate() {
        std::thread::sleep((start + *delay).saturating_duration_since(Instant::now()));
        let stderr_path = ctx.data_dir.join(format!("{}-{k}-stderr.txt", case.files));
        let stderr = std::fs::File::create(&stderr_path)
            .with_context(|| format!("creating {}", stderr_path.display()))?;
        let child = Command::new(cli)
            .args(["--base-url", mock.base_url()])
            .args(["--plan", "professional", "--quiet"])
            .args(["-t", records::OBJECT_TYPE, "-i", records::ID_PROPERTY])
            .arg(file)
            .env("HUBSPOT_ACCESS_TOKEN", client_run::TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", cli.display()))?;
        children.push((child, stderr_path));
    }
    let mut exits = Vec::new();
    for (child, stderr_path) in &mut children {
        let status = child.wait().context("waiting for a CLI process")?;
        if !status.success() {
            let text: String = std::fs::read_to_string(&*stderr_path)
                .unwrap_or_default()
                .chars()
                .take(1_000)
                .collect();
            exits.push(format!("{status}: {}", text.trim()));
        }
    }
    let elapsed = start.elapsed();
    let stats = mock.stats()?;
    let n: u64 = jobs.iter().map(|(_, n)| n).sum();
    let lost = n.saturating_sub(stats.created);
    let label = &case.label;
    ctx.report.check(
        SCENARIO,
        &format!("{label}: every record stored once, every CLI succeeded"),
        exits.is_empty() && lost == 0 && stats.created == n,
        format!(
            "mock created {} of {n} (updated {}); {} requests, {} answered 429; {} s; failed \
             CLIs: {:?}",
            stats.created,
            stats.updated,
            stats.requests,
            stats.rate_limited,
            elapsed.as_secs(),
            exits
        ),
    );
    let share_429 = stats.rate_limited as f64 / stats.requests.max(1) as f64 * 100.0;
    let figures = [
        (
            "429 responses",
            "% of requests",
            share_429,
            Target::Below(TARGET_429_PERCENT),
        ),
        (
            "combined records/s over the ceiling",
            "ratio",
            rate(stats.created, elapsed) / ceiling,
            if case.ceiling_target {
                Target::AtLeast(TARGET_FRACTION_OF_CEILING)
            } else {
                Target::None
            },
        ),
        ("records lost", "records", lost as f64, Target::AtMost(0.0)),
        ("run length", "s", elapsed.as_secs_f64(), Target::None),
    ];
    for (name, unit, value, target) in figures {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{label}: {name}"),
            unit,
            vec![value],
            target,
        ));
    }
    Ok(())
}
