//! `cargo xtask bench [--quick|--smoke]`: builds and runs `hubspot-bench`, prints its figures
//! as a table and, for `--quick` and full runs, rewrites that mode's results section of
//! BENCHMARKS.md (between its marker comments) with the date, the machine, the commands and
//! every raw sample.
//!
//! Plumbing only: the scenarios live in `crates/hubspot-bench`, which this module knows only
//! through its command line and its JSON report, so xtask stays free of the client and mock.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

/// The benchmark file, relative to the workspace root.
pub const BENCHMARKS_FILE: &str = "BENCHMARKS.md";

/// Exit status of `hubspot-bench` when the run finished but an accounting check failed.
const EXIT_CHECKS_FAILED: i32 = 3;

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seconds, debug build, asserts that every record is accounted for; writes no results.
    Smoke,
    /// Under two minutes after the build.
    Quick,
    /// Under fifteen minutes after the build.
    Full,
}

impl Mode {
    /// The name `hubspot-bench --mode` takes.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Smoke => "smoke",
            Mode::Quick => "quick",
            Mode::Full => "full",
        }
    }

    /// The `cargo xtask bench` command line of this mode.
    pub fn xtask_command(self) -> &'static str {
        match self {
            Mode::Smoke => "cargo xtask bench --smoke",
            Mode::Quick => "cargo xtask bench --quick",
            Mode::Full => "cargo xtask bench",
        }
    }

    fn release(self) -> bool {
        self != Mode::Smoke
    }
}

/// What a run ended with.
#[derive(Debug)]
pub struct Outcome {
    /// Whether every accounting check held.
    pub checks_ok: bool,
    /// The figures whose target was missed, as `scenario / figure`.
    pub missed: Vec<String>,
}

/// Builds, runs, prints, and (except for smoke runs) rewrites BENCHMARKS.md.
pub fn run(root: &Path, mode: Mode) -> anyhow::Result<Outcome> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let profile_dir = target_dir.join(if mode.release() { "release" } else { "debug" });
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut build: Vec<&str> = vec!["build", "-p", "hubspot-bench", "-p", "hubspot-upsert"];
    if mode.release() {
        build.insert(1, "--release");
    }
    eprintln!("$ cargo {}", build.join(" "));
    let status = Command::new(&cargo)
        .args(&build)
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo {} failed ({status})", build.join(" "));
    }

    let json_path = target_dir.join(format!("bench-{}.json", mode.name()));
    let cli = profile_dir.join("hubspot-upsert");
    let bench_args: Vec<String> = vec![
        "--mode".into(),
        mode.name().into(),
        "--json".into(),
        json_path.display().to_string(),
        "--cli".into(),
        cli.display().to_string(),
        "--workspace".into(),
        root.display().to_string(),
    ];
    let mut run_args: Vec<String> = vec!["run".into(), "--quiet".into()];
    if mode.release() {
        run_args.push("--release".into());
    }
    run_args.extend(["-p".into(), "hubspot-bench".into(), "--".into()]);
    run_args.extend(bench_args.iter().cloned());
    let bench_command = format!("cargo {}", run_args.join(" "));
    eprintln!("$ {bench_command}");
    let _ = std::fs::remove_file(&json_path);
    let status = Command::new(&cargo)
        .args(&run_args)
        .current_dir(root)
        .status()
        .context("running hubspot-bench")?;
    let checks_failed = status.code() == Some(EXIT_CHECKS_FAILED);
    if !status.success() && !checks_failed {
        bail!("hubspot-bench failed ({status})");
    }
    let text = std::fs::read_to_string(&json_path)
        .with_context(|| format!("reading {}", json_path.display()))?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", json_path.display()))?;

    print!("{}", render_table(&report));
    let missed = missed_targets(&report);
    let failed_checks = failed_checks(&report);
    for line in &failed_checks {
        eprintln!("check failed: {line}");
    }

    if mode != Mode::Smoke {
        let path = root.join(BENCHMARKS_FILE);
        let old = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let section = render_section(mode, &report, &bench_command, &machine_summary());
        let new = replace_section(&old, mode, &section)?;
        std::fs::write(&path, new).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the {} results into {BENCHMARKS_FILE}", mode.name());
    }
    Ok(Outcome {
        checks_ok: !checks_failed && failed_checks.is_empty(),
        missed,
    })
}

