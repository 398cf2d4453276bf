//! Streaming readers for the two input formats, CSV and NDJSON, and the record they yield.
//!
//! Both readers hold one record at a time, so memory does not grow with the file. Structural
//! problems (a ragged row, invalid UTF-8, a line over [`line_guard::MAX_LINE_BYTES`], an empty
//! file) are fatal [`InputError`]s naming the input and the line; a record without an id is
//! not fatal and is yielded with `id: None`, for the caller to report.

mod csv_reader;
mod line_guard;
mod ndjson_reader;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub use csv_reader::CsvRecords;
pub use line_guard::{LineGuard, LineTooLong, MAX_LINE_BYTES};
pub use ndjson_reader::{NdjsonLine, NdjsonRecords};

/// Size of the read buffer put in front of files and stdin.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// One record read from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRecord {
    /// 0-based position among the records of the input (the header row is not a record).
    pub index: u64,
    /// 1-based line of the input where the record starts.
    pub line: u64,
    /// The value of the id property, trimmed; `None` when missing or blank.
    pub id: Option<String>,
    /// Property name and value pairs, in input order, without the id column.
    pub properties: Vec<(String, String)>,
}

/// The two input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Comma-separated values with a header row naming the properties.
    Csv,
    /// One JSON object per line: `{"id": .., "properties": {..}}` or a flat object.
    Ndjson,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "CSV",
            InputFormat::Ndjson => "NDJSON",
        })
    }
}

impl InputFormat {
    /// The format a file name's extension implies, if it implies one.
    pub fn from_extension(path: &Path) -> Option<InputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(InputFormat::Csv),
            "ndjson" | "jsonl" | "json" => Some(InputFormat::Ndjson),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of the input: a `{` means NDJSON.
    fn sniff(first_bytes: &[u8]) -> InputFormat {
        let first = first_bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(first_bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        match first {
            Some(b'{') => InputFormat::Ndjson,
            _ => InputFormat::Csv,
        }
    }
}

/// Where the input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// Standard input, named `-` on the command line.
    Stdin,
    /// A file.
    Path(PathBuf),
}

impl InputSource {
    /// Reads the command-line form: `-` is stdin, anything else a path.
    pub fn from_arg(arg: &Path) -> InputSource {
        if arg == Path::new("-") {
            InputSource::Stdin
        } else {
            InputSource::Path(arg.to_path_buf())
        }
    }
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSource::Stdin => f.write_str("stdin"),
            InputSource::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// How to read records out of the input.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The format, or `None` to go by extension and then by content.
    pub format: Option<InputFormat>,
    /// The CSV column or flat-NDJSON key holding each record's id.
    pub id_column: String,
    /// Send empty CSV cells as empty strings (clearing the property) instead of leaving them out.
    pub send_empty_cells: bool,
}

/// A fatal problem with the input, naming the input and, when known, the line.
#[derive(Debug, thiserror::Error)]
#[error("{input}{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct InputError {
    /// The input's name: a path, or `stdin`.
    pub input: String,
    /// 1-based line where the problem is, when it is in one.
    pub line: Option<u64>,
    /// What is wrong.
    pub problem: InputProblem,
}

