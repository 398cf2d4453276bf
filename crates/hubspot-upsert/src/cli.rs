//! The command line: arguments, their help text, and the checks clap cannot make.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::{DEFAULT_MAX_BAD_ROWS, InputFormat, parse_delimiter};

/// The environment variable the access token is read from unless `--token-env` names another.
pub const DEFAULT_TOKEN_ENV: &str = "HUBSPOT_ACCESS_TOKEN";

/// HubSpot's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

/// Upsert CSV, NDJSON or Parquet records into HubSpot CRM, 100 per request, paced to your
/// plan's quota.
///
/// Each record is created, or updated when a record with the same id property value exists.
/// The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable (or the one
/// named by --token-env), never from the command line, and is never printed.
///
/// Input may be gzip- or zstd-compressed (recognised by its first bytes). A malformed row is
/// reported failed (MALFORMED_ROW) and the run goes on, up to --max-bad-rows.
///
/// Exit status: 0 when every record succeeded, 2 when some failed, 1 on a fatal error
/// (bad arguments, unreadable input, too many malformed rows, token refused), 130 when
/// interrupted by Ctrl-C.
#[derive(Debug, Parser)]
#[command(
    name = "hubspot-upsert",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
        hubspot-upsert --object-type contacts --id-property email contacts.csv\n  \
        hubspot-upsert --mock --object-type contacts --id-property email examples/contacts.csv\n  \
        hubspot-upsert -t contacts -i email --delimiter ';' export.csv.gz\n  \
        hubspot-upsert -t companies -i domain --max-bad-rows 0 companies.parquet\n  \
        cat people.ndjson | hubspot-upsert --object-type 2-1234567 --id-property external_id -\n  \
        hubspot-upsert --dry-run --plan professional --object-type contacts --id-property email contacts.csv\n  \
        hubspot-upsert --dry-run --property-schema contacts-properties.json -t contacts -i email contacts.csv\n  \
        hubspot-upsert --state contacts.state --object-type contacts --id-property email nightly.csv\n  \
        hubspot-upsert schema input"
)]
pub struct Cli {
    /// What to run when not upserting.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The upsert run's options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands besides the default upsert run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a JSON Schema, to validate files upstream.
    Schema {
        /// Which schema: `input` for one NDJSON input line, `report` for one report line.
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Print a completion script for a shell (to source, or to put where the shell looks).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (`hubspot-upsert man > hubspot-upsert.1`).
    Man,
    /// List the keys a --state file holds that the last complete run's input did not hold
    /// (records deleted in the source, perhaps; archiving them in HubSpot is yours to decide),
    /// one per line.
    Gone {
        /// The state file.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
    },
}

/// The schemas `hubspot-upsert schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// One line of NDJSON input.
    Input,
    /// One line of the --report file.
    Report,
}

/// The API versions the loader speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiVersionArg {
    /// 2026-09, HubSpot's current version: `/crm/objects/2026-09/{objectType}/batch/upsert`.
    #[value(name = "2026-09")]
    V2026_09,
    /// 2026-03, supported by HubSpot until about September 2027.
    #[value(name = "2026-03")]
    V2026_03,
}

/// The HubSpot plans, for their request quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanArg {
    /// Free: 100 requests per 10 s, 250,000 per day.
    Free,
    /// Starter: 100 requests per 10 s, 250,000 per day.
    Starter,
    /// Professional: 190 requests per 10 s, 625,000 per day.
    Professional,
    /// Enterprise: 190 requests per 10 s, 1,000,000 per day.
    Enterprise,
    /// API limit increase add-on: 250 requests per 10 s, 1,000,000 more per day.
    ApiAddOn,
    /// A public marketplace (OAuth) app: 110 requests per 10 s per installing account.
    PublicApp,
}