/// The marker comments around `mode`'s results in BENCHMARKS.md.
pub fn markers(mode: Mode) -> (String, String) {
    (
        format!("<!-- bench-results:{}:begin -->", mode.name()),
        format!("<!-- bench-results:{}:end -->", mode.name()),
    )
}

/// `old` with the text between `mode`'s markers replaced by `section`.
pub fn replace_section(old: &str, mode: Mode, section: &str) -> anyhow::Result<String> {
    let (begin, end) = markers(mode);
    let start = old
        .find(&begin)
        .ok_or_else(|| anyhow!("{BENCHMARKS_FILE} has no {begin} marker"))?;
    let after_begin = start + begin.len();
    let stop = old[after_begin..]
        .find(&end)
        .map(|i| after_begin + i)
        .ok_or_else(|| anyhow!("{BENCHMARKS_FILE} has no {end} marker after {begin}"))?;
    Ok(format!(
        "{}\n{}\n{}",
        &old[..after_begin],
        section.trim_end(),
        &old[stop..]
    ))
}

fn figures(report: &Value) -> &[Value] {
    report["figures"].as_array().map_or(&[], Vec::as_slice)
}

fn missed_targets(report: &Value) -> Vec<String> {
    figures(report)
        .iter()
        .filter(|f| f["met"] == Value::Bool(false))
        .map(|f| format!("{} / {}", text(&f["scenario"]), text(&f["name"])))
        .collect()
}

fn failed_checks(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|c| c["ok"] != Value::Bool(true))
        .map(|c| {
            format!(
                "{} / {}: {}",
                text(&c["scenario"]),
                text(&c["name"]),
                text(&c["detail"])
            )
        })
        .collect()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A number for a table: thousands separated above 1,000, three decimals below.
pub fn number(v: &Value) -> String {
    let Some(x) = v.as_f64() else {
        return "n/a".to_owned();
    };
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    if x.abs() >= 1000.0 {
        let digits = format!("{:.0}", x.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 { format!("-{out}") } else { out }
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

fn verdict(f: &Value) -> &'static str {
    match f["met"].as_bool() {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "-",
    }
}

/// The terminal table: one row per figure.
pub fn render_table(report: &Value) -> String {
    let rows: Vec<[String; 6]> = figures(report)
        .iter()
        .map(|f| {
            [
                text(&f["scenario"]).to_owned(),
                format!("{} ({})", text(&f["name"]), text(&f["unit"])),
                number(&f["median"]),
                format!("{} .. {}", number(&f["min"]), number(&f["max"])),
                text(&f["target"]).to_owned(),
                verdict(f).to_owned(),
            ]
        })
        .collect();
    let header = ["scenario", "figure", "median", "min .. max", "target", ""];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut s = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            let pad = w.saturating_sub(cell.chars().count());
            let _ = write!(s, "{cell}{}  ", " ".repeat(pad));
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_owned));
    for row in &rows {
        line(row);
    }
    let _ = writeln!(
        out,
        "{} mode, {:.0} s of scenarios",
        text(&report["mode"]),
        report["wall_seconds"].as_f64().unwrap_or(0.0)
    );
    out
}

/// The machine: CPU count and model, memory, kernel.
pub fn machine_summary() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_owned();
    let nproc = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or("unknown memory".to_owned(), |kib| {
            format!("{:.1} GiB RAM", kib / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown kernel".to_owned(), |k| {
            format!("Linux {}", k.trim())
        });
    format!("nproc {nproc}, {model}, {mem_gib}, {kernel}")
}