/// What is wrong with an input.
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    /// The input could not be read.
    #[error("cannot read: {0}")]
    Io(#[source] io::Error),
    /// The input holds no bytes, or only blank lines.
    #[error("the input is empty (expected {0})")]
    Empty(&'static str),
    /// A CSV file has its header row but no record after it.
    #[error("the CSV file has a header row but no records")]
    NoRecords,
    /// A physical line is over the length limit.
    #[error("the line is longer than {limit} bytes (is the input really CSV or NDJSON?)")]
    LineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8 {where_}; save the file as UTF-8")]
    InvalidUtf8 {
        /// Which field or byte offset.
        where_: String,
    },
    /// A CSV row whose number of fields differs from the header's.
    #[error("the row has {found} fields but the header has {expected}")]
    Ragged {
        /// Fields in this row.
        found: usize,
        /// Fields in the header row.
        expected: usize,
    },
    /// The header row lacks the id column.
    #[error(
        "the header has no id column `{column}` (columns: {available}); name it with --id-column"
    )]
    MissingIdColumn {
        /// The column looked for.
        column: String,
        /// The columns present, comma-separated.
        available: String,
    },
    /// Two header cells with the same name.
    #[error("column `{0}` appears twice in the header")]
    DuplicateColumn(String),
    /// A header cell that is blank.
    #[error("column {0} of the header has no name")]
    BlankColumn(usize),
    /// The CSV parser rejected the data.
    #[error("malformed CSV: {0}")]
    Csv(String),
    /// A line that is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// A JSON line that is not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// A property value that is not a JSON string.
    #[error(
        "property `{key}` is {kind}, but HubSpot property values are strings; quote it (\"{key}\": \"...\"), and use \"\" to clear a value"
    )]
    NonStringValue {
        /// The property name.
        key: String,
        /// What JSON type it has.
        kind: &'static str,
    },
    /// The `{"id":..,"properties":{..}}` form with a bad member.
    #[error("{0}")]
    BadShape(String),
}

impl InputError {
    pub(crate) fn new(input: &str, line: Option<u64>, problem: InputProblem) -> InputError {
        InputError {
            input: input.to_string(),
            line,
            problem,
        }
    }

    /// Turns an I/O error from the guarded reader into an input error with its line.
    pub(crate) fn from_io(input: &str, line: Option<u64>, err: io::Error) -> InputError {
        match LineTooLong::from_io(&err) {
            Some(long) => InputError::new(
                input,
                Some(long.line),
                InputProblem::LineTooLong { limit: long.limit },
            ),
            None => InputError::new(input, line, InputProblem::Io(err)),
        }
    }
}

/// A streaming reader of either format, yielding records one at a time.
pub enum RecordReader {
    /// Reading CSV.
    Csv(CsvRecords<Box<dyn Read + Send>>),
    /// Reading NDJSON.
    Ndjson(NdjsonRecords<Box<dyn BufRead + Send>>),
}

impl RecordReader {
    /// The format being read.
    pub fn format(&self) -> InputFormat {
        match self {
            RecordReader::Csv(_) => InputFormat::Csv,
            RecordReader::Ndjson(_) => InputFormat::Ndjson,
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RecordReader::Csv(r) => r.next(),
            RecordReader::Ndjson(r) => r.next(),
        }
    }
}

/// Opens the input and picks its format: `--format`, else the extension, else the content.
pub fn open(source: &InputSource, options: &ReadOptions) -> Result<RecordReader, InputError> {
    let name = source.to_string();
    let raw: Box<dyn Read + Send> = match source {
        InputSource::Stdin => Box::new(io::stdin()),
        InputSource::Path(path) => Box::new(
            File::open(path).map_err(|e| InputError::new(&name, None, InputProblem::Io(e)))?,
        ),
    };
    let by_extension = match source {
        InputSource::Path(p) => InputFormat::from_extension(p),
        InputSource::Stdin => None,
    };
    from_reader(raw, &name, options, by_extension)
}

/// Builds a reader over any byte source; `name` labels errors.
pub fn from_reader(
    raw: Box<dyn Read + Send>,
    name: &str,
    options: &ReadOptions,
    by_extension: Option<InputFormat>,
) -> Result<RecordReader, InputError> {
    let mut buffered =
        BufReader::with_capacity(READ_BUFFER_BYTES, LineGuard::new(raw, MAX_LINE_BYTES));
    let format = match options.format.or(by_extension) {
        Some(f) => f,
        None => {
            let head = buffered
                .fill_buf()
                .map_err(|e| InputError::from_io(name, Some(1), e))?;
            InputFormat::sniff(head)
        }
    };
    tracing::debug!(input = name, %format, "reading input");
    Ok(match format {
        InputFormat::Csv => RecordReader::Csv(CsvRecords::new(
            Box::new(buffered) as Box<dyn Read + Send>,
            name,
            &options.id_column,
            options.send_empty_cells,
        )?),
        InputFormat::Ndjson => RecordReader::Ndjson(NdjsonRecords::new(
            Box::new(buffered) as Box<dyn BufRead + Send>,
            name,
            &options.id_column,
        )),
    })
}

