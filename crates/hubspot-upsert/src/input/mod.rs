//! Streaming readers for the input formats, CSV (any of its delimiters), NDJSON and Parquet,
//! gzip- or zstd-compressed or not, and the record they yield.
//!
//! Every reader holds one record (for Parquet, one row group's pages) at a time, so memory
//! does not grow with the file. A malformed row (a CSV row with the wrong number of fields, an
//! NDJSON line that is not a JSON object, invalid UTF-8, a line over
//! [`line_guard::MAX_LINE_BYTES`]) is that row's [`InputError`], carrying the index the row
//! takes among the records, and reading goes on; `--max-bad-rows` ([`BadRowLimit`]) bounds
//! how many. A problem with the input as a whole (not the format at all, a header that cannot
//! be parsed, an empty file, a truncated compressed stream) is a fatal [`InputError`] naming
//! the input and the line. A record without an id is not an input error: it is yielded with
//! `id: None`, for the caller to report.

mod bad_rows;
mod csv_reader;
mod decompress;
mod dialect;
mod line_guard;
mod ndjson_reader;
#[cfg(feature = "parquet")]
mod parquet_reader;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

pub use bad_rows::{BadRowLimit, DEFAULT_MAX_BAD_ROWS};
pub use csv_reader::CsvRecords;
pub use decompress::{Compression, DecompressError};
pub use dialect::parse_delimiter;
pub use line_guard::{LineGuard, LineLedger, MAX_LINE_BYTES};
pub use ndjson_reader::{NdjsonLine, NdjsonRecords};
#[cfg(feature = "parquet")]
pub use parquet_reader::ParquetRecords;

use decompress::{MAGIC_BYTES, without_compression_extension};

/// Size of the read buffer put in front of files and stdin.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// The first bytes of a Parquet file (and its last).
const PARQUET_MAGIC: &[u8] = b"PAR1";
/// The first bytes of a ZIP archive, such as an `.xlsx` workbook.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// One record read from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRecord {
    /// 0-based position among the records of the input (the header row is not a record; a
    /// malformed row is one).
    pub index: u64,
    /// 1-based line of the input where the record starts (for Parquet, its row number).
    pub line: u64,
    /// The value of the id property, trimmed; `None` when missing or blank.
    pub id: Option<String>,
    /// Property name and value pairs, in input order, without the id column.
    pub properties: Vec<(String, String)>,
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Delimiter-separated values with a header row naming the properties (see --delimiter).
    Csv,
    /// One JSON object per line: `{"id": .., "properties": {..}}` or a flat object.
    Ndjson,
    /// Apache Parquet: each column a property, typed values written as HubSpot reads them.
    Parquet,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "CSV",
            InputFormat::Ndjson => "NDJSON",
            InputFormat::Parquet => "Parquet",
        })
    }
}

impl InputFormat {
    /// The format a file name's extension implies, if it implies one; a compression
    /// extension is looked through (`people.csv.gz` is CSV).
    pub fn from_extension(path: &Path) -> Option<InputFormat> {
        let ext = without_compression_extension(path)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" => Some(InputFormat::Csv),
            "ndjson" | "jsonl" | "json" => Some(InputFormat::Ndjson),
            "parquet" => Some(InputFormat::Parquet),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of the text: a `{` means NDJSON.
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
    /// The CSV column, flat-NDJSON key or Parquet column holding each record's id.
    pub id_column: String,
    /// Send empty CSV cells (and Parquet nulls) as empty strings, clearing the property,
    /// instead of leaving them out.
    pub send_empty_cells: bool,
    /// The CSV field delimiter, or `None` for a tab in `.tsv` files and a comma otherwise.
    pub delimiter: Option<u8>,
    /// Malformed rows passed on as row errors before reading stops.
    pub max_bad_rows: u64,
}

/// What an input's name says about it: its format, compression and delimiter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameHints {
    /// The format its extension names.
    pub format: Option<InputFormat>,
    /// The compression its last extension names.
    pub compression: Option<Compression>,
    /// The delimiter its extension implies (a tab for `.tsv`).
    pub delimiter: Option<u8>,
}

