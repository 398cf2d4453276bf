//! Scenario 4, CLI memory: `hubspot-upsert` loads generated NDJSON files of each size into a
//! mock, and the figure is the CLI process's peak RSS (from `wait4` in a small helper process,
//! so only that process: see [`crate::usage::measure_main`]).
//!
//! The mock runs in a separate process (not the CLI's in-process `--mock`, whose stored
//! records would count in the CLI's RSS). It enforces a window so wide that it never refuses,
//! and says so in its rate-limit headers, which the CLI's client adopts after its first
//! response: the run is then paced by nothing but the mock, and takes seconds, not the
//! ten-odd minutes a real plan's quota would need for a million records.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};
use crate::usage::read_measurement;

const SCENARIO: &str = "CLI memory";
/// The bound on peak RSS.
const TARGET_PEAK_MIB: f64 = 64.0;
/// The bound on the largest size's peak over the smallest's.
const TARGET_GROWTH: f64 = 1.10;
/// A window no run reaches: the CLI's pacing never waits.
const WIDE_WINDOW: (u32, Duration) = (1_000_000_000, Duration::from_secs(1));
const PREFIX: &str = "mem";

/// Runs the scenario.
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let cli = ctx
        .cli
        .clone()
        .ok_or_else(|| anyhow!("no --cli given: the hubspot-upsert binary is needed"))?;
    ctx.report.setup(
        SCENARIO,
        format!(
            "`hubspot-upsert --base-url <mock> --plan api-add-on --quiet -t contacts -i {} FILE` \
             on NDJSON files of {:?} records (6 properties each); mock in a separate process \
             with a window no run reaches (the CLI learns it from the headers); peak RSS of the \
             CLI process from wait4 in a small helper process; fresh mock per run; {} repetition(s) per size, sizes \
             alternating",
            records::ID_PROPERTY,
            p.memory_sizes,
            p.memory_reps
        ),
    );
    let mut files = Vec::new();
    for &size in &p.memory_sizes {
        files.push(ensure_file(&ctx.data_dir, size)?);
    }
    let mut peaks: Vec<Vec<f64>> = vec![Vec::new(); p.memory_sizes.len()];
    let mut speeds: Vec<Vec<f64>> = vec![Vec::new(); p.memory_sizes.len()];
    let mut cpu_per_record: Vec<Vec<f64>> = vec![Vec::new(); p.memory_sizes.len()];
    for rep in 0..p.memory_reps {
        for k in 0..p.memory_sizes.len() {
            let idx = if rep % 2 == 0 {
                k
            } else {
                p.memory_sizes.len() - 1 - k
            };
            let size = p.memory_sizes[idx];
            let mut mock = MockProcess::spawn(
                &ctx.exe,
                MockSetup {
                    latency: Duration::ZERO,
                    rate_limit: Some(WIDE_WINDOW),
                    cpu: None,
                },
            )?;
            let stderr_path = ctx.data_dir.join("cli-stderr.txt");
            let stderr_file = std::fs::File::create(&stderr_path)
                .with_context(|| format!("creating {}", stderr_path.display()))?;
            let start = Instant::now();
            let measurement = ctx.data_dir.join("cli-usage.txt");
            let _ = std::fs::remove_file(&measurement);
            let status = Command::new(&ctx.exe)
                .arg("measure-rss")
                .arg(&measurement)
                .arg(&cli)
                .args(["--base-url", mock.base_url()])
                .args(["--plan", "api-add-on", "--quiet"])
                .args(["-t", records::OBJECT_TYPE, "-i", records::ID_PROPERTY])
                .arg(&files[idx])
                .env("HUBSPOT_ACCESS_TOKEN", client_run::TOKEN)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr_file)
                .status()
                .with_context(|| format!("running {} under measure-rss", cli.display()))?;
            let usage = std::fs::read_to_string(&measurement)
                .ok()
                .as_deref()
                .and_then(read_measurement)
                .ok_or_else(|| anyhow!("measure-rss wrote no measurement ({status})"))?;
            let elapsed = start.elapsed();
            let stats = mock.stats()?;
            let stderr: String = std::fs::read_to_string(&stderr_path)
                .unwrap_or_default()
                .chars()
                .take(2_000)
                .collect();
            ctx.report.check(
                SCENARIO,
                &format!("{size} records: CLI succeeded, every record written"),
                usage.exit_code == Some(0) && stats.created == size,
                format!(
                    "rep {rep}: exit {:?}, mock created {} of {size}{}",
                    usage.exit_code,
                    stats.created,
                    if stderr.is_empty() {
                        String::new()
                    } else {
                        format!("; stderr: {}", stderr.trim())
                    }
                ),
            );
            peaks[idx].push(usage.peak_rss_bytes as f64 / (1024.0 * 1024.0));
            speeds[idx].push(rate(size, elapsed));
            cpu_per_record[idx].push(usage.cpu_time.as_secs_f64() * 1e6 / size.max(1) as f64);
        }
    }
    let medians: Vec<f64> = peaks.iter().map(|s| crate::stats::median(s)).collect();
    for (idx, samples) in peaks.into_iter().enumerate() {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("peak RSS, {} records", p.memory_sizes[idx]),
            "MiB",
            samples,
            Target::Below(TARGET_PEAK_MIB),
        ));
    }
    if let (Some(first), Some(last)) = (medians.first(), medians.last())
        && medians.len() > 1
    {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!(
                "peak RSS {} / {} records",
                p.memory_sizes[p.memory_sizes.len() - 1],
                p.memory_sizes[0]
            ),
            "ratio",
            vec![last / first],
            Target::AtMost(TARGET_GROWTH),
        ));
    }
    for (idx, samples) in cpu_per_record.into_iter().enumerate() {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("CLI CPU per record, {} records", p.memory_sizes[idx]),
            "µs",
            samples,
            Target::None,
        ));
    }
    for (idx, samples) in speeds.into_iter().enumerate() {
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("CLI throughput, {} records", p.memory_sizes[idx]),
            "records/s",
            samples,
            Target::None,
        ));
    }
    Ok(())
}

/// The NDJSON file of `size` records, written once and kept in `dir` for later runs.
fn ensure_file(dir: &Path, size: u64) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{PREFIX}-{size}.ndjson"));
    if !path.exists() {
        let tmp = dir.join(format!("{PREFIX}-{size}.ndjson.tmp"));
        records::write_ndjson(&tmp, PREFIX, size)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    }
    Ok(path)
}