/// Options of an upsert run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The file to load, or `-` for standard input.
    #[arg(value_name = "INPUT", required = true)]
    pub input: Option<PathBuf>,

    /// The object type: `contacts`, `companies`, `deals`, ..., an id such as `2-1234567`, or a
    /// custom object's name such as `p_cars`.
    #[arg(short = 't', long, value_name = "TYPE", required = true)]
    pub object_type: Option<String>,

    /// The unique property that identifies records, such as `email` for contacts or a custom
    /// unique property.
    #[arg(short = 'i', long, value_name = "PROPERTY", required = true)]
    pub id_property: Option<String>,

    /// The CSV column (flat NDJSON key, Parquet column) holding each record's id [default: the
    /// id property].
    #[arg(long, value_name = "COLUMN", help_heading = "Input")]
    pub id_column: Option<String>,

    /// The input format [default: from the file extension (.csv, .tsv, .ndjson, .jsonl,
    /// .parquet, also with .gz or .zst after it), else from the content].
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Input")]
    pub format: Option<InputFormat>,

    /// The CSV field delimiter: `,` `;` `|` or `tab` [default: tab for .tsv files, else `,`].
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter, help_heading = "Input")]
    pub delimiter: Option<u8>,

    /// Malformed rows (a CSV row with the wrong number of fields, an NDJSON line that is not
    /// a JSON object, invalid UTF-8, a line over 1 MiB) are reported failed (MALFORMED_ROW)
    /// and the run goes on; once more than N are found, reading stops there, what was read
    /// is sent and reported, and the run exits 1 naming the line. 0 stops at the first.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BAD_ROWS, help_heading = "Input")]
    pub max_bad_rows: u64,

    /// Send empty CSV cells (and Parquet nulls) as empty values, which clears those
    /// properties in HubSpot. By default they are left out and the properties keep their
    /// values.
    #[arg(long, help_heading = "Input")]
    pub send_empty_cells: bool,

    /// The known property names, comma-separated. A record writing any other property is
    /// reported failed (UNKNOWN_PROPERTY) and not sent; --dry-run counts such records.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        help_heading = "Input"
    )]
    pub properties: Option<Vec<String>>,

    /// HubSpot's property definitions for the object type, as saved from
    /// GET /crm/v3/properties/{objectType} (`{"results": [...]}`). Every record's values are
    /// checked against them before sending: a refused record is reported failed
    /// (PROPERTY_CHECK) and costs no request, and option labels are sent as their values;
    /// --dry-run lists what would be refused, by property and rule.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub property_schema: Option<PathBuf>,

    /// Read and check the whole input without a token or any network, and print what would
    /// be sent: records, requests and the time the plan's quota needs.
    #[arg(long, help_heading = "Run")]
    pub dry_run: bool,

    /// Write an NDJSON report, one line per input record (line, id, outcome, HubSpot record
    /// id, error category and message), as outcomes arrive.
    #[arg(long, value_name = "FILE", help_heading = "Run")]
    pub report: Option<PathBuf>,

    /// A journal of completed records, written durably as batches finish. Rerun with the same
    /// journal (and the same --report) to skip what is done after a crash or Ctrl-C. For loads
    /// that recur, use --state instead, which also does this.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Run",
        conflicts_with = "state"
    )]
    pub resume: Option<PathBuf>,

    /// Incremental sync: a SQLite file (created when missing) of what HubSpot accepted, per
    /// record. A record whose values HubSpot accepted before is not sent and is reported
    /// `unchanged`; what HubSpot accepts is written to it as answers arrive. Rerunning after a
    /// crash, Ctrl-C or a failure sends only what HubSpot did not accept. The file is bound
    /// to the object type, id property, base URL and account (--account) of its first run.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Run",
        conflicts_with = "mock"
    )]
    pub state: Option<PathBuf>,

    /// With --state: send every record whatever the state says, and refresh the state (after a
    /// change of mapping, or when records may have been edited in HubSpot, which the state
    /// cannot see).
    #[arg(long, help_heading = "Run", requires = "state")]
    pub full: bool,

    /// With --state: the HubSpot account (portal) id the token writes to. Recorded in the
    /// state, which then refuses runs for another account.
    #[arg(long, value_name = "ID", help_heading = "Run", requires = "state")]
    pub account: Option<String>,

    /// Run against an embedded mock of HubSpot started in this process, instead of HubSpot.
    /// No token is needed and nothing leaves the machine.
    #[arg(long, help_heading = "Run", conflicts_with = "base_url")]
    pub mock: bool,

    /// No progress bar or progress lines; only the summary and errors.
    #[arg(short, long, help_heading = "Run")]
    pub quiet: bool,

    /// The environment variable holding the access token (private app or OAuth).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_TOKEN_ENV, help_heading = "Connection")]
    pub token_env: String,

    /// The API's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL, help_heading = "Connection")]
    pub base_url: String,

    /// HubSpot's API version to speak; records go to `/crm/objects/<VERSION>/...`. The default
    /// is HubSpot's current version; pin 2026-03 to keep the previous one.
    #[arg(
        long,
        value_enum,
        value_name = "VERSION",
        default_value = "2026-09",
        help_heading = "Connection"
    )]
    pub api_version: ApiVersionArg,

    /// Your HubSpot plan, which sets the request quota the run is paced to.
    #[arg(
        long,
        value_enum,
        default_value = "starter",
        help_heading = "Connection"
    )]
    pub plan: PlanArg,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Connection")]
    pub concurrency: u32,

    /// Seconds before one request is abandoned (and retried).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds, help_heading = "Connection")]
    pub timeout: Duration,

    /// Retries of a request after a transient failure (429, 5xx, timeout); 0 disables them.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Connection"
    )]
    pub max_retries: u32,
}