impl NameHints {
    /// What a file's name says.
    pub fn from_path(path: &Path) -> NameHints {
        NameHints {
            format: InputFormat::from_extension(path),
            compression: Compression::from_extension(path),
            delimiter: dialect::delimiter_from_extension(path),
        }
    }
}

/// A problem with the input, naming the input and, when known, the line.
#[derive(Debug, thiserror::Error)]
#[error("{input}{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct InputError {
    /// The input's name: a path, or `stdin`.
    pub input: String,
    /// 1-based line where the problem is, when it is in one (for Parquet, the row number).
    pub line: Option<u64>,
    /// What is wrong.
    pub problem: InputProblem,
    /// For a malformed row: the index the row takes among the records. Reading goes on after
    /// such an error; after any other, the input ends.
    pub row_index: Option<u64>,
}

/// What is wrong with an input.
#[derive(Debug, thiserror::Error)]
// Without the `parquet` feature the Parquet problems are never raised.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub enum InputProblem {
    /// The input could not be read.
    #[error("cannot read: {0}")]
    Io(#[source] io::Error),
    /// A compressed input whose stream breaks off or is corrupt.
    #[error("cannot decompress: {0}")]
    Decompress(DecompressError),
    /// The name says compressed, the content says otherwise.
    #[error("the name ends in .{ext} but the content is not {codec}-compressed; rename the file")]
    NotCompressed {
        /// The extension.
        ext: String,
        /// The compression it names.
        codec: Compression,
    },
    /// Bytes no text file holds.
    #[error("{0}")]
    NotText(&'static str),
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
    /// The header row lacks the id column, but another delimiter splits it into columns that
    /// include it.
    #[error("{0}")]
    OtherDelimiter(Box<DelimiterHint>),
    /// The first line of NDJSON input is not JSON: the input is not NDJSON at all.
    #[error("{0}; is the input really NDJSON?")]
    NotNdjson(Box<InputProblem>),
    /// A Parquet file without the id column.
    #[error(
        "the Parquet file has no id column `{column}` (columns: {available}); name it with --id-column"
    )]
    NoIdColumn {
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
    /// A Parquet file that cannot be read: its footer, schema or a page.
    #[error("not a readable Parquet file: {0}")]
    Parquet(String),
    /// A Parquet column that cannot be a HubSpot property.
    #[error("Parquet column `{column}` {problem}")]
    ParquetColumn {
        /// The column.
        column: String,
        /// Why it cannot be read.
        problem: String,
    },
    /// Parquet where only a file will do.
    #[error("{0}")]
    ParquetNeedsAFile(&'static str),
    /// A typed value with no HubSpot text (`NaN`, bytes that are not UTF-8).
    #[error("column `{column}`: {reason}")]
    UnwritableValue {
        /// The column.
        column: String,
        /// Why it has no text.
        reason: String,
    },
    /// More malformed rows than `--max-bad-rows` allows.
    #[error(
        "reading stopped here, at malformed row {count} (--max-bad-rows {limit}); the rows after this line were not read"
    )]
    TooManyBadRows {
        /// Malformed rows read, this one included.
        count: u64,
        /// The limit.
        limit: u64,
    },
}

/// A header read with the wrong delimiter, and the one to pass.
#[derive(Debug, thiserror::Error)]
#[error(
    "the header has no id column `{column}` (columns: {available}), but split on {delimiter} it has: {split}; pass --delimiter {delimiter}"
)]
pub struct DelimiterHint {
    /// The column looked for.
    pub column: String,
    /// The columns present, comma-separated.
    pub available: String,
    /// The delimiter to pass, as typed in a shell.
    pub delimiter: String,
    /// The columns under that delimiter, comma-separated.
    pub split: String,
}

