//! Scenario "incremental": `hubspot-upsert --state` on a recurring load. The records are loaded
//! once with an empty state into a mock on the Professional window (190 requests per 10 s);
//! then 1% of them change, 0.1% are new and 0.1% gone, and the run is repeated with the same
//! state. Figures: each run's wall time, requests and peak RSS, the second run beside the time a
//! full resend needs at the ceiling, the quota saved, the state file's size per record, and the
//! CPU an unchanged record costs.
//!
//! The mock runs in a process of its own (its stored records do not count in the CLI's RSS),
//! and keeps its records between the two runs, as HubSpot does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use std::fmt::Write as _;
use std::io::Write as _;

use super::Ctx;
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup, MockStats};
use crate::records;
use crate::stats::{Figure, Target};
use crate::usage::{ChildUsage, read_measurement};

const SCENARIO: &str = "incremental";
const PREFIX: &str = "inc";
/// HubSpot's Professional window.
const PROFESSIONAL: (u32, Duration) = (190, Duration::from_secs(10));
/// The bounds.
const TARGET_SECOND_RUN_S: f64 = 15.0;
const TARGET_SPEEDUP: f64 = 35.0;
const TARGET_QUOTA_SAVED: f64 = 0.99;
const TARGET_PEAK_MIB: f64 = 128.0;
const TARGET_BYTES_PER_RECORD: f64 = 100.0;
const TARGET_CEILING_SHARE: f64 = 0.95;

/// Which records the second input changes, drops and adds: every 100th changes (1%), every
/// 1000th (offset by one) is gone (0.1%), and `n / 1000` new ones follow (0.1%).
fn changed(i: u64) -> bool {
    i.is_multiple_of(100)
}

fn gone(i: u64) -> bool {
    i % 1000 == 1
}

/// Runs the scenario.
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let n = ctx.params.incremental_records;
    let cli = ctx
        .cli
        .clone()
        .ok_or_else(|| anyhow!("no --cli given: the hubspot-upsert binary is needed"))?;
    let new = n / 1000;
    let changed_count = (0..n).filter(|&i| changed(i) && !gone(i)).count() as u64;
    let gone_count = (0..n).filter(|&i| gone(i)).count() as u64;
    let to_send = changed_count + new;
    ctx.report.setup(
        SCENARIO,
        format!(
            "`hubspot-upsert --state FILE --plan professional --quiet -t contacts -i {}` on an \
             NDJSON file of {n} records (6 properties each) into a mock in a separate process on \
             the Professional window ({} requests per {} s), empty state; then on the same file \
             with {changed_count} records changed (1%), {gone_count} gone and {new} new (0.1% each), \
             same state and mock; peak RSS and CPU of each CLI run from wait4 in a helper process",
            records::ID_PROPERTY,
            PROFESSIONAL.0,
            PROFESSIONAL.1.as_secs()
        ),
    );
    let first_file = ensure_file(&ctx.data_dir, n, false)?;
    let second_file = ensure_file(&ctx.data_dir, n, true)?;
    let state = ctx.data_dir.join(format!("{PREFIX}-{n}.state"));
    for leftover in [
        state.clone(),
        PathBuf::from(format!("{}-wal", state.display())),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    let mut mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            latency: Duration::ZERO,
            rate_limit: Some(PROFESSIONAL),
            cpu: None,
        },
    )?;

    let first = cli_run(ctx, &cli, &mut mock, &first_file, &state, "first")?;
    ctx.report.check(
        SCENARIO,
        "first run: every record created",
        first.usage.exit_code == Some(0) && first.mock.created == n,
        format!(
            "exit {:?}, mock created {} of {n}{}",
            first.usage.exit_code, first.mock.created, first.stderr
        ),
    );
    let state_bytes = file_size(&state);
    let second = cli_run(ctx, &cli, &mut mock, &second_file, &state, "second")?;
    ctx.report.check(
        SCENARIO,
        "second run: exactly the changed and new records sent",
        second.usage.exit_code == Some(0)
            && second.mock.created == new
            && second.mock.updated == changed_count
            && second.mock.requests == to_send.div_ceil(records::BATCH_SIZE as u64),
        format!(
            "exit {:?}, mock created {} (expected {new}) and updated {} (expected {changed_count}) in {} requests{}",
            second.usage.exit_code,
            second.mock.created,
            second.mock.updated,
            second.mock.requests,
            second.stderr
        ),
    );
    ctx.report.check(
        SCENARIO,
        "second run: gone records counted",
        second
            .stdout
            .contains(&format!("; {gone_count} in the state, not in this input")),
        second.stdout.lines().last().unwrap_or_default().to_owned(),
    );

    let (max, window) = PROFESSIONAL;
    let per_second = f64::from(max) / window.as_secs_f64();
    // A full resend of the second input at the ceiling: its first window's worth at once, then
    // one window per window's worth.
    let full_requests = (n - gone_count + new).div_ceil(records::BATCH_SIZE as u64);
    let full_resend_s = full_requests.saturating_sub(1) as f64 / per_second;
    let first_s = first.wall.as_secs_f64();
    let second_s = second.wall.as_secs_f64();
    let figures = [
        (
            "first run (empty state): wall time",
            "s",
            first_s,
            Target::None,
        ),
        (
            "first run: requests",
            "requests",
            first.mock.requests as f64,
            Target::None,
        ),
        (
            "first run: share of the quota ceiling kept (ceiling time / wall time)",
            "ratio",
            (first.mock.requests.saturating_sub(1) as f64 / per_second) / first_s,
            Target::AtLeast(TARGET_CEILING_SHARE),
        ),
        (
            "second run (1% changed, 0.1% new, 0.1% gone): wall time",
            "s",
            second_s,
            Target::AtMost(TARGET_SECOND_RUN_S),
        ),
        (
            "second run: requests",
            "requests",
            second.mock.requests as f64,
            Target::AtMost(to_send.div_ceil(records::BATCH_SIZE as u64) as f64),
        ),
        (
            "full resend of the second input at the ceiling",
            "s",
            full_resend_s,
            Target::None,
        ),
        (
            "full resend at the ceiling / second run",
            "ratio",
            full_resend_s / second_s,
            Target::AtLeast(TARGET_SPEEDUP),
        ),
        (
            "daily quota saved (1 - second run's requests / a full resend's)",
            "ratio",
            1.0 - second.mock.requests as f64 / full_requests as f64,
            Target::AtLeast(TARGET_QUOTA_SAVED),
        ),
        (
            "first run: peak RSS",
            "MiB",
            mib(first.usage.peak_rss_bytes),
            Target::AtMost(TARGET_PEAK_MIB),
        ),
        (
            "second run: peak RSS",
            "MiB",
            mib(second.usage.peak_rss_bytes),
            Target::AtMost(TARGET_PEAK_MIB),
        ),
        (
            "state file size per record (after the first run)",
            "bytes",
            state_bytes as f64 / n.max(1) as f64,
            Target::AtMost(TARGET_BYTES_PER_RECORD),
        ),
        (
            "first run: CLI CPU per record (sent and recorded in the state)",
            "µs",
            micros(first.usage.cpu_time) / n.max(1) as f64,
            Target::None,
        ),
        (
            "second run: CLI CPU per unchanged record (the run's CPU less its sent records at the first run's cost, over the unchanged)",
            "µs",
            {
                let per_sent = micros(first.usage.cpu_time) / n.max(1) as f64;
                let unchanged = (n - gone_count - changed_count).max(1) as f64;
                (micros(second.usage.cpu_time) - per_sent * to_send as f64).max(0.0) / unchanged
            },
            Target::None,
        ),
    ];
    for (name, unit, value, target) in figures {
        ctx.report
            .figure(Figure::new(SCENARIO, name, unit, vec![value], target));
    }
    Ok(())
}

