//! `hubspot-bench`: the benchmark scenarios behind `cargo xtask bench`.
//!
//! ```text
//! hubspot-bench [--mode smoke|quick|full] [--json PATH] [--only NAME,...]
//!               [--cli PATH] [--workspace DIR] [--data-dir DIR]
//! hubspot-bench serve-mock [--latency-ms N] [--rate-limit MAX/WINDOW_MS] [--cpu N]
//! hubspot-bench measure-rss OUT_FILE PROGRAM [ARGS...]
//! hubspot-bench upsert-lib BASE_URL RECORDS PREFIX CONCURRENCY [MAX/WINDOW_MS]
//! hubspot-bench codec-floor BASE_URL RECORDS PREFIX
//! ```
//!
//! The first form runs the scenarios and writes a JSON report (to `--json`, else stdout);
//! progress goes to stderr. Exit status: 0, or 3 when an accounting check failed (a record
//! lost, a request unanswered), or 1 on an error. The second form is the mock process the
//! scenarios start: see [`mock_proc`]. The third runs a program and writes its peak RSS: see
//! [`usage::measure_main`]. The fourth is the library contender of the peers scenario, in a
//! process of its own: see [`client_run::lib_main`]. The fifth measures what the generated
//! types alone cost for the same records, the floor under any client of them: see
//! [`codec_floor`].

/// The allocator hubspot-upsert ships with (the `mimalloc` feature, on by default), so that
/// the library contender runs as the CLI does; `--no-default-features` measures the system's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod client_run;
mod codec_floor;
mod cpus;
mod mock_proc;
mod params;
mod peer_install;
mod raw;
mod records;
mod report;
mod scenarios;
mod serve;
mod stats;
mod usage;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};

use params::{Mode, Params};
use report::Report;

const USAGE: &str = "\
usage: hubspot-bench [--mode smoke|quick|full] [--json PATH] [--only NAME,...]
                     [--cli PATH] [--workspace DIR] [--data-dir DIR]
       hubspot-bench serve-mock [--latency-ms N] [--rate-limit MAX/WINDOW_MS] [--cpu N]

scenarios (in order): capacity, overhead, latency, quota, versions, shared-quota, peers,
                      small-jobs, memory, incremental, regen
";

/// Exit status when the run finished but an accounting check failed.
const EXIT_CHECKS_FAILED: u8 = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("serve-mock") {
        serve::main(&args[1..]).map(|()| ExitCode::SUCCESS)
    } else if args.first().map(String::as_str) == Some("upsert-lib") {
        client_run::lib_main(&args[1..]).map(|()| ExitCode::SUCCESS)
    } else if args.first().map(String::as_str) == Some("codec-floor") {
        codec_floor::main(&args[1..]).map(|()| ExitCode::SUCCESS)
    } else if args.first().map(String::as_str) == Some("measure-rss") {
        usage::measure_main(&args[1..]).map(|()| ExitCode::SUCCESS)
    } else if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        Ok(ExitCode::SUCCESS)
    } else {
        parse_options(&args).and_then(run)
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("hubspot-bench: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The command-line options of a benchmark run.
struct Options {
    mode: Mode,
    json: Option<PathBuf>,
    only: Option<Vec<String>>,
    cli: Option<PathBuf>,
    workspace: PathBuf,
    data_dir: Option<PathBuf>,
    command: String,
}

fn parse_options(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        mode: Mode::Quick,
        json: None,
        only: None,
        cli: None,
        workspace: std::env::current_dir().context("reading the current directory")?,
        data_dir: None,
        command: std::iter::once("hubspot-bench".to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--mode" => {
                let v = value()?;
                options.mode = Mode::parse(&v)
                    .ok_or_else(|| anyhow!("unknown mode {v:?}: use smoke, quick or full"))?;
            }
            "--json" => options.json = Some(PathBuf::from(value()?)),
            "--only" => {
                let v = value()?;
                let names: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
                for name in &names {
                    if !scenarios::NAMES.contains(&name.as_str()) {
                        bail!("unknown scenario {name:?}\n\n{USAGE}");
                    }
                }
                options.only = Some(names);
            }
            "--cli" => options.cli = Some(PathBuf::from(value()?)),
            "--workspace" => options.workspace = PathBuf::from(value()?),
            "--data-dir" => options.data_dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown option {other:?}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

fn run(options: Options) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let params = Params::for_mode(options.mode);
    let exe = std::env::current_exe().context("locating this executable")?;
    let data_dir = options
        .data_dir
        .unwrap_or_else(|| options.workspace.join("target").join("bench-data"))
        .join(records::DATA_FORMAT);
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let allowed_cpus = cpus::allowed().context("reading this process's CPU affinity")?;
    let cpu_split = cpus::CpuSplit::plan(&allowed_cpus);
    let mut ctx = scenarios::Ctx {
        params,
        exe,
        cli: options.cli,
        workspace: options.workspace,
        data_dir,
        report: Report {
            mode: options.mode.name().to_owned(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            command: options.command,
            // Debug build, tiny sizes: the figures prove the plumbing, not the speed.
            unjudged: options.mode == Mode::Smoke,
            ..Report::default()
        },
        allowed_cpus,
        cpu_split,
    };
    for name in scenarios::NAMES {
        let wanted = options
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name));
        if !wanted {
            continue;
        }
        let scenario_start = Instant::now();
        eprintln!("== {name} ({})", ctx.params.mode.name());
        if let Err(err) = run_scenario(name, &mut ctx) {
            ctx.report
                .check(name, "scenario ran", false, format!("{err:#}"));
        }
        eprintln!(
            "   {name} took {:.1} s",
            scenario_start.elapsed().as_secs_f64()
        );
    }
    ctx.report.wall_seconds = started.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&ctx.report).context("serializing the report")?;
    match &options.json {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => println!("{json}"),
    }
    eprintln!("benchmarks took {:.1} s", ctx.report.wall_seconds);
    if ctx.report.all_checks_ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_CHECKS_FAILED))
    }
}

/// Runs one scenario on a runtime of its own. For a [`scenarios::PINNED`] scenario on a machine
/// with two CPUs or more, this thread is pinned to the harness's CPUs first, so the runtime's
/// threads (built here, one worker per harness CPU) inherit the mask, and unpinned afterwards.
fn run_scenario(name: &str, ctx: &mut scenarios::Ctx) -> anyhow::Result<()> {
    let split = ctx
        .cpu_split
        .clone()
        .filter(|_| scenarios::PINNED.contains(&name));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(split) = &split {
        cpus::pin_current_thread(&split.harness).context("pinning the harness")?;
        builder.worker_threads(split.harness.len());
    }
    let result = builder
        .build()
        .context("starting the tokio runtime")
        .and_then(|runtime| runtime.block_on(scenarios::run(name, ctx)));
    if split.is_some() {
        cpus::pin_current_thread(&ctx.allowed_cpus).context("unpinning the harness")?;
    }
    result
}