impl InputError {
    /// A problem with the input as a whole: reading ends here.
    pub(crate) fn new(input: &str, line: Option<u64>, problem: InputProblem) -> InputError {
        InputError {
            input: input.to_string(),
            line,
            problem,
            row_index: None,
        }
    }

    /// A malformed row, the record at `index`: reading goes on.
    pub(crate) fn row(input: &str, index: u64, line: u64, problem: InputProblem) -> InputError {
        InputError {
            input: input.to_string(),
            line: Some(line),
            problem,
            row_index: Some(index),
        }
    }

    /// Turns an I/O error from the reading stack into an input error with its line.
    pub(crate) fn from_io(input: &str, line: Option<u64>, err: io::Error) -> InputError {
        match DecompressError::from_io(&err) {
            Some(found) => InputError::new(input, line, InputProblem::Decompress(found.clone())),
            None => InputError::new(input, line, InputProblem::Io(err)),
        }
    }
}

/// The readers of each format.
enum Rows {
    Csv(CsvRecords<Box<dyn Read + Send>>),
    Ndjson(NdjsonRecords<Box<dyn BufRead + Send>>),
    #[cfg(feature = "parquet")]
    Parquet(ParquetRecords),
}

/// A streaming reader of any format, yielding records one at a time, malformed rows as row
/// errors up to the `--max-bad-rows` limit.
pub struct RecordReader {
    format: InputFormat,
    rows: BadRowLimit<Rows>,
}

impl RecordReader {
    fn new(format: InputFormat, rows: Rows, max_bad_rows: u64) -> RecordReader {
        RecordReader {
            format,
            rows: BadRowLimit::new(rows, max_bad_rows),
        }
    }

    /// The format being read.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// How many records the input holds, when that is known without reading it (Parquet
    /// files say so in their footer).
    pub fn known_total(&self) -> Option<u64> {
        match self.rows.get_ref() {
            #[cfg(feature = "parquet")]
            Rows::Parquet(p) => Some(p.total_rows()),
            _ => None,
        }
    }
}

