//! The files warehouses and spreadsheets produce, loaded end to end: the binary runs as a
//! child process against a mock on a 127.0.0.1 ephemeral port in this test process, and each
//! test checks the report and what the mock holds afterwards.
//!
//! - A malformed row fails alone (`MALFORMED_ROW`), the rows after it are loaded, and
//!   `--max-bad-rows` stops reading where it should with every row read reported.
//! - gzip, zstd, `;`-separated, tab-separated and Parquet files of the same records load with
//!   the same outcomes and the same stored values as the plain CSV.
//! - A truncated gzip stream and a corrupt Parquet file are fatal errors naming the file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hubspot_crm_mock::MockServer;

mod common;
use common::{report_lines, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_hubspot-upsert");
const TOKEN: &str = "pat-test-inputs";

/// A runtime and a mock living in this test process.
struct LocalMock {
    runtime: tokio::runtime::Runtime,
    server: Option<MockServer>,
}

impl LocalMock {
    fn start() -> LocalMock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(MockServer::builder().no_rate_limit().start())
            .expect("mock starts");
        LocalMock {
            runtime,
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        self.server
            .as_ref()
            .map(MockServer::base_url)
            .unwrap_or_default()
    }

    /// Every stored contact, by email, with its properties (HubSpot's own left out).
    fn contacts(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let records = self
            .server
            .as_ref()
            .map(|s| s.records("contacts"))
            .unwrap_or_default();
        records
            .into_iter()
            .filter_map(|r| {
                let email = r.properties.get("email")?.clone();
                let props = r
                    .properties
                    .into_iter()
                    .filter(|(k, _)| {
                        !k.starts_with("hs_") && k != "createdate" && k != "lastmodifieddate"
                    })
                    .collect();
                Some((email, props))
            })
            .collect()
    }
}

impl Drop for LocalMock {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The binary aimed at `mock`, writing `report`.
fn against(mock: &LocalMock, report: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("RUST_LOG")
        .env("HUBSPOT_ACCESS_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .args(["--quiet", "--base-url", &mock.url()])
        .args(["-t", "contacts", "-i", "email", "--report"])
        .arg(report);
    cmd
}

/// Report lines as `line outcome [category: message]`, in line order.
fn outcomes(path: &Path) -> Vec<String> {
    let mut lines = report_lines(path);
    lines.sort_by_key(|l| l["line"].as_u64());
    lines
        .iter()
        .map(|l| {
            let mut s = format!("{} {}", l["line"], l["outcome"].as_str().unwrap_or("?"));
            if let Some(category) = l["error_category"].as_str() {
                s.push_str(&format!(
                    " {category}: {}",
                    l["error_message"].as_str().unwrap_or("")
                ));
            }
            s
        })
        .collect()
}

/// `n` contacts as CSV text separated by `delimiter`: email, firstname, city (empty for every
/// seventh), and a job title with quotes, a comma and a semicolon in it.
fn contacts_csv(n: usize, delimiter: char) -> String {
    let mut out = format!("email{delimiter}firstname{delimiter}city{delimiter}jobtitle\n");
    for i in 0..n {
        let city = if i % 7 == 0 { "" } else { "Oslo" };
        out.push_str(&format!(
            "p{i}@example.com{delimiter}Name {i}{delimiter}{city}{delimiter}\"says \"\"hi\"\",; twice\"\n"
        ));
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write input");
    path
}

#[test]
fn a_malformed_csv_row_in_the_middle_fails_alone_and_the_rows_after_it_load() {
    // 2,001 rows; row 1,002 (line 1,003) has one field too many.
    let mut csv = String::from("email,firstname\n");
    for i in 0..2001 {
        if i == 1001 {
            csv.push_str(&format!("p{i}@example.com,Name,extra\n"));
        } else {
            csv.push_str(&format!("p{i}@example.com,Name {i}\n"));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "people.csv", csv.as_bytes());
    let report = dir.path().join("report.ndjson");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report).arg(&input));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("2001 records in") && stdout.contains("2000 created, 0 updated, 1 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "line 1003 (no id): MALFORMED_ROW: the row has 3 fields but the header has 2"
        ),
        "{stdout}"
    );
    let lines = outcomes(&report);
    assert_eq!(lines.len(), 2001, "one report line per row");
    assert_eq!(
        lines[1001],
        "1003 failed MALFORMED_ROW: the row has 3 fields but the header has 2"
    );
    assert_eq!(lines[1002], "1004 created");
    let stored = mock.contacts();
    assert_eq!(stored.len(), 2000);
    assert!(stored.contains_key("p2000@example.com"));
    assert!(!stored.contains_key("p1001@example.com"));
}

#[test]
fn malformed_ndjson_lines_fail_alone_and_the_lines_after_them_load() {
    let mut nd = String::new();
    for i in 0..300 {
        match i {
            100 => nd.push_str("{\"email\":\"p100@example.com\",\"firstname\":\"cut off\n"),
            150 => nd.push_str("[\"not\", \"an object\"]\n"),
            200 => nd.push_str("{\"email\":\"p200@example.com\",\"age\":3}\n"),
            _ => nd.push_str(&format!(
                "{{\"email\":\"p{i}@example.com\",\"firstname\":\"Name {i}\"}}\n"
            )),
        }
    }
    let mut bytes = nd.into_bytes();
    // Line 251 holds invalid UTF-8.
    let at = bytes
        .windows(14)
        .position(|w| w == b"\"Name 250\"}\n{\"")
        .expect("line 251");
    bytes.splice(at + 1..at + 5, *b"N\xffme");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "people.ndjson", &bytes);
    let report = dir.path().join("report.ndjson");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report).arg(&input));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let lines = outcomes(&report);
    assert_eq!(lines.len(), 300);
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains("failed")).collect();
    assert_eq!(
        failed,
        vec![
            "101 failed MALFORMED_ROW: not valid JSON: control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0",
            "151 failed MALFORMED_ROW: expected a JSON object, found an array",
            "201 failed MALFORMED_ROW: property `age` is a number, but HubSpot property values are strings; quote it (\"age\": \"...\"), and use \"\" to clear a value",
            "251 failed MALFORMED_ROW: invalid UTF-8 at byte 43; save the file as UTF-8",
        ]
    );
    assert_eq!(mock.contacts().len(), 296);
}

