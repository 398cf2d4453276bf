//! `cargo xtask`: one binary, one subcommand per project task.

use std::process::ExitCode;

use xtask::generate::{self, Outcome};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  generate            regenerate crates/hubspot-crm-api/src/v<version>.rs from each spec in openapi/
  generate --check    write nothing; fail with a diff when the committed output is stale
  diff [--base REV] [--format markdown|text] [--deny-breaking]
                      report what changed in the API between the spec at git revision REV
                      (default HEAD) and the working tree, marking what breaks callers
  diff --old FILE --new FILE [--format markdown|text] [--deny-breaking]
                      the same for two spec files (--old alone compares with the working
                      tree's spec; --new alone compares the spec at HEAD with FILE); reads
                      HubSpot's own documents too: operations are paired across a version
                      bump by method and path with the version segment (/2026-03/, /v3/)
                      set aside, so a bump reports no operation removed
  upstream FILE [--format text|markdown] [--spec SPEC]
                      is our spec still HubSpot's? FILE is HubSpot's current objects.json of
                      a version (HubSpot/HubSpot-public-api-spec-collection); compares it with
                      openapi/crm-objects-batch-upsert-<its version>.json (or SPEC): the
                      batch upsert operation, every schema it reaches, its scopes; lists known
                      deviations (xtask/src/upstream/deviations.rs) apart from drift.
                      Exit status: 0 match, 1 drift, 2 cannot compare
  public-api          list the public API of hubspot-crm and hubspot-crm-mock into
                      public-api/<crate>.txt (rustdoc JSON read by cargo-public-api's library)
  public-api --check  write nothing; fail with a diff when a committed listing is stale
  modules             print each crate's graph of top-level modules and its cycles
                      (hubspot-crm, hubspot-crm-mock, hubspot-upsert)
  modules --check     fail when a crate's top-level modules form a cycle, listing each one
  bench [--quick]     build in release, run the benchmark scenarios (full: under 15 min;
                      --quick: under 2 min), print the table, rewrite BENCHMARKS.md's results
  bench --smoke       a few seconds in a debug build: the harness works and every record
                      is accounted for; writes nothing
";

fn main() -> ExitCode {
    // `cargo xtask public-api` runs cargo with this binary as its rustdoc.
    if let Some(rustdoc) = std::env::var_os(xtask::public_api::RUSTDOC_WRAPPER_ENV) {
        return xtask::public_api::run_as_rustdoc(&rustdoc);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate"] => run_generate(false),
        ["generate", "--check"] => run_generate(true),
        ["diff", options @ ..] => run_diff(options),
        ["upstream", options @ ..] => return run_upstream(options),
        ["public-api"] => run_public_api(false),
        ["public-api", "--check"] => run_public_api(true),
        ["modules"] => run_modules(false),
        ["modules", "--check"] => run_modules(true),
        ["bench"] => run_bench(xtask::bench::Mode::Full),
        ["bench", "--quick"] => run_bench(xtask::bench::Mode::Quick),
        ["bench", "--smoke"] => run_bench(xtask::bench::Mode::Smoke),
        ["help" | "--help" | "-h"] | [] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("unknown task or option: {}\n\n{USAGE}", args.join(" "));
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_bench(mode: xtask::bench::Mode) -> anyhow::Result<ExitCode> {
    let outcome = xtask::bench::run(&xtask::workspace_root(), mode)?;
    if !outcome.missed.is_empty() {
        eprintln!("targets missed: {}", outcome.missed.join("; "));
    }
    if !outcome.checks_ok {
        eprintln!("error: an accounting check failed (see above)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_diff(args: &[&str]) -> anyhow::Result<ExitCode> {
    let options = xtask::diff::Options::parse(args)?;
    let (report, text) = xtask::diff::run(&xtask::workspace_root(), &options)?;
    print!("{text}");
    if options.deny_breaking && report.has_breaking() {
        eprintln!(
            "error: {} breaking change(s) and --deny-breaking was given",
            report.count(xtask::diff::Mark::Breaking)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `upstream` exits 0 on a match, 1 on drift and 2 when it cannot compare, so that a script
/// tells drift from a missing file.
fn run_upstream(args: &[&str]) -> ExitCode {
    let result = xtask::upstream::Options::parse(args)
        .and_then(|options| xtask::upstream::run(&xtask::workspace_root(), &options));
    match result {
        Ok((report, text)) => {
            print!("{text}");
            if report.has_drift() {
                eprintln!(
                    "error: our spec differs from HubSpot's document in {} place(s); see the drift above",
                    report.drift.len()
                );
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run_generate(check: bool) -> anyhow::Result<ExitCode> {
    let outcome = generate::run(&xtask::workspace_root(), check)?;
    Ok(report_committed_output(
        outcome,
        generate::VERSIONS.iter().map(|v| v.generated),
        "generated files are stale; run `cargo xtask generate` and commit the result",
    ))
}

fn run_public_api(check: bool) -> anyhow::Result<ExitCode> {
    let outcome = xtask::public_api::run(&xtask::workspace_root(), check)?;
    Ok(report_committed_output(
        outcome,
        xtask::public_api::LISTED.iter().map(|l| l.listing),
        "the public API differs from the committed listing (+ added, - removed); \
         if the change is meant, run `cargo xtask public-api` and commit the listing",
    ))
}

/// Prints what a rewrite or a `--check` of committed, derived files found: the `files` up to
/// date, the files written, or the diffs of stale ones with `stale` as the error.
fn report_committed_output(
    outcome: Outcome,
    files: impl IntoIterator<Item = &'static str>,
    stale: &str,
) -> ExitCode {
    match outcome {
        Outcome::UpToDate => {
            for file in files {
                println!("{file} is up to date");
            }
            ExitCode::SUCCESS
        }
        Outcome::Written(paths) => {
            for path in paths {
                println!("wrote {path}");
            }
            ExitCode::SUCCESS
        }
        Outcome::Stale(diffs) => {
            for diff in diffs {
                print!("{diff}");
            }
            eprintln!("error: {stale}");
            ExitCode::FAILURE
        }
    }
}

fn run_modules(check: bool) -> anyhow::Result<ExitCode> {
    let root = xtask::workspace_root();
    let graphs = xtask::modules::read_all(&root)?;
    let mut with_cycles = Vec::new();
    for (target, graph) in &graphs {
        let (cycles, _) = graph.cycles(1);
        if !cycles.is_empty() {
            with_cycles.push(target.package);
        }
        if check {
            if !cycles.is_empty() {
                print!(
                    "{} ({})\n{}",
                    target.package,
                    target.root,
                    xtask::modules::render_cycles(&root, graph)
                );
            }
        } else {
            println!("{}", xtask::modules::render_graph(&root, target, graph));
        }
    }
    if with_cycles.is_empty() {
        if check {
            println!(
                "no module import cycle in {}",
                graphs
                    .iter()
                    .map(|(t, _)| t.package)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if check {
        eprintln!(
            "error: module import cycles in {}; move the pieces so that dependencies point one way",
            with_cycles.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