impl Iterator for Rows {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Rows::Csv(r) => r.next(),
            Rows::Ndjson(r) => r.next(),
            #[cfg(feature = "parquet")]
            Rows::Parquet(r) => r.next(),
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// Opens the input and picks its format: `--format`, else the extension, else the content;
/// gzip and zstd are recognised by their first bytes and decompressed as they are read.
pub fn open(source: &InputSource, options: &ReadOptions) -> Result<RecordReader, InputError> {
    let name = source.to_string();
    match source {
        InputSource::Stdin => {
            from_reader(Box::new(io::stdin()), &name, options, NameHints::default())
        }
        InputSource::Path(path) => {
            let hints = NameHints::from_path(path);
            let io_error = |e| InputError::new(&name, None, InputProblem::Io(e));
            let mut file = File::open(path).map_err(io_error)?;
            let mut head = [0u8; MAGIC_BYTES];
            let n = read_up_to(&mut file, &mut head).map_err(io_error)?;
            let head = &head[..n];
            // Parquet is read from the file itself: its index is at the end.
            let is_parquet = match options.format {
                Some(format) => format == InputFormat::Parquet,
                None => {
                    head == PARQUET_MAGIC
                        || (hints.format == Some(InputFormat::Parquet)
                            && Compression::from_magic(head).is_none())
                }
            };
            if is_parquet {
                return open_parquet(path, &name, options);
            }
            file.rewind().map_err(io_error)?;
            from_reader(Box::new(file), &name, options, hints)
        }
    }
}

#[cfg(feature = "parquet")]
fn open_parquet(
    path: &Path,
    name: &str,
    options: &ReadOptions,
) -> Result<RecordReader, InputError> {
    let rows = ParquetRecords::open(path, name, &options.id_column, options.send_empty_cells)?;
    tracing::debug!(
        input = name,
        rows = rows.total_rows(),
        "reading Parquet input"
    );
    Ok(RecordReader::new(
        InputFormat::Parquet,
        Rows::Parquet(rows),
        options.max_bad_rows,
    ))
}

#[cfg(not(feature = "parquet"))]
fn open_parquet(_: &Path, name: &str, _: &ReadOptions) -> Result<RecordReader, InputError> {
    Err(InputError::new(
        name,
        None,
        InputProblem::ParquetNeedsAFile(
            "this hubspot-upsert was built without Parquet support (the `parquet` feature); rebuild it with default features",
        ),
    ))
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn read_up_to(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match source.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Builds a reader of text records (CSV or NDJSON, compressed or not) over any byte source;
/// `name` labels errors and `hints` are what the input's name says about it.
pub fn from_reader(
    raw: Box<dyn Read + Send>,
    name: &str,
    options: &ReadOptions,
    hints: NameHints,
) -> Result<RecordReader, InputError> {
    let (head, raw) =
        decompress::peek(raw, MAGIC_BYTES).map_err(|e| InputError::from_io(name, Some(1), e))?;
    let compression = Compression::from_magic(&head);
    if let Some(named) = hints.compression
        && compression != Some(named)
    {
        let ext = match named {
            Compression::Gzip => "gz",
            Compression::Zstd => "zst",
        };
        return Err(InputError::new(
            name,
            None,
            InputProblem::NotCompressed {
                ext: ext.into(),
                codec: named,
            },
        ));
    }
    let text: Box<dyn Read + Send> = match compression {
        Some(codec) => {
            tracing::debug!(input = name, %codec, "decompressing input");
            codec
                .decoder(raw)
                .map_err(|e| InputError::from_io(name, Some(1), e))?
        }
        None if head.starts_with(PARQUET_MAGIC) || options.format == Some(InputFormat::Parquet) => {
            return Err(InputError::new(
                name,
                None,
                InputProblem::ParquetNeedsAFile(
                    "the input is Parquet, which is read only from a file named by its path (its index is at the end of the file), with --format parquet or no --format",
                ),
            ));
        }
        None => raw,
    };
    let (text_head, text) = peek_text(text).map_err(|e| InputError::from_io(name, Some(1), e))?;
    if let Some(problem) = not_text(&head, &text_head, compression.is_some()) {
        return Err(InputError::new(name, None, InputProblem::NotText(problem)));
    }
    let format = match options.format.or(hints.format) {
        Some(InputFormat::Parquet) => {
            return Err(InputError::new(
                name,
                None,
                InputProblem::ParquetNeedsAFile(
                    "Parquet is read from an uncompressed file only (its index is at the end of the file); decompress it first",
                ),
            ));
        }
        Some(f) => f,
        None => InputFormat::sniff(&text_head),
    };
    tracing::debug!(input = name, %format, "reading input");
    let rows = match format {
        InputFormat::Csv => {
            let ledger = LineLedger::every_line();
            let guarded = LineGuard::new(text, MAX_LINE_BYTES, ledger.clone());
            Rows::Csv(CsvRecords::with_dialect(
                Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, guarded))
                    as Box<dyn Read + Send>,
                name,
                &options.id_column,
                options.send_empty_cells,
                options.delimiter.or(hints.delimiter).unwrap_or(b','),
                Some(ledger),
            )?)
        }
        InputFormat::Ndjson | InputFormat::Parquet => {
            let ledger = LineLedger::cut_lines();
            let guarded = LineGuard::new(text, MAX_LINE_BYTES, ledger.clone());
            Rows::Ndjson(NdjsonRecords::with_cut_lines(
                Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, guarded))
                    as Box<dyn BufRead + Send>,
                name,
                &options.id_column,
                ledger,
            ))
        }
    };
    Ok(RecordReader::new(format, rows, options.max_bad_rows))
}

/// How much text is looked at to tell the format and whether the input is text at all.
const TEXT_PEEK_BYTES: usize = 8 * 1024;