#[test]
fn max_bad_rows_stops_reading_where_it_should_with_every_row_read_reported() {
    // Bad rows on lines 5, 10, 15, 20, ... of 60 rows.
    let mut csv = String::from("email,firstname\n");
    for i in 0..60 {
        let line = i + 2;
        if line % 5 == 0 {
            csv.push_str(&format!("p{i}@example.com\n"));
        } else {
            csv.push_str(&format!("p{i}@example.com,Name {i}\n"));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "people.csv", csv.as_bytes());
    let report = dir.path().join("report.ndjson");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report)
        .args(["--max-bad-rows", "2"])
        .arg(&input));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("people.csv, line 15: reading stopped here, at malformed row 3 (--max-bad-rows 2); the rows after this line were not read"),
        "{stderr}"
    );
    // Lines 2..=15 were read: 14 rows, 3 of them malformed.
    assert!(
        stdout.contains("14 records in") && stdout.contains("11 created, 0 updated, 3 failed"),
        "{stdout}"
    );
    let lines = outcomes(&report);
    assert_eq!(lines.len(), 14);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("15 failed MALFORMED_ROW: the row has 1 fields but the header has 2")
    );
    assert_eq!(mock.contacts().len(), 11);

    // The dry run stops at the same place and says so.
    let out = run(Command::new(BIN)
        .env_remove("RUST_LOG")
        .args([
            "--dry-run",
            "-t",
            "contacts",
            "-i",
            "email",
            "--max-bad-rows",
            "2",
        ])
        .arg(&input));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("  records read:        14\n"), "{stdout}");
    assert!(
        stdout.contains("  malformed rows (not sent): 3\n      line 5: the row has 1 fields but the header has 2\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reading stopped here, at malformed row 3 (--max-bad-rows 2)"),
        "{stdout}"
    );

    // With no limit to speak of, every row is read.
    let all = dir.path().join("all.ndjson");
    let out = run(against(&mock, &all).arg(&input));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(report_lines(&all).len(), 60);
}