/// One CLI run's measurements.
struct CliRun {
    usage: ChildUsage,
    wall: Duration,
    mock: MockStats,
    stdout: String,
    stderr: String,
}

fn cli_run(
    ctx: &Ctx,
    cli: &Path,
    mock: &mut MockProcess,
    file: &Path,
    state: &Path,
    name: &str,
) -> anyhow::Result<CliRun> {
    let before = mock.stats()?;
    let measurement = ctx.data_dir.join(format!("incremental-{name}-usage.txt"));
    let stdout_path = ctx.data_dir.join(format!("incremental-{name}-stdout.txt"));
    let stderr_path = ctx.data_dir.join(format!("incremental-{name}-stderr.txt"));
    let _ = std::fs::remove_file(&measurement);
    let stdout_file = std::fs::File::create(&stdout_path)
        .with_context(|| format!("creating {}", stdout_path.display()))?;
    let stderr_file = std::fs::File::create(&stderr_path)
        .with_context(|| format!("creating {}", stderr_path.display()))?;
    let start = Instant::now();
    let status = Command::new(&ctx.exe)
        .arg("measure-rss")
        .arg(&measurement)
        .arg(cli)
        .args(["--base-url", mock.base_url()])
        .args(["--plan", "professional", "--quiet"])
        .args(["-t", records::OBJECT_TYPE, "-i", records::ID_PROPERTY])
        .arg("--state")
        .arg(state)
        .arg(file)
        .env("HUBSPOT_ACCESS_TOKEN", client_run::TOKEN)
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file)
        .status()
        .with_context(|| format!("running {} under measure-rss", cli.display()))?;
    let wall = start.elapsed();
    let usage = std::fs::read_to_string(&measurement)
        .ok()
        .as_deref()
        .and_then(read_measurement)
        .ok_or_else(|| anyhow!("measure-rss wrote no measurement ({status})"))?;
    let stats = mock.stats()?.since(&before);
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr: String = std::fs::read_to_string(&stderr_path)
        .unwrap_or_default()
        .chars()
        .take(2_000)
        .collect();
    eprintln!(
        "  {name} run: {:.1} s, {} requests, exit {:?}",
        wall.as_secs_f64(),
        stats.requests,
        usage.exit_code
    );
    Ok(CliRun {
        usage,
        wall,
        mock: stats,
        stdout,
        stderr: if stderr.trim().is_empty() {
            String::new()
        } else {
            format!("; stderr: {}", stderr.trim())
        },
    })
}

/// The first (`second == false`) or second input of `n` records, written once and kept.
fn ensure_file(dir: &Path, n: u64, second: bool) -> anyhow::Result<PathBuf> {
    let name = format!("{PREFIX}-{n}-{}.ndjson", if second { "b" } else { "a" });
    let path = dir.join(&name);
    if path.exists() {
        return Ok(path);
    }
    let tmp = dir.join(format!("{name}.tmp"));
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut line = String::with_capacity(256);
    let total = if second { n + n / 1000 } else { n };
    for i in 0..total {
        if second && i < n && gone(i) {
            continue;
        }
        line.clear();
        let _ = write!(
            line,
            "{{\"{}\":\"{}\"",
            records::ID_PROPERTY,
            records::record_id(PREFIX, i)
        );
        for (name, value) in records::record_properties(PREFIX, i) {
            if second && name == "city" && i < n && changed(i) {
                let _ = write!(line, ",\"{name}\":\"Grenoble\"");
            } else {
                let _ = write!(line, ",\"{name}\":\"{value}\"");
            }
        }
        line.push_str("}\n");
        out.write_all(line.as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", tmp.display()))?;
    drop(out);
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(path)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