/// Reads the start of the text, through its first non-blank line (at most
/// [`TEXT_PEEK_BYTES`], fewer at its end), and gives it back with a reader of the whole text.
fn peek_text(mut source: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::new();
    let mut chunk = [0u8; TEXT_PEEK_BYTES];
    while head.len() < TEXT_PEEK_BYTES {
        let n = match source.read(&mut chunk[..TEXT_PEEK_BYTES - head.len()]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(&chunk[..n]);
        let content = head.iter().position(|b| !b.is_ascii_whitespace());
        if content.is_some_and(|start| head[start..].contains(&b'\n')) {
            break;
        }
    }
    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(source));
    Ok((head, rest))
}

/// Why input whose raw first bytes are `raw_head` and whose first text is `text_head` is not
/// CSV or NDJSON at all, if it is not.
fn not_text(raw_head: &[u8], text_head: &[u8], compressed: bool) -> Option<&'static str> {
    if !compressed && raw_head.starts_with(ZIP_MAGIC) {
        return Some(
            "the input is a ZIP archive (an .xlsx workbook?), not text; save the sheet as CSV (UTF-8)",
        );
    }
    if text_head.starts_with(b"\xFF\xFE") || text_head.starts_with(b"\xFE\xFF") {
        return Some("the input is UTF-16 text; save the file as UTF-8");
    }
    if text_head.contains(&0) {
        return Some(
            "the input holds NUL bytes, so it is binary, not CSV or NDJSON text (is it another format, or compressed in a way not read here?)",
        );
    }
    None
}