#[test]
fn malformed_rows_are_final_for_resume() {
    let mut csv = String::from("email,firstname\n");
    for i in 0..30 {
        if i % 10 == 3 {
            csv.push_str(&format!("p{i}@example.com,A,B\n"));
        } else {
            csv.push_str(&format!("p{i}@example.com,Name {i}\n"));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "people.csv", csv.as_bytes());
    let report = dir.path().join("report.ndjson");
    let journal = dir.path().join("journal");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report)
        .arg("--resume")
        .arg(&journal)
        .arg(&input));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let first = outcomes(&report);
    assert_eq!(first.len(), 30);
    // A second run with the same journal has nothing left to do, and reports nothing twice.
    let out = run(against(&mock, &report)
        .arg("--resume")
        .arg(&journal)
        .arg(&input));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("0 records in"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(outcomes(&report), first);
}

/// The outcomes of loading `input` (with `args`) into a fresh mock, and what it stored.
fn load(input: &Path, args: &[&str]) -> (Vec<String>, BTreeMap<String, BTreeMap<String, String>>) {
    let report = input.with_extension("report");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report).args(args).arg(input));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}{}",
        input.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
    (outcomes(&report), mock.contacts())
}

#[test]
fn compressed_and_delimited_files_load_as_the_plain_csv_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = contacts_csv(250, ',');
    let plain = load(&write(dir.path(), "people.csv", csv.as_bytes()), &[]);
    assert_eq!(plain.0.len(), 250);
    assert_eq!(plain.1.len(), 250);
    let sample = &plain.1["p1@example.com"];
    assert_eq!(sample["jobtitle"], "says \"hi\",; twice");
    assert_eq!(sample["city"], "Oslo");
    assert!(
        !plain.1["p0@example.com"].contains_key("city"),
        "empty cells left out"
    );

    let zstd = zstd::encode_all(csv.as_bytes(), 3).expect("zstd");
    let semicolons = contacts_csv(250, ';');
    let tabs = contacts_csv(250, '\t');
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            write(dir.path(), "people.csv.gz", &gzip(csv.as_bytes())),
            vec![],
        ),
        // A warehouse export's name says nothing: the magic bytes do.
        (
            write(dir.path(), "export_0_0_0", &gzip(csv.as_bytes())),
            vec!["--format", "csv"],
        ),
        (write(dir.path(), "people.csv.zst", &zstd), vec![]),
        (
            write(dir.path(), "semi.csv", semicolons.as_bytes()),
            vec!["--delimiter", ";"],
        ),
        (write(dir.path(), "people.tsv", tabs.as_bytes()), vec![]),
        (
            write(dir.path(), "tabs.csv.gz", &gzip(tabs.as_bytes())),
            vec!["--delimiter", "tab"],
        ),
    ];
    for (path, args) in cases {
        let loaded = load(&path, &args);
        assert!(
            loaded == plain,
            "{} loads as the plain CSV does",
            path.display()
        );
    }
}

#[test]
fn a_semicolon_file_without_the_delimiter_is_refused_with_the_flag_to_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write(dir.path(), "semi.csv", contacts_csv(3, ';').as_bytes());
    let report = dir.path().join("report.ndjson");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report).arg(&input));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("semi.csv, line 1: the header has no id column `email` (columns: email;firstname;city;jobtitle), but split on ';' it has: email, firstname, city, jobtitle; pass --delimiter ';'"),
        "{stderr}"
    );
    assert!(mock.contacts().is_empty());
}