/// Counts the records of a file cheaply (no UTF-8 or JSON checks), to give the progress bar a
/// total. Returns `None` for stdin or when the count cannot be made.
pub fn count_records(source: &InputSource, format: InputFormat) -> Option<u64> {
    let InputSource::Path(path) = source else {
        return None;
    };
    let file = File::open(path).ok()?;
    let reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
    match format {
        InputFormat::Csv => {
            let mut csv = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(reader);
            let mut record = csv::ByteRecord::new();
            let mut n = 0u64;
            while csv.read_byte_record(&mut record).ok()? {
                n += 1;
            }
            Some(n)
        }
        InputFormat::Ndjson => {
            let mut n = 0u64;
            for line in reader.split(b'\n') {
                if !line.ok()?.iter().all(u8::is_ascii_whitespace) {
                    n += 1;
                }
            }
            Some(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(format: Option<InputFormat>) -> ReadOptions {
        ReadOptions {
            format,
            id_column: "email".into(),
            send_empty_cells: false,
        }
    }

    fn read_all(data: &'static [u8], format: Option<InputFormat>) -> Vec<InputRecord> {
        from_reader(Box::new(data), "test", &options(format), None)
            .expect("opens")
            .collect::<Result<Vec<_>, _>>()
            .expect("reads")
    }

    #[test]
    fn extension_picks_the_format() {
        assert_eq!(
            InputFormat::from_extension(Path::new("a/b.CSV")),
            Some(InputFormat::Csv)
        );
        assert_eq!(
            InputFormat::from_extension(Path::new("x.jsonl")),
            Some(InputFormat::Ndjson)
        );
        assert_eq!(InputFormat::from_extension(Path::new("x.txt")), None);
    }

    #[test]
    fn content_sniffing_tells_ndjson_from_csv() {
        let ndjson = read_all(b"\n  {\"email\":\"a@x.io\",\"name\":\"A\"}\n", None);
        assert_eq!(ndjson[0].id.as_deref(), Some("a@x.io"));
        assert_eq!(ndjson[0].line, 2);
        let csv = read_all(b"email,name\na@x.io,A\n", None);
        assert_eq!(csv[0].properties, vec![("name".into(), "A".into())]);
    }

    #[test]
    fn explicit_format_wins_over_content() {
        let err = from_reader(
            Box::new(&b"{\"email\":\"a\"}\n"[..]),
            "t",
            &options(Some(InputFormat::Csv)),
            None,
        )
        .err()
        .expect("a one-column CSV header without the id column `email`");
        assert!(matches!(err.problem, InputProblem::MissingIdColumn { .. }));
    }

    #[test]
    fn error_display_names_input_and_line() {
        let err = InputError::new(
            "people.csv",
            Some(7),
            InputProblem::Ragged {
                found: 2,
                expected: 3,
            },
        );
        assert_eq!(
            err.to_string(),
            "people.csv, line 7: the row has 2 fields but the header has 3"
        );
    }

    #[test]
    fn counts_records_of_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("a.csv");
        std::fs::write(&csv, "email,name\na,\"multi\nline\"\nb,B\n").expect("write");
        assert_eq!(
            count_records(&InputSource::Path(csv), InputFormat::Csv),
            Some(2)
        );
        let nd = dir.path().join("a.ndjson");
        std::fs::write(&nd, "{}\n\n{}\n{}").expect("write");
        assert_eq!(
            count_records(&InputSource::Path(nd), InputFormat::Ndjson),
            Some(3)
        );
        assert_eq!(count_records(&InputSource::Stdin, InputFormat::Csv), None);
    }
}
