//! `hubspot-upsert`: loads CSV, NDJSON or Parquet into HubSpot CRM through the `hubspot-crm` client,
//! with progress, a per-record report, dry run, resume and Ctrl-C handling.
//!
//! Map: `cli` holds the arguments; `input` the streaming readers; `checks` the per-record
//! checks; `dry_run` and `plan` the dry run and its figures; `upsert` the live run, with
//! `connection` (HubSpot or the embedded mock), `feed` (the reading thread), `recorder`,
//! `progress`, `report` and `journal` (over `ranges`) beside it; `state` the `--state` file
//! (opened for the client, read by the dry run and `gone`); `schema` the JSON Schemas;
//! `completions` and `man_page` the shell completions and the man page; `exit` and `error`
//! how the program ends.

#![warn(missing_docs)]

/// mimalloc instead of the system's malloc (the `mimalloc` feature, on by default): a run
/// allocates and frees a few dozen small strings per record, on which glibc's malloc spends a
/// large share of a bulk run's CPU (the figure: BENCHMARKS.md, peers scenario).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod checks;
mod cli;
mod completions;
mod connection;
mod dry_run;
mod error;
mod exit;
mod feed;
mod input;
mod journal;
mod man_page;
mod plan;
mod progress;
mod ranges;
mod recorder;
mod report;
mod schema;
mod state;
mod upsert;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::checks::RecordChecks;
use crate::cli::{Cli, Command, RunArgs, Target};
use crate::error::FatalError;
use crate::exit::Exit;
use crate::input::{InputSource, ReadOptions};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with status 0; usage errors are fatal (1).
            let _ = err.print();
            return if err.use_stderr() {
                Exit::Fatal.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    init_logging(cli.run.quiet);
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err}");
            Exit::Fatal.into()
        }
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the default level.
fn init_logging(quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        "warn,hubspot_upsert=info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> Result<Exit, FatalError> {
    if let Some(command) = cli.command {
        return print_for(command);
    }
    let args = cli.run;
    let target = args.target().ok_or_else(|| {
        FatalError::Usage("INPUT, --object-type and --id-property are required".into())
    })?;
    if args.dry_run {
        return dry_run(&args, &target);
    }
    upsert::run(&args, &target)
}

/// The subcommands, each of which prints one document to standard output.
fn print_for(command: Command) -> Result<Exit, FatalError> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Schema { which } => writeln!(out, "{}", schema::schema_json(which)),
        Command::Completions { shell } => out.write_all(&completions::completion_script(shell)),
        Command::Man => man_page::man_page().and_then(|page| out.write_all(&page)),
        Command::Gone { state } => {
            drop(out);
            state::print_gone(&state)?;
            return Ok(Exit::Success);
        }
    }
    .and_then(|()| out.flush())
    .map_err(FatalError::Stdout)?;
    Ok(Exit::Success)
}

/// The `--property-schema` file, read; a file that cannot be used stops the run.
pub(crate) fn load_property_schema(
    args: &RunArgs,
) -> Result<Option<hubspot_crm::property_schema::PropertySchema>, FatalError> {
    args.property_schema
        .as_ref()
        .map(|path| {
            hubspot_crm::property_schema::PropertySchema::from_file(path)
                .map_err(|e| FatalError::Usage(format!("--property-schema: {e}")))
        })
        .transpose()
}

pub(crate) fn read_options(args: &RunArgs, target: &Target) -> ReadOptions {
    ReadOptions {
        format: args.format,
        id_column: args.id_column(target),
        send_empty_cells: args.send_empty_cells,
        delimiter: args.delimiter,
        max_bad_rows: args.max_bad_rows,
    }
}

fn dry_run(args: &RunArgs, target: &Target) -> Result<Exit, FatalError> {
    if args.resume.is_some() || args.report.is_some() {
        tracing::warn!("--dry-run sends nothing, so --report and --resume are ignored");
    }
    let source = InputSource::from_arg(&target.input);
    let options = read_options(args, target);
    let records = input::open(&source, &options)?;
    let checks = RecordChecks::new(&options.id_column, args.properties.as_deref());
    let schema = load_property_schema(args)?;
    let mut preview = match &args.state {
        Some(path) => {
            let object_type: hubspot_crm::ObjectType = target.object_type.parse().map_err(|e| {
                FatalError::Usage(format!("--object-type `{}`: {e}", target.object_type))
            })?;
            let scope = state::scope(args, target, &object_type);
            Some(state::StatePreview::open(path, &scope, schema.clone())?)
        }
        None => None,
    };
    let report = dry_run::dry_run(
        &source.to_string(),
        records,
        &checks,
        schema.as_ref(),
        &target.id_property,
        args.plan,
        preview.as_mut(),
    )?;
    if let Some(err) = preview.and_then(|p| p.error) {
        return Err(err.into());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{report}").map_err(FatalError::Stdout)?;
    Ok(if report.all_sendable() {
        Exit::Success
    } else {
        Exit::SomeFailed
    })
}