/// The Markdown of one mode's results section.
pub fn render_section(mode: Mode, report: &Value, bench_command: &str, machine: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Run **{}** at {} (UTC); {:.0} s of scenarios, build excluded.\n",
        text(&report["mode"]),
        text(&report["started_at"]),
        report["wall_seconds"].as_f64().unwrap_or(0.0)
    );
    let _ = writeln!(
        s,
        "- Machine: {machine}; shared with other builds while it ran."
    );
    let _ = writeln!(s, "- Command: `{}`, which runs", mode.xtask_command());
    let _ = writeln!(s, "  `{bench_command}`.\n");
    s.push_str("| scenario | figure | median | min .. max | spread | target | |\n");
    s.push_str("|---|---|---:|---:|---:|---|---|\n");
    for f in figures(report) {
        let _ = writeln!(
            s,
            "| {} | {} ({}) | {} | {} .. {} | {:.1}% | {} | {} |",
            text(&f["scenario"]),
            text(&f["name"]),
            text(&f["unit"]),
            number(&f["median"]),
            number(&f["min"]),
            number(&f["max"]),
            f["spread_pct"].as_f64().unwrap_or(0.0),
            text(&f["target"]),
            verdict(f)
        );
    }
    s.push_str("\nSet-up of each scenario:\n\n");
    for setup in report["setups"].as_array().map_or(&[][..], Vec::as_slice) {
        let _ = writeln!(
            s,
            "- {}: {}",
            text(&setup["scenario"]),
            text(&setup["detail"])
        );
    }
    let checks = report["checks"].as_array().map_or(&[][..], Vec::as_slice);
    let failed = failed_checks(report);
    if failed.is_empty() {
        let _ = writeln!(
            s,
            "\nAccounting: all {} checks held (every record written, none lost).",
            checks.len()
        );
    } else {
        let _ = writeln!(
            s,
            "\nAccounting: {} of {} checks FAILED:\n",
            failed.len(),
            checks.len()
        );
        for line in failed {
            let _ = writeln!(s, "- {line}");
        }
    }
    let notes = report["notes"].as_array().map_or(&[][..], Vec::as_slice);
    if !notes.is_empty() {
        s.push_str("\nNotes from the run:\n\n");
        for note in notes {
            let _ = writeln!(s, "- {}", text(note));
        }
    }
    s.push_str("\n<details><summary>Raw samples, in the order measured</summary>\n\n");
    s.push_str("| scenario | figure | unit | samples |\n|---|---|---|---|\n");
    for f in figures(report) {
        let samples: Vec<String> = f["samples"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|v| v.as_f64().map_or("n/a".to_owned(), |x| format!("{x:.4}")))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            text(&f["scenario"]),
            text(&f["name"]),
            text(&f["unit"]),
            samples.join(", ")
        );
    }
    s.push_str("\n</details>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(&serde_json::json!(1234567.8)), "1,234,568");
        assert_eq!(number(&serde_json::json!(0.97123)), "0.971");
        assert_eq!(number(&serde_json::json!(123.45)), "123.5");
        assert_eq!(number(&Value::Null), "n/a");
    }

    #[test]
    fn only_the_modes_section_is_replaced() {
        let doc = "intro\n<!-- bench-results:quick:begin -->\nold\n<!-- bench-results:quick:end -->\n\
                   <!-- bench-results:full:begin -->\nkeep\n<!-- bench-results:full:end -->\n";
        let new = replace_section(doc, Mode::Quick, "new\n").expect("markers present");
        assert!(new.contains("begin -->\nnew\n<!-- bench-results:quick:end"));
        assert!(new.contains("\nkeep\n"));
        assert!(!new.contains("old"));
        assert!(replace_section("no markers", Mode::Full, "x").is_err());
    }

    #[test]
    fn table_and_section_show_every_figure() {
        let report = serde_json::json!({
            "mode": "quick", "started_at": "2026-01-01T00:00:00Z", "wall_seconds": 12.0,
            "setups": [{"scenario": "s", "detail": "d"}],
            "figures": [{"scenario": "s", "name": "f", "unit": "ratio", "median": 0.95,
                         "min": 0.9, "max": 1.0, "spread_pct": 10.0, "samples": [0.9, 0.95, 1.0],
                         "target": ">= 0.97", "met": false}],
            "checks": [{"scenario": "s", "name": "c", "ok": true, "detail": ""}],
            "notes": []
        });
        assert!(render_table(&report).contains("MISSED"));
        assert_eq!(missed_targets(&report), vec!["s / f".to_owned()]);
        let section = render_section(Mode::Quick, &report, "cargo run ...", "nproc 2");
        assert!(section.contains("| s | f (ratio) | 0.950 |"));
        assert!(section.contains("0.9000, 0.9500, 1.0000"));
        assert!(section.contains("all 1 checks held"));
    }
}