/// The upsert run's required arguments, present once clap has checked them.
#[derive(Debug, Clone)]
pub struct Target {
    /// The input path, or `-`.
    pub input: PathBuf,
    /// The object type.
    pub object_type: String,
    /// The id property.
    pub id_property: String,
}

impl RunArgs {
    /// The required arguments; clap guarantees them when no subcommand is given.
    pub fn target(&self) -> Option<Target> {
        Some(Target {
            input: self.input.clone()?,
            object_type: self.object_type.clone()?,
            id_property: self.id_property.clone()?,
        })
    }

    /// The CSV column or flat NDJSON key holding the id.
    pub fn id_column(&self, target: &Target) -> String {
        self.id_column
            .clone()
            .unwrap_or_else(|| target.id_property.clone())
    }
}

/// Parses a positive number of seconds, fractions allowed.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "`{text}` must be more than 0 and at most 3600 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("hubspot-upsert").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_run_needs_input_object_type_and_id_property() {
        let cli = parse(&["-t", "contacts", "-i", "email", "people.csv"]).expect("valid");
        let target = cli.run.target().expect("all present");
        assert_eq!(target.object_type, "contacts");
        assert_eq!(cli.run.id_column(&target), "email");
        assert_eq!(cli.run.timeout, Duration::from_secs(30));
        assert_eq!(cli.run.token_env, DEFAULT_TOKEN_ENV);
        let err = parse(&["-t", "contacts", "people.csv"]).expect_err("no id property");
        assert!(err.to_string().contains("--id-property"));
    }

    #[test]
    fn schema_needs_no_run_arguments() {
        let cli = parse(&["schema", "report"]).expect("valid");
        assert!(matches!(
            cli.command,
            Some(Command::Schema {
                which: SchemaKind::Report
            })
        ));
    }

    #[test]
    fn lists_and_numbers_are_checked() {
        let cli = parse(&[
            "-t",
            "contacts",
            "-i",
            "email",
            "--properties",
            "firstname,city",
            "--timeout",
            "2.5",
            "-",
        ])
        .expect("valid");
        assert_eq!(
            cli.run.properties,
            Some(vec!["firstname".to_string(), "city".to_string()])
        );
        assert_eq!(cli.run.timeout, Duration::from_millis(2500));
        assert!(parse(&["-t", "c", "-i", "e", "--timeout", "0", "x"]).is_err());
        assert!(parse(&["-t", "c", "-i", "e", "--concurrency", "0", "x"]).is_err());
        assert!(
            parse(&[
                "-t",
                "c",
                "-i",
                "e",
                "--mock",
                "--base-url",
                "http://x",
                "x"
            ])
            .is_err()
        );
    }

    #[test]
    fn delimiter_and_bad_row_limit_are_parsed() {
        let cli = parse(&["-t", "c", "-i", "e", "x.csv"]).expect("valid");
        assert_eq!(cli.run.delimiter, None);
        assert_eq!(cli.run.max_bad_rows, DEFAULT_MAX_BAD_ROWS);
        let cli = parse(&[
            "-t",
            "c",
            "-i",
            "e",
            "--delimiter",
            "tab",
            "--max-bad-rows",
            "0",
            "--format",
            "parquet",
            "x",
        ])
        .expect("valid");
        assert_eq!(cli.run.delimiter, Some(b'\t'));
        assert_eq!(cli.run.max_bad_rows, 0);
        assert_eq!(cli.run.format, Some(InputFormat::Parquet));
        let err = parse(&["-t", "c", "-i", "e", "--delimiter", "::", "x"]).expect_err("bad");
        assert!(
            err.to_string().contains("use `,`, `;`, `|` or `tab`"),
            "{err}"
        );
    }

    #[test]
    fn there_is_no_flag_taking_the_token_itself() {
        let cmd = Cli::command();
        for arg in cmd.get_arguments() {
            let long = arg.get_long().unwrap_or_default();
            assert!(
                long == "token-env" || !long.contains("token"),
                "--{long} must not take a token"
            );
        }
    }
}