/// Counts the records of a file cheaply (no UTF-8 or JSON checks), to give the progress bar a
/// total. Returns `None` for stdin, for compressed files (counting would decompress them
/// twice) or when the count cannot be made.
pub fn count_records(source: &InputSource, format: InputFormat) -> Option<u64> {
    let InputSource::Path(path) = source else {
        return None;
    };
    let mut file = File::open(path).ok()?;
    let mut head = [0u8; MAGIC_BYTES];
    let n = read_up_to(&mut file, &mut head).ok()?;
    if Compression::from_magic(&head[..n]).is_some() || format == InputFormat::Parquet {
        return None;
    }
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
        InputFormat::Parquet => None,
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
            delimiter: None,
            max_bad_rows: DEFAULT_MAX_BAD_ROWS,
        }
    }

    fn read_all(data: &'static [u8], format: Option<InputFormat>) -> Vec<InputRecord> {
        from_reader(
            Box::new(data),
            "test",
            &options(format),
            NameHints::default(),
        )
        .expect("opens")
        .collect::<Result<Vec<_>, _>>()
        .expect("reads")
    }

    /// Writes `content` to `name` in a new directory and opens it as the CLI does.
    fn open_file(name: &str, content: &[u8], options: &ReadOptions) -> Result<Vec<String>, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let reader = open(&InputSource::Path(path), options).map_err(|e| {
            e.to_string()
                .replace(&dir.path().display().to_string(), "<dir>")
        })?;
        Ok(reader
            .map(|item| match item {
                Ok(r) => format!("{} {:?}", r.id.unwrap_or_default(), r.properties),
                Err(e) => e
                    .to_string()
                    .replace(&dir.path().display().to_string(), "<dir>"),
            })
            .collect())
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("gzip");
        enc.finish().expect("gzip")
    }

    const PEOPLE: &[u8] = b"email,firstname\na@x.io,Ada\nb@x.io,Bob\n";

    #[test]
    fn compressed_files_read_as_their_plain_text_whatever_their_name() {
        let plain = open_file("p.csv", PEOPLE, &options(None)).expect("plain");
        assert_eq!(plain.len(), 2);
        let zstd = zstd::encode_all(PEOPLE, 3).expect("zstd");
        for (name, content) in [
            ("p.csv.gz", gzip(PEOPLE)),
            ("p.gz", gzip(PEOPLE)),
            ("p.csv", gzip(PEOPLE)),
            ("p.csv.zst", zstd.clone()),
            ("export_0_0_0", zstd),
        ] {
            assert_eq!(
                open_file(name, &content, &options(None)).as_ref(),
                Ok(&plain),
                "{name}"
            );
        }
        let nd = gzip(b"{\"email\":\"a@x.io\",\"firstname\":\"Ada\"}\n");
        assert_eq!(
            open_file("p.ndjson.gz", &nd, &options(None)).expect("ndjson")[0],
            "a@x.io [(\"firstname\", \"Ada\")]"
        );
    }

    #[test]
    fn compressed_standard_input_is_recognised_by_its_first_bytes() {
        for compressed in [gzip(PEOPLE), zstd::encode_all(PEOPLE, 3).expect("zstd")] {
            let records: Vec<InputRecord> = from_reader(
                Box::new(io::Cursor::new(compressed)),
                "stdin",
                &options(None),
                NameHints::default(),
            )
            .expect("opens")
            .collect::<Result<_, _>>()
            .expect("reads");
            assert_eq!(records.len(), 2);
            assert_eq!(records[1].id.as_deref(), Some("b@x.io"));
            assert_eq!(records[1].line, 3);
        }
    }

    #[test]
    fn a_truncated_compressed_stream_is_a_fatal_error_naming_the_file() {
        let mut rows = b"email,firstname\n".to_vec();
        for i in 0..50_000 {
            rows.extend(format!("p{i}@x.io,Name {i}\n").bytes());
        }
        let mut gz = gzip(&rows);
        gz.truncate(gz.len() * 2 / 3);
        let items = open_file("big.csv.gz", &gz, &options(None)).expect("the start reads");
        let last = items.last().expect("an error at the end");
        assert!(
            last.starts_with("<dir>/big.csv.gz, line ")
                && last.contains(": cannot decompress: the gzip data is truncated or corrupt ("),
            "{last}"
        );
        assert!(items.len() > 100, "the records before the break are read");
    }

    #[test]
    fn a_compression_extension_over_plain_content_is_refused() {
        assert_eq!(
            open_file("p.csv.gz", PEOPLE, &options(None)),
            Err("<dir>/p.csv.gz: the name ends in .gz but the content is not gzip-compressed; rename the file".into())
        );
    }

    #[test]
    fn tsv_files_and_the_delimiter_option() {
        let tsv = b"email\tfirstname\na@x.io\tAda, Countess\n";
        assert_eq!(
            open_file("p.tsv", tsv, &options(None)).expect("tsv"),
            vec!["a@x.io [(\"firstname\", \"Ada, Countess\")]"]
        );
        let semi = b"email;firstname\na@x.io;Ada\n";
        let err = open_file("p.csv", semi, &options(None)).expect_err("comma by default");
        assert!(err.ends_with("pass --delimiter ';'"), "{err}");
        let mut with = options(None);
        with.delimiter = Some(b';');
        assert_eq!(
            open_file("p.csv", semi, &with).expect("semicolon"),
            vec!["a@x.io [(\"firstname\", \"Ada\")]"]
        );
    }

    #[test]
    fn binary_input_is_refused_before_any_record() {
        for (content, expected) in [
            (
                &b"PK\x03\x04\x14\x00\x06\x00"[..],
                "a ZIP archive (an .xlsx workbook?)",
            ),
            (&b"\xFF\xFEe\x00m\x00"[..], "UTF-16 text"),
            (&b"email\x00,x\n"[..], "holds NUL bytes"),
        ] {
            let err = open_file("p.csv", content, &options(None)).expect_err("binary");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn parquet_needs_a_file() {
        let err = from_reader(
            Box::new(&b"PAR1\x15\x04"[..]),
            "stdin",
            &options(None),
            NameHints::default(),
        )
        .err()
        .expect("refused");
        assert!(
            err.to_string()
                .starts_with("stdin: the input is Parquet, which is read only from a file"),
            "{err}"
        );
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
        assert_eq!(
            InputFormat::from_extension(Path::new("x.tsv.gz")),
            Some(InputFormat::Csv)
        );
        assert_eq!(
            InputFormat::from_extension(Path::new("x.PARQUET")),
            Some(InputFormat::Parquet)
        );
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
            NameHints::default(),
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
