//! The bad-input catalogue: table-driven cases across the client API, the `hubspot-upsert` CLI
//! and the mock, each with the exact text a user sees. For every case: nothing panics (the
//! CLI never exits 101), no request reaches a server when none should (each case counts the
//! requests its mock received), and no input record is silently dropped (a client run yields
//! one outcome per input; a CLI run that sends anything writes one report line per record).
//!
//! The CLI runs as a process: see `hubspot_reliability::cli` for how the binary is found.
//! Prints one `CATALOGUE {json}` line per case; with `RELIABILITY_WRITE=1` it rewrites the
//! catalogue in RELIABILITY.md.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use std::sync::Arc;

use hubspot_crm::property_schema::PropertySchema;
use hubspot_crm::{AccessToken, Client, ObjectType, OutcomeKind, RetryPolicy, UpsertInput};
use hubspot_crm_mock::MockServer;
use hubspot_reliability::{cli, doc};

/// What one case showed.
struct Seen {
    /// The exact text the user sees.
    text: String,
    /// Requests that reached the case's mock.
    requests: u64,
}

/// One row: where, what, the expected text and requests.
struct Case {
    surface: &'static str,
    name: &'static str,
    expected: &'static str,
    requests: u64,
}

/// The row of [`EXPECTED`] for a case.
fn expected(surface: &'static str, name: &'static str) -> Case {
    let (text, requests) = EXPECTED
        .iter()
        .find(|(s, n, _, _)| *s == surface && *n == name)
        .map_or(("<no expected row>", u64::MAX), |(_, _, r, t)| (*t, *r));
    Case {
        surface,
        name,
        expected: text,
        requests,
    }
}