#[test]
fn a_truncated_gzip_stream_is_a_fatal_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gz = gzip(contacts_csv(20_000, ',').as_bytes());
    gz.truncate(gz.len() / 2);
    let input = write(dir.path(), "export.csv.gz", &gz);
    let report = dir.path().join("report.ndjson");
    let mock = LocalMock::start();
    let out = run(against(&mock, &report).arg(&input));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("export.csv.gz, line ")
            && stderr.contains(": cannot decompress: the gzip data is truncated or corrupt ("),
        "{stderr}"
    );
    // What was read before the break is loaded and reported, each record once.
    let lines = report_lines(&report);
    assert!(!lines.is_empty());
    assert_eq!(lines.len(), mock.contacts().len());
}

#[cfg(feature = "parquet")]
mod parquet_files {
    use super::*;
    use std::sync::Arc;

    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    /// The records of [`contacts_csv`] as Parquet (string columns; an empty city is null),
    /// in row groups of 100.
    fn contacts_parquet(path: &Path, n: usize) {
        let schema = parse_message_type(
            "message contacts {
                required binary email (STRING);
                required binary firstname (STRING);
                optional binary city (STRING);
                required binary jobtitle (STRING);
            }",
        )
        .expect("schema");
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let mut writer = SerializedFileWriter::new(
            std::fs::File::create(path).expect("create"),
            Arc::new(schema),
            Arc::new(props),
        )
        .expect("writer");
        for start in (0..n).step_by(100) {
            let rows: Vec<usize> = (start..n.min(start + 100)).collect();
            let mut group = writer.next_row_group().expect("group");
            let mut column_index = 0;
            while let Some(mut column) = group.next_column().expect("column") {
                let values: Vec<ByteArray> = rows
                    .iter()
                    .filter(|i| column_index != 2 || **i % 7 != 0)
                    .map(|i| {
                        ByteArray::from(
                            match column_index {
                                0 => format!("p{i}@example.com"),
                                1 => format!("Name {i}"),
                                2 => "Oslo".to_string(),
                                _ => "says \"hi\",; twice".to_string(),
                            }
                            .into_bytes(),
                        )
                    })
                    .collect();
                let levels: Vec<i16> = rows.iter().map(|i| i16::from(i % 7 != 0)).collect();
                let def = (column_index == 2).then_some(&levels[..]);
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, def, None)
                    .expect("write");
                column.close().expect("close column");
                column_index += 1;
            }
            group.close().expect("close group");
        }
        writer.close().expect("close");
    }

    #[test]
    fn a_parquet_file_loads_as_the_plain_csv_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = load(
            &write(dir.path(), "people.csv", contacts_csv(250, ',').as_bytes()),
            &[],
        );
        let path = dir.path().join("people.parquet");
        contacts_parquet(&path, 250);
        let (outcomes, stored) = load(&path, &[]);
        assert_eq!(stored, plain.1);
        // Parquet rows are numbered from 1 (there is no header line).
        assert_eq!(outcomes.len(), 250);
        assert_eq!(outcomes[0], "1 created");
        // A dry run reads it too, and names the rows.
        let out = run(Command::new(BIN)
            .env_remove("RUST_LOG")
            .args(["--dry-run", "-t", "contacts", "-i", "email"])
            .arg(&path));
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert!(stdout.contains("  records to send:     250\n"), "{stdout}");
    }

    #[test]
    fn a_corrupt_parquet_file_is_a_fatal_error_naming_the_file_before_anything_is_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("people.parquet");
        contacts_parquet(&path, 250);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.truncate(bytes.len() - 100);
        let input = write(dir.path(), "cut.parquet", &bytes);
        let report = dir.path().join("report.ndjson");
        let mock = LocalMock::start();
        let out = run(against(&mock, &report).arg(&input));
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("cut.parquet: not a readable Parquet file: "),
            "{stderr}"
        );
        assert!(mock.contacts().is_empty());
    }
}