/// What each case must show: where, which case, requests that reach the server (for mock
/// cases: records the bad request stored), and the exact text.
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, u64, &str)] = &[
    ("client", "object type with `/`", 0,
     r##"invalid object type: "contacts/owners" contains '/'; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"##),
    ("client", "object type `..`", 0,
     r##"invalid object type: ".." contains '.'; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"##),
    ("client", "object type with `%2F`", 0,
     r##"invalid object type: "contacts%2Fowners" contains '%'; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"##),
    ("client", "object type with whitespace", 0,
     r##"invalid object type: "contacts " contains ' '; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"##),
    ("client", "empty object type", 0,
     r##"invalid object type: it is empty"##),
    ("client", "empty input list", 0,
     r##"0 inputs: 0 created, 0 updated, 0 failed, 0 not attempted; 0 requests"##),
    ("client", "input with an empty id", 1,
     r##"input 0: Failed VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_ID","isValid":false,"localizedErrorMessage":"The id for email must not be empty","message":"The id for email must not be empty","name":"email"}]"##),
    ("client", "input without an id property", 1,
     r##"1 inputs: 1 created, 0 updated, 0 failed, 0 not attempted; 1 requests"##),
    ("client", "base URL with a path", 0,
     r##"invalid base URL: "http://127.0.0.1:8080/crm/v3" has a path ("/crm/v3"); give only the scheme, host and port, such as https://api.hubapi.com"##),
    ("client", "base URL with a query", 0,
     r##"invalid base URL: "http://127.0.0.1:8080/?portal=1" has a query or fragment"##),
    ("client", "http:// to a non-loopback host", 0,
     r##"invalid base URL: plain http to api.hubapi.com would send the token unencrypted; use https, a loopback host, or .allow_insecure_http()"##),
    ("client", "timeout of 0", 0,
     r##"invalid client configuration: the timeout and the connect timeout must be more than 0"##),
    ("client", "concurrency 0", 0,
     r##"invalid client configuration: the concurrency must be at least 1"##),
    ("client", "token with a newline", 0,
     r##"input 0: Failed AUTH: invalid access token: it contains characters that cannot appear in an HTTP header"##),
    ("client", "NaN value (no schema needed)", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: UNWRITABLE_VALUE `annual_budget`: NaN is not a number HubSpot can store (NaN and infinities are refused)"##),
    ("client", "schema: unknown property", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: UNKNOWN_PROPERTY `shoe_size`: the property definitions have no such property"##),
    ("client", "schema: read-only property", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: READ_ONLY `hs_object_id`: its value is read-only in HubSpot"##),
    ("client", "schema: calculated property", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: CALCULATED `num_associated_deals`: HubSpot calculates its value; it cannot be written"##),
    ("client", "schema: number with a unit", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: INVALID_NUMBER `seats`: "12 seats" is not a number; give a plain decimal such as 1250 or -3.75, without exponent, grouping or unit"##),
    ("client", "schema: number with surrounding whitespace", 1,
     r##"1 inputs: 1 created, 0 updated, 0 failed, 0 not attempted; 1 requests; normalized: `seats`: surrounding whitespace trimmed"##),
    ("client", "schema: bool given by its label", 1,
     r##"1 inputs: 1 created, 0 updated, 0 failed, 0 not attempted; 1 requests; normalized: `newsletter_opt_in`: option label "yes" sent as its value "true""##),
    ("client", "schema: date not a calendar day", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: INVALID_DATE `contract_start_date`: "2026-02-30" is not a day of the calendar"##),
    ("client", "schema: date not at midnight UTC", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: DATE_NOT_MIDNIGHT `contract_start_date`: 1772359201954 is at 10:00:01.954 UTC, not midnight; a date property takes midnight UTC of its day"##),
    ("client", "schema: datetime in epoch seconds", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: EPOCH_SECONDS `last_webinar_at`: 1772359200 looks like epoch seconds (as milliseconds it is in 1970); HubSpot wants milliseconds"##),
    ("client", "schema: enumeration label", 1,
     r##"1 inputs: 1 created, 0 updated, 0 failed, 0 not attempted; 1 requests; normalized: `lifecyclestage`: option label "Sales Qualified Lead" sent as its value "salesqualifiedlead""##),
    ("client", "schema: enumeration value not an option", 0,
     r##"input 0: Failed PROPERTY_CHECK: refused before sending: INVALID_OPTION `lifecyclestage`: "Prospect" is not an option (by value or label); options: subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other"##),
    ("cli", "object type with `/`", 0,
     r##"exit 1 (0 report lines): error: --object-type `contacts/../owners`: invalid object type: "contacts/../owners" contains '/'; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"##),
    ("cli", "empty input file", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv, line 1: the input is empty (expected a CSV header row naming the properties)"##),
    ("cli", "NDJSON record without the id", 1,
     r##"exit 2; report: 2 lines; line 2 failed: MISSING_ID no value for the id `email`"##),
    ("cli", "NDJSON record with an empty id", 1,
     r##"exit 2; report: 2 lines; line 2 failed: MISSING_ID no value for the id `email`"##),
    ("cli", "NDJSON non-string values", 1,
     r##"exit 2; report: 2 lines; line 2 failed: MALFORMED_ROW property `age` is a number, but HubSpot property values are strings; quote it ("age": "..."), and use "" to clear a value"##),
    ("cli", "NDJSON truncated last line", 1,
     r##"exit 2; report: 2 lines; line 2 failed: MALFORMED_ROW not valid JSON: EOF while parsing a string at line 1 column 15"##),
    ("cli", "CSV ragged row", 1,
     r##"exit 2; report: 2 lines; line 3 failed: MALFORMED_ROW the row has 3 fields but the header has 2"##),
    ("cli", "CSV without the id column in its header", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv, line 1: the header has no id column `email` (columns: a@example.com, Ada); name it with --id-column"##),
    ("cli", "CSV with a BOM", 1,
     r##"exit 0; report: 1 lines"##),
    ("cli", "CSV with invalid UTF-8", 1,
     r##"exit 2; report: 2 lines; line 3 failed: MALFORMED_ROW invalid UTF-8 in column `firstname` (field 2, byte 2); save the file as UTF-8"##),
    ("cli", "CSV with a 10 MB field", 0,
     r##"exit 2; report: 1 lines; line 2 failed: MALFORMED_ROW the line is longer than 1048576 bytes (is the input really CSV or NDJSON?)"##),
    ("cli", "CSV ragged rows over --max-bad-rows", 1,
     r##"exit 1 (3 report lines): error: <dir>/a.csv, line 4: reading stopped here, at malformed row 2 (--max-bad-rows 1); the rows after this line were not read"##),
    ("cli", "NDJSON binary first line", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.ndjson, line 1: not valid JSON: expected value at line 1 column 1; is the input really NDJSON?"##),
    ("cli", "binary file named .csv", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv: the input holds NUL bytes, so it is binary, not CSV or NDJSON text (is it another format, or compressed in a way not read here?)"##),
    ("cli", "Excel workbook named .csv", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv: the input is a ZIP archive (an .xlsx workbook?), not text; save the sheet as CSV (UTF-8)"##),
    ("cli", "UTF-16 CSV", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv: the input is UTF-16 text; save the file as UTF-8"##),
    ("cli", "`;`-separated CSV without --delimiter", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv, line 1: the header has no id column `email` (columns: email;firstname), but split on ';' it has: email, firstname; pass --delimiter ';'"##),
    ("cli", "gzip CSV", 1,
     r##"exit 0; report: 1 lines"##),
    ("cli", "truncated gzip CSV", 98,
     r##"exit 1 (9766 report lines): error: <dir>/a.csv.gz, line 9768: cannot decompress: the gzip data is truncated or corrupt (incomplete deflate stream)"##),
    ("cli", ".csv.gz that is not gzip", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv.gz: the name ends in .gz but the content is not gzip-compressed; rename the file"##),
    ("cli", "truncated zstd CSV", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.csv.zst, line 2: cannot decompress: the zstd data is truncated or corrupt (incomplete frame)"##),
    ("cli", "corrupt Parquet file", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.parquet: not a readable Parquet file: EOF: Parquet file too small. Size is 22 but need 4616"##),
    ("cli", "Parquet file without the id column", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.parquet: the Parquet file has no id column `email` (columns: firstname); name it with --id-column"##),
    ("cli", "Parquet file with a struct column", 0,
     r##"exit 1 (0 report lines): error: <dir>/a.parquet: Parquet column `address` is a group (a struct or a map), but HubSpot properties hold single values; flatten it upstream"##),
    ("cli", "base URL with a path", 0,
     r##"exit 1 (0 report lines): error: cannot set up the HubSpot client: invalid base URL: "http://127.0.0.1:<port>/crm/v3" has a path ("/crm/v3"); give only the scheme, host and port, such as https://api.hubapi.com"##),
    ("cli", "base URL with a query", 0,
     r##"exit 1 (0 report lines): error: cannot set up the HubSpot client: invalid base URL: "http://127.0.0.1:<port>/?portal=1" has a query or fragment"##),
    ("cli", "http:// to a non-loopback host", 0,
     r##"exit 1 (0 report lines): error: cannot set up the HubSpot client: invalid base URL: plain http to api.hubapi.com would send the token unencrypted; use https, a loopback host, or .allow_insecure_http()"##),
    ("cli", "timeout of 0", 0,
     r##"exit 1 (0 report lines): error: invalid value '0' for '--timeout <SECONDS>': `0` must be more than 0 and at most 3600 seconds"##),
    ("cli", "concurrency 0", 0,
     r##"exit 1 (0 report lines): error: invalid value '0' for '--concurrency <N>': 0 is not in 1..=64"##),
    ("cli", "token with a newline", 0,
     r##"exit 1 (1 report lines): error: the run stopped: the access token was refused: invalid access token: it contains characters that cannot appear in an HTTP header."##),
    ("cli", "--property-schema: refused values", 1,
     r##"exit 2; report: 3 lines; line 3 failed: PROPERTY_CHECK refused before sending: DATE_NOT_MIDNIGHT `contract_start_date`: 1772359200000 is at 10:00:00.000 UTC, not midnight; a date property takes midnight UTC of its day / line 4 failed: PROPERTY_CHECK refused before sending: INVALID_OPTION `lifecyclestage`: "Prospect" is not an option (by value or label); options: subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other"##),
    ("cli", "--property-schema: not HubSpot's JSON", 0,
     r##"exit 1 (0 report lines): error: --property-schema: the property definitions in Cargo.toml are not HubSpot's properties JSON (line 1, column 2): expected value at line 1 column 2"##),
    ("mock", "object type `%2F`", 0,
     r##"HTTP 400 VALIDATION_ERROR: Unable to infer object type from: contacts/owners"##),
    ("mock", "object type `..`", 0,
     r##"HTTP 404 OBJECT_NOT_FOUND: No route for /crm/objects/batch/upsert"##),
    ("mock", "input without id", 0,
     r##"HTTP 400 VALIDATION_ERROR: Invalid input JSON on line 1, column 49: missing field `id` at line 1 column 49"##),
    ("mock", "input with an empty id", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_ID","isValid":false,"localizedErrorMessage":"The id for email must not be empty","message":"The id for email must not be empty","name":"email"}]"##),
    ("mock", "non-string property value", 0,
     r##"HTTP 400 VALIDATION_ERROR: Invalid input JSON on line 1, column 81: invalid type: integer `3`, expected a string at line 1 column 81"##),
    ("mock", "empty input list", 0,
     r##"HTTP 200 -: -"##),
    ("mock", "101 inputs", 0,
     r##"HTTP 400 VALIDATION_ERROR: Batch input size of 101 exceeds the limit of 100 inputs per request"##),
    ("mock", "malformed JSON", 0,
     r##"HTTP 400 VALIDATION_ERROR: Invalid input JSON on line 1, column 17: EOF while parsing a value at line 1 column 17"##),
    ("mock", "date not at midnight UTC", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_DATE","isValid":false,"localizedErrorMessage":"1772397361954 is at 20:36:1.954 UTC, not midnight!","message":"1772397361954 is at 20:36:1.954 UTC, not midnight!","name":"contract_start_date"}]"##),
    ("mock", "enumeration label", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_OPTION","isValid":false,"localizedErrorMessage":"Customer was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other]","message":"Customer was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, salesqualifiedlead, opportunity, customer, evangelist, other]","name":"lifecyclestage"}]"##),
    ("mock", "number with surrounding whitespace", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_INTEGER","isValid":false,"localizedErrorMessage":" 12 was not a valid number.","message":" 12 was not a valid number.","name":"seats"}]"##),
    ("mock", "bool `yes`", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_BOOLEAN","isValid":false,"localizedErrorMessage":"yes is not a valid boolean value; use true or false.","message":"yes is not a valid boolean value; use true or false.","name":"newsletter_opt_in"}]"##),
    ("mock", "datetime not ISO 8601", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"INVALID_DATETIME","isValid":false,"localizedErrorMessage":"01/03/2026 10:00 is not a valid ISO 8601 date-time or epoch millisecond timestamp","message":"01/03/2026 10:00 is not a valid ISO 8601 date-time or epoch millisecond timestamp","name":"last_webinar_at"}]"##),
    ("mock", "read-only property", 0,
     r##"HTTP 400 VALIDATION_ERROR: Property values were not valid: [{"error":"READ_ONLY_VALUE","isValid":false,"localizedErrorMessage":"The property hs_object_id is read-only and cannot be set","message":"The property hs_object_id is read-only and cannot be set","name":"hs_object_id"}]"##),
    ("mock", "no Authorization header", 0,
     r##"HTTP 401 INVALID_AUTHENTICATION: Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"##),
];

fn client_for(base: &str) -> Result<Client, hubspot_crm::Error> {
    Client::builder()
        .base_url(base)
        .token(AccessToken::new("catalogue-token"))
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::never())
        .build()
}

// ---------------------------------------------------------------- client API

fn object_type(text: &str) -> Seen {
    Seen {
        text: match text.parse::<ObjectType>() {
            Ok(t) => format!("accepted: {t}"),
            Err(e) => e.to_string(),
        },
        requests: 0,
    }
}

fn builder(
    configure: impl FnOnce(hubspot_crm::ClientBuilder) -> hubspot_crm::ClientBuilder,
) -> Seen {
    let b = Client::builder().token(AccessToken::new("catalogue-token"));
    Seen {
        text: match configure(b).build() {
            Ok(c) => format!("accepted: {c:?}"),
            Err(e) => e.to_string(),
        },
        requests: 0,
    }
}

/// Runs `inputs` against a fresh mock; shows every non-success outcome (or the summary).
async fn client_run(inputs: Vec<UpsertInput>, token: &str) -> Seen {
    client_run_checked(inputs, token, None).await
}

/// The example property definitions for contacts, at the repository root.
fn example_schema_path() -> String {
    format!(
        "{}/../../examples/contacts-properties.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// [`client_run`] with the example contacts schema given to the run; a success also shows
/// what the check normalized.
async fn client_run_with_schema(inputs: Vec<UpsertInput>) -> Seen {
    let schema = PropertySchema::from_file(example_schema_path()).expect("the example schema");
    client_run_checked(inputs, "catalogue-token", Some(Arc::new(schema))).await
}

async fn client_run_checked(
    inputs: Vec<UpsertInput>,
    token: &str,
    schema: Option<Arc<PropertySchema>>,
) -> Seen {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new(token))
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client");
    let n = inputs.len();
    let run = match schema {
        Some(schema) => client.bulk_upsert_with_schema(
            ObjectType::contacts(),
            schema,
            futures::stream::iter(inputs),
        ),
        None => client.bulk_upsert_iter(ObjectType::contacts(), inputs),
    };
    let (outcomes, summary) = run.collect_all().await;
    assert_eq!(outcomes.len(), n, "one outcome per input");
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match &o.kind {
            OutcomeKind::Failed { cause, message, .. } => {
                Some(format!("input {}: Failed {cause}: {message}", o.position))
            }
            OutcomeKind::NotAttempted { reason } => {
                Some(format!("input {}: NotAttempted: {reason}", o.position))
            }
            _ => None,
        })
        .collect();
    let normalized: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.normalized.iter().map(ToString::to_string))
        .collect();
    let text = if failures.is_empty() {
        let mut text = format!(
            "{} inputs: {} created, {} updated, {} failed, {} not attempted; {} requests",
            summary.inputs,
            summary.created,
            summary.updated,
            summary.failed,
            summary.not_attempted,
            summary.requests
        );
        if !normalized.is_empty() {
            text.push_str(&format!("; normalized: {}", normalized.join(", ")));
        }
        text
    } else {
        failures.join(" / ")
    };
    let requests = mock.counters().requests;
    mock.shutdown().await;
    Seen {
        text: mask_port(&mask_correlation(&text)),
        requests,
    }
}

/// Mock ports are ephemeral; the catalogue shows them as `<port>`.
fn mask_port(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("127.0.0.1:") {
        let start = i + "127.0.0.1:".len();
        out.push_str(&rest[..start]);
        out.push_str("<port>");
        let digits = rest[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        rest = &rest[start + digits..];
    }
    out.push_str(rest);
    out
}

/// Correlation ids are random uuids; the catalogue shows them as `<uuid>`.
fn mask_correlation(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("correlation id ") {
        let start = i + "correlation id ".len();
        out.push_str(&rest[..start]);
        out.push_str("<uuid>");
        rest = &rest[(start + 36).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------- CLI

/// Runs the CLI on `content` (written to `file_name`) against a fresh mock (unless `args`
/// names its own base URL), with `token` in HUBSPOT_ACCESS_TOKEN.
async fn cli_run(file_name: &str, content: &[u8], args: &[&str], token: &str) -> Seen {
    let bin = cli::binary().expect("hubspot-upsert binary");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join(file_name);
    std::fs::File::create(&input)
        .and_then(|mut f| f.write_all(content))
        .expect("input written");
    let report = dir.path().join("report.ndjson");
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let mut cmd = Command::new(bin);
    cmd.arg("--quiet")
        .arg("--report")
        .arg(&report)
        .args(["--max-retries", "0"])
        .env("HUBSPOT_ACCESS_TOKEN", token)
        .env_remove("RUST_LOG");
    if !args.contains(&"--timeout") {
        cmd.args(["--timeout", "5"]);
    }
    if !args.contains(&"--base-url") {
        cmd.arg("--base-url").arg(mock.base_url());
    }
    if !args.contains(&"-t") {
        cmd.args(["-t", "contacts"]);
    }
    let base = mock.base_url();
    cmd.args(["-i", "email"])
        .args(args.iter().map(|a| a.replace("{mock}", &base)))
        .arg(&input);
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("the CLI runs");
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(code, 101, "the CLI panicked: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let requests = mock.counters().requests;
    mock.shutdown().await;
    let mask = |s: &str| s.replace(&dir.path().display().to_string(), "<dir>");
    let errors: Vec<String> = stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .map(mask)
        .collect();
    let report_lines = std::fs::read_to_string(&report)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    let mut text = format!("exit {code}");
    if !errors.is_empty() {
        // A fatal error: the records before it have their report lines, the rest are named
        // by the error.
        text.push_str(&format!(" ({report_lines} report lines): "));
        text.push_str(&mask_port(&errors.join(" / ")));
    } else if let Ok(lines) = std::fs::read_to_string(&report) {
        // Not a fatal error: every record must have its report line.
        let records = records_in(file_name, content);
        let report_lines: Vec<serde_json::Value> = lines
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(
            report_lines.len(),
            records,
            "one report line per input record: {lines}"
        );
        let failed: Vec<String> = report_lines
            .iter()
            .filter(|l| l["outcome"] != "created" && l["outcome"] != "updated")
            .map(|l| {
                format!(
                    "line {} {}: {} {}",
                    l["line"],
                    l["outcome"].as_str().unwrap_or("?"),
                    l["error_category"].as_str().unwrap_or("-"),
                    l["error_message"].as_str().unwrap_or("-")
                )
            })
            .collect();
        text.push_str(&format!("; report: {} lines", report_lines.len()));
        let failed: Vec<String> = failed.iter().map(|f| mask_port(f)).collect();
        if !failed.is_empty() {
            text.push_str("; ");
            text.push_str(&failed.join(" / "));
        }
    }
    Seen { text, requests }
}

/// Records in a test input: CSV rows after the header, or non-blank NDJSON lines (of the
/// decompressed text for a `.gz` file).
fn records_in(file_name: &str, content: &[u8]) -> usize {
    let mut plain = Vec::new();
    let content = if file_name.ends_with(".gz") {
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(content)
            .read_to_end(&mut plain)
            .expect("a whole gzip stream");
        &plain[..]
    } else {
        content
    };
    let file_name = file_name.trim_end_matches(".gz");
    let text = String::from_utf8_lossy(content);
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    if Path::new(file_name).extension().is_some_and(|e| e == "csv") {
        lines.saturating_sub(1)
    } else {
        lines
    }
}

/// `data` gzip-compressed.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

/// A Parquet file with `schema` and no rows.
fn empty_parquet(schema: &str) -> Vec<u8> {
    let schema = parquet::schema::parser::parse_message_type(schema).expect("schema");
    let mut out = Vec::new();
    let writer = parquet::file::writer::SerializedFileWriter::new(
        &mut out,
        Arc::new(schema),
        Arc::new(parquet::file::properties::WriterProperties::builder().build()),
    )
    .expect("writer");
    writer.close().expect("close");
    out
}

// ---------------------------------------------------------------- mock

/// Sends `body` to the mock's upsert route for `object_type` with a good token (or none).
async fn mock_request(object_type: &str, body: &str, auth: bool) -> Seen {
    let mock = MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock");
    let url = format!(
        "{}/crm/objects/2026-03/{object_type}/batch/upsert",
        mock.base_url()
    );
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if auth {
        req = req.bearer_auth("catalogue-token");
    }
    let response = req.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    // Still alive and serving after the bad request.
    let alive = reqwest::Client::new()
        .post(mock.upsert_url("contacts"))
        .bearer_auth("catalogue-token")
        .body(r#"{"inputs":[{"id":"alive@example.com","idProperty":"email","properties":{}}]}"#)
        .send()
        .await
        .expect("the mock still answers")
        .status()
        .as_u16();
    assert_eq!(alive, 200, "the mock keeps serving after a bad request");
    let stored = mock.records("contacts").len() as u64;
    mock.shutdown().await;
    let message = body["message"].as_str().unwrap_or("-");
    let category = body["category"].as_str().unwrap_or("-");
    Seen {
        text: format!("HTTP {status} {category}: {message}"),
        // Records the bad request stored (the alive probe stores one).
        requests: stored - 1,
    }
}

fn contacts_batch(n: usize) -> String {
    let inputs: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id":"u{i}@example.com","idProperty":"email","properties":{{}}}}"#))
        .collect();
    format!(r#"{{"inputs":[{}]}}"#, inputs.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_with_a_clear_message() {
    let ten_mb = format!(
        "email,firstname\nbig@example.com,{}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    let mut rows: Vec<(Case, Seen)> = Vec::new();
    macro_rules! case {
        ($surface:literal, $name:literal, $seen:expr) => {
            rows.push((expected($surface, $name), $seen));
        };
    }

    // Client API.
    case!(
        "client",
        "object type with `/`",
        object_type("contacts/owners")
    );
    case!("client", "object type `..`", object_type(".."));
    case!(
        "client",
        "object type with `%2F`",
        object_type("contacts%2Fowners")
    );
    case!(
        "client",
        "object type with whitespace",
        object_type("contacts ")
    );
    case!("client", "empty object type", object_type(""));
    case!(
        "client",
        "empty input list",
        client_run(Vec::new(), "catalogue-token").await
    );
    case!(
        "client",
        "input with an empty id",
        client_run(
            vec![UpsertInput::new("").id_property("email")],
            "catalogue-token"
        )
        .await
    );
    case!(
        "client",
        "input without an id property",
        client_run(vec![UpsertInput::new("ada@example.com")], "catalogue-token").await
    );
    case!(
        "client",
        "base URL with a path",
        builder(|b| b.base_url("http://127.0.0.1:8080/crm/v3"))
    );
    case!(
        "client",
        "base URL with a query",
        builder(|b| b.base_url("http://127.0.0.1:8080/?portal=1"))
    );
    case!(
        "client",
        "http:// to a non-loopback host",
        builder(|b| b.base_url("http://api.hubapi.com"))
    );
    case!(
        "client",
        "timeout of 0",
        builder(|b| b.timeout(Duration::ZERO))
    );
    case!("client", "concurrency 0", builder(|b| b.concurrency(0)));
    case!(
        "client",
        "token with a newline",
        client_run(
            vec![UpsertInput::new("ada@example.com").id_property("email")],
            "tok\nen"
        )
        .await
    );
    let contact = || UpsertInput::new("ada@example.com").id_property("email");
    case!(
        "client",
        "NaN value (no schema needed)",
        client_run(
            vec![contact().property("annual_budget", f64::NAN)],
            "catalogue-token"
        )
        .await
    );
    case!(
        "client",
        "schema: unknown property",
        client_run_with_schema(vec![contact().property("shoe_size", 42)]).await
    );
    case!(
        "client",
        "schema: read-only property",
        client_run_with_schema(vec![contact().property("hs_object_id", 7)]).await
    );
    case!(
        "client",
        "schema: calculated property",
        client_run_with_schema(vec![contact().property("num_associated_deals", 2)]).await
    );
    case!(
        "client",
        "schema: number with a unit",
        client_run_with_schema(vec![contact().property("seats", "12 seats")]).await
    );
    case!(
        "client",
        "schema: number with surrounding whitespace",
        client_run_with_schema(vec![contact().property("seats", " 12 ")]).await
    );
    case!(
        "client",
        "schema: bool given by its label",
        client_run_with_schema(vec![contact().property("newsletter_opt_in", "yes")]).await
    );
    case!(
        "client",
        "schema: date not a calendar day",
        client_run_with_schema(vec![
            contact().property("contract_start_date", "2026-02-30")
        ])
        .await
    );
    case!(
        "client",
        "schema: date not at midnight UTC",
        client_run_with_schema(vec![
            contact().property("contract_start_date", 1_772_359_201_954u64)
        ])
        .await
    );
    case!(
        "client",
        "schema: datetime in epoch seconds",
        client_run_with_schema(vec![
            contact().property("last_webinar_at", 1_772_359_200u64)
        ])
        .await
    );
    case!(
        "client",
        "schema: enumeration label",
        client_run_with_schema(vec![
            contact().property("lifecyclestage", "Sales Qualified Lead")
        ])
        .await
    );
    case!(
        "client",
        "schema: enumeration value not an option",
        client_run_with_schema(vec![contact().property("lifecyclestage", "Prospect")]).await
    );
    let _ = client_for;

    // CLI.
    case!(
        "cli",
        "object type with `/`",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["-t", "contacts/../owners"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "empty input file",
        cli_run("a.csv", b"", &[], "catalogue-token").await
    );
    case!(
        "cli",
        "NDJSON record without the id",
        cli_run(
            "a.ndjson",
            b"{\"email\":\"a@example.com\"}\n{\"firstname\":\"NoId\"}\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "NDJSON record with an empty id",
        cli_run(
            "a.ndjson",
            b"{\"email\":\"a@example.com\"}\n{\"email\":\"\"}\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!("cli", "NDJSON non-string values", cli_run("a.ndjson", b"{\"email\":\"a@example.com\"}\n{\"email\":\"b@example.com\",\"age\":42,\"vip\":true,\"tags\":[1]}\n", &[], "catalogue-token").await);
    case!(
        "cli",
        "NDJSON truncated last line",
        cli_run(
            "a.ndjson",
            b"{\"email\":\"a@example.com\"}\n{\"email\":\"b@exa",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "CSV ragged row",
        cli_run(
            "a.csv",
            b"email,firstname\na@example.com,Ada\nb@example.com,Bob,extra\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "CSV without the id column in its header",
        cli_run("a.csv", b"a@example.com,Ada\n", &[], "catalogue-token").await
    );
    case!(
        "cli",
        "CSV with a BOM",
        cli_run(
            "a.csv",
            b"\xEF\xBB\xBFemail,firstname\na@example.com,Ada\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "CSV with invalid UTF-8",
        cli_run(
            "a.csv",
            b"email,firstname\na@example.com,Ada\nb@example.com,B\xFF\xFEb\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "CSV with a 10 MB field",
        cli_run("a.csv", ten_mb.as_bytes(), &[], "catalogue-token").await
    );
    case!(
        "cli",
        "CSV ragged rows over --max-bad-rows",
        cli_run(
            "a.csv",
            b"email,firstname\na@example.com,Ada\nb@example.com,Bob,extra\nc@example.com\nd@example.com,Dee\n",
            &["--max-bad-rows", "1"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "NDJSON binary first line",
        cli_run(
            "a.ndjson",
            b"\x7fELF\x02\x01\x01\n{\"email\":\"a@example.com\"}\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "binary file named .csv",
        cli_run(
            "a.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "Excel workbook named .csv",
        cli_run(
            "a.csv",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "UTF-16 CSV",
        cli_run(
            "a.csv",
            b"\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "`;`-separated CSV without --delimiter",
        cli_run(
            "a.csv",
            b"email;firstname\na@example.com;Ada\n",
            &[],
            "catalogue-token"
        )
        .await
    );
    let contacts = b"email,firstname\na@example.com,Ada\n";
    case!(
        "cli",
        "gzip CSV",
        cli_run("a.csv.gz", &gzip(contacts), &[], "catalogue-token").await
    );
    let mut many = b"email,firstname\n".to_vec();
    for i in 0..20_000 {
        many.extend(format!("p{i}@example.com,Name {i}\n").bytes());
    }
    let mut truncated = gzip(&many);
    truncated.truncate(truncated.len() / 2);
    case!(
        "cli",
        "truncated gzip CSV",
        cli_run("a.csv.gz", &truncated, &[], "catalogue-token").await
    );
    case!(
        "cli",
        ".csv.gz that is not gzip",
        cli_run("a.csv.gz", contacts, &[], "catalogue-token").await
    );
    let mut zstd = zstd::encode_all(&contacts[..], 3).expect("zstd");
    zstd.truncate(zstd.len() - 4);
    case!(
        "cli",
        "truncated zstd CSV",
        cli_run("a.csv.zst", &zstd, &[], "catalogue-token").await
    );
    case!(
        "cli",
        "corrupt Parquet file",
        cli_run(
            "a.parquet",
            b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00PAR1",
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "Parquet file without the id column",
        cli_run(
            "a.parquet",
            &empty_parquet("message m { optional binary firstname (STRING); }"),
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "Parquet file with a struct column",
        cli_run(
            "a.parquet",
            &empty_parquet(
                "message m { required binary email (STRING); optional group address { optional binary city (STRING); } }"
            ),
            &[],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "base URL with a path",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--base-url", "{mock}/crm/v3"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "base URL with a query",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--base-url", "{mock}/?portal=1"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "http:// to a non-loopback host",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--base-url", "http://api.hubapi.com"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "timeout of 0",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--timeout", "0"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "concurrency 0",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--concurrency", "0"],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "token with a newline",
        cli_run("a.csv", b"email\na@example.com\n", &[], "catalogue\ntoken").await
    );

    let schema = example_schema_path();
    case!(
        "cli",
        "--property-schema: refused values",
        cli_run(
            "a.csv",
            b"email,contract_start_date,lifecyclestage\na@example.com,2026-03-01,Customer\nb@example.com,1772359200000,lead\nc@example.com,2026-03-01,Prospect\n",
            &["--property-schema", &schema],
            "catalogue-token"
        )
        .await
    );
    case!(
        "cli",
        "--property-schema: not HubSpot's JSON",
        cli_run(
            "a.csv",
            b"email\na@example.com\n",
            &["--property-schema", "Cargo.toml"],
            "catalogue-token"
        )
        .await
    );

    // Mock (what a raw HTTP client sees; `requests` here counts records the bad request stored).
    case!(
        "mock",
        "object type `%2F`",
        mock_request("contacts%2Fowners", &contacts_batch(1), true).await
    );
    case!(
        "mock",
        "object type `..`",
        mock_request("..", &contacts_batch(1), true).await
    );
    case!(
        "mock",
        "input without id",
        mock_request(
            "contacts",
            r#"{"inputs":[{"idProperty":"email","properties":{}}]}"#,
            true
        )
        .await
    );
    case!(
        "mock",
        "input with an empty id",
        mock_request(
            "contacts",
            r#"{"inputs":[{"id":"","idProperty":"email","properties":{}}]}"#,
            true
        )
        .await
    );
    case!("mock", "non-string property value", mock_request("contacts", r#"{"inputs":[{"id":"a@example.com","idProperty":"email","properties":{"firstname":3}}]}"#, true).await);
    case!(
        "mock",
        "empty input list",
        mock_request("contacts", r#"{"inputs":[]}"#, true).await
    );
    case!(
        "mock",
        "101 inputs",
        mock_request("contacts", &contacts_batch(101), true).await
    );
    case!(
        "mock",
        "malformed JSON",
        mock_request("contacts", r#"{"inputs":[{"id":"#, true).await
    );
    let typed = |name: &str, value: &str| {
        format!(
            r#"{{"inputs":[{{"id":"a@example.com","idProperty":"email","properties":{{"{name}":"{value}"}}}}]}}"#
        )
    };
    case!(
        "mock",
        "date not at midnight UTC",
        mock_request(
            "contacts",
            &typed("contract_start_date", "1772397361954"),
            true
        )
        .await
    );
    case!(
        "mock",
        "enumeration label",
        mock_request("contacts", &typed("lifecyclestage", "Customer"), true).await
    );
    case!(
        "mock",
        "number with surrounding whitespace",
        mock_request("contacts", &typed("seats", " 12"), true).await
    );
    case!(
        "mock",
        "bool `yes`",
        mock_request("contacts", &typed("newsletter_opt_in", "yes"), true).await
    );
    case!(
        "mock",
        "datetime not ISO 8601",
        mock_request(
            "contacts",
            &typed("last_webinar_at", "01/03/2026 10:00"),
            true
        )
        .await
    );
    case!(
        "mock",
        "read-only property",
        mock_request("contacts", &typed("hs_object_id", "7"), true).await
    );
    case!(
        "mock",
        "no Authorization header",
        mock_request("contacts", &contacts_batch(1), false).await
    );

    let mut mismatches = Vec::new();
    let mut table = String::from(
        "| # | where | bad input | what the user sees (exact) | requests sent |\n|---|---|---|---|---|\n",
    );
    for (k, (case, seen)) in rows.iter().enumerate() {
        println!(
            "CATALOGUE {}",
            serde_json::json!({"surface": case.surface, "case": case.name, "sees": seen.text, "requests": seen.requests})
        );
        table.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            k + 1,
            case.surface,
            doc::cell(case.name),
            doc::cell(&seen.text).replace('`', "'"),
            seen.requests
        ));
        if seen.text != case.expected || seen.requests != case.requests {
            mismatches.push(format!(
                "{} / {}: expected {:?} with {} requests, saw {:?} with {}",
                case.surface, case.name, case.expected, case.requests, seen.text, seen.requests
            ));
        }
    }
    assert!(rows.len() >= 25, "at least 25 cases");
    println!("{table}");
    doc::write_section("catalogue", &table).expect("RELIABILITY.md");
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}
