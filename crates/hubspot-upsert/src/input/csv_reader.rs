//! Reads CSV with a header row: each header cell names a property, one column holds the id.
//! The delimiter is a comma unless told otherwise (`;`, tab, `|`).

use std::collections::VecDeque;
use std::io::Read;

use super::dialect::{better_delimiter, delimiter_arg};
use super::line_guard::LineLedger;
use super::{DelimiterHint, InputError, InputProblem, InputRecord};

/// A streaming CSV reader yielding one [`InputRecord`] per row, and a row error per
/// malformed row.
///
/// Line numbers come from the [`LineLedger`] of the [`super::LineGuard`] under it, not from
/// the csv crate, which numbers a record from the end of the one before it (so blank lines
/// before a record, and `\r\n` line endings, would put it on an earlier line).
pub struct CsvRecords<R: Read> {
    reader: csv::Reader<R>,
    input: String,
    /// Header cells, trimmed.
    columns: Vec<String>,
    /// Index of the id column in `columns`.
    id_index: usize,
    send_empty_cells: bool,
    ledger: Option<LineLedger>,
    row: csv::ByteRecord,
    /// Items ready to yield: malformed rows found before the record read last, then it.
    ready: VecDeque<Result<InputRecord, InputError>>,
    next_index: u64,
    finished: bool,
}

/// Where a record starts, and the cut lines around it.
struct Located {
    /// The line of its first byte.
    line: u64,
    /// Cut lines before it, in the gap since the record before: each a malformed row.
    cut_before: Vec<(u64, usize)>,
    /// A cut line inside it (a quoted field across lines): the record is malformed.
    cut_inside: Option<usize>,
}

impl<R: Read> CsvRecords<R> {
    /// Reads and checks the header row of comma-separated `source`, numbering lines as the
    /// csv crate does; `input` names it in errors.
    #[cfg(test)]
    pub fn new(
        source: R,
        input: &str,
        id_column: &str,
        send_empty_cells: bool,
    ) -> Result<Self, InputError> {
        Self::with_dialect(source, input, id_column, send_empty_cells, b',', None)
    }

    /// Reads and checks the header row of `source` separated by `delimiter`, whose lines a
    /// [`super::LineGuard`] notes in `ledger` (an every-line ledger).
    pub fn with_dialect(
        source: R,
        input: &str,
        id_column: &str,
        send_empty_cells: bool,
        delimiter: u8,
        ledger: Option<LineLedger>,
    ) -> Result<Self, InputError> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(source);
        let mut this = CsvRecords {
            reader,
            input: input.to_string(),
            columns: Vec::new(),
            id_index: 0,
            send_empty_cells,
            ledger,
            row: csv::ByteRecord::new(),
            ready: VecDeque::new(),
            next_index: 0,
            finished: false,
        };
        let has_header = this
            .reader
            .read_byte_record(&mut this.row)
            .map_err(|e| csv_error(input, e, &csv::Position::new()))?;
        let located = this.locate(has_header);
        // A header line too long to read means the input is not CSV at all.
        if let Some(&(line, limit)) = located.cut_before.first() {
            return Err(InputError::new(
                input,
                Some(line),
                InputProblem::LineTooLong { limit },
            ));
        }
        let header_line = Some(located.line);
        if let Some(limit) = located.cut_inside {
            return Err(InputError::new(
                input,
                header_line,
                InputProblem::LineTooLong { limit },
            ));
        }
        if !has_header {
            return Err(InputError::new(
                input,
                Some(1),
                InputProblem::Empty("a CSV header row naming the properties"),
            ));
        }
        let mut columns = Vec::with_capacity(this.row.len());
        for (i, cell) in this.row.iter().enumerate() {
            // A UTF-8 byte order mark (as Excel writes) is not part of the first name.
            let cell = if i == 0 {
                cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
            } else {
                cell
            };
            let name = std::str::from_utf8(cell).map_err(|_| {
                InputError::new(
                    input,
                    header_line,
                    InputProblem::InvalidUtf8 {
                        where_: format!("in header column {}", i + 1),
                    },
                )
            })?;
            columns.push(name.trim().to_string());
        }
        let Some(id_index) = columns.iter().position(|c| c == id_column) else {
            let available = columns.join(", ");
            let problem = match better_delimiter(&columns, delimiter, id_column) {
                Some((other, split)) => InputProblem::OtherDelimiter(Box::new(DelimiterHint {
                    column: id_column.to_string(),
                    available,
                    delimiter: delimiter_arg(other),
                    split: split.join(", "),
                })),
                None => InputProblem::MissingIdColumn {
                    column: id_column.to_string(),
                    available,
                },
            };
            return Err(InputError::new(input, header_line, problem));
        };
        for (i, name) in columns.iter().enumerate() {
            if name.is_empty() {
                return Err(InputError::new(
                    input,
                    header_line,
                    InputProblem::BlankColumn(i + 1),
                ));
            }
            if columns[..i].contains(name) {
                return Err(InputError::new(
                    input,
                    header_line,
                    InputProblem::DuplicateColumn(name.clone()),
                ));
            }
        }
        this.columns = columns;
        this.id_index = id_index;
        Ok(this)
    }

    /// Finds where the record just read starts (with `read` false: the lines left at the
    /// end), taking the lines up to its end from the ledger.
    fn locate(&mut self, read: bool) -> Located {
        let start = self.row.position().map_or(0, |p| p.byte());
        let end = if read {
            self.reader.position().byte()
        } else {
            u64::MAX
        };
        let mut located = Located {
            line: self.row.position().map_or(1, |p| p.line()),
            cut_before: Vec::new(),
            cut_inside: None,
        };
        let Some(ledger) = &self.ledger else {
            return located;
        };
        let mut lines = ledger.lock();
        let mut found_start = !read;
        while let Some(line) = lines.front().copied() {
            if line.offset >= end {
                break;
            }
            lines.pop_front();
            match (found_start, line.cut) {
                (false, None) if line.offset >= start && !line.blank => {
                    located.line = line.line;
                    found_start = true;
                }
                (false, Some(limit)) => located.cut_before.push((line.line, limit)),
                (true, Some(limit)) if read => located.cut_inside = Some(limit),
                (true, Some(limit)) => located.cut_before.push((line.line, limit)),
                _ => {}
            }
        }
        located
    }

    /// The row error of the malformed row at `line`, which takes the next record index.
    fn malformed(&mut self, line: u64, problem: InputProblem) -> InputError {
        let err = InputError::row(&self.input, self.next_index, line, problem);
        self.next_index += 1;
        err
    }

    /// Reads the next record into `ready`, with the malformed rows before it; false at the end.
    fn read_next(&mut self) -> Result<bool, InputError> {
        let at = self.reader.position().clone();
        let more = self
            .reader
            .read_byte_record(&mut self.row)
            .map_err(|e| csv_error(&self.input, e, &at))?;
        let located = self.locate(more);
        for (line, limit) in located.cut_before {
            let err = self.malformed(line, InputProblem::LineTooLong { limit });
            self.ready.push_back(Err(err));
        }
        if !more {
            if self.next_index == 0 {
                return Err(InputError::new(&self.input, None, InputProblem::NoRecords));
            }
            return Ok(!self.ready.is_empty());
        }
        let line = located.line;
        let item = match located.cut_inside {
            Some(limit) => Err(self.malformed(line, InputProblem::LineTooLong { limit })),
            None => self.record(line),
        };
        self.ready.push_back(item);
        Ok(true)
    }

    /// The row just read as a record, or its row error.
    fn record(&mut self, line: u64) -> Result<InputRecord, InputError> {
        if self.row.len() != self.columns.len() {
            let problem = InputProblem::Ragged {
                found: self.row.len(),
                expected: self.columns.len(),
            };
            return Err(self.malformed(line, problem));
        }
        let mut id = None;
        let mut properties = Vec::with_capacity(self.columns.len().saturating_sub(1));
        for (i, (cell, column)) in self.row.iter().zip(&self.columns).enumerate() {
            let value = match std::str::from_utf8(cell) {
                Ok(value) => value,
                Err(e) => {
                    let problem = InputProblem::InvalidUtf8 {
                        where_: format!(
                            "in column `{column}` (field {}, byte {})",
                            i + 1,
                            e.valid_up_to() + 1
                        ),
                    };
                    return Err(self.malformed(line, problem));
                }
            };
            if i == self.id_index {
                let trimmed = value.trim();
                id = (!trimmed.is_empty()).then(|| trimmed.to_string());
            } else if self.send_empty_cells || !value.is_empty() {
                properties.push((column.clone(), value.to_string()));
            }
        }
        let record = InputRecord {
            index: self.next_index,
            line,
            id,
            properties,
        };
        self.next_index += 1;
        Ok(record)
    }
}

/// A csv crate error as an input error; `at` is where reading was, for errors without a
/// position of their own (a read that failed: a truncated compressed stream).
fn csv_error(input: &str, err: csv::Error, at: &csv::Position) -> InputError {
    let line = Some(err.position().unwrap_or(at).line());
    match err.into_kind() {
        csv::ErrorKind::Io(io) => InputError::from_io(input, line, io),
        other => InputError::new(input, line, InputProblem::Csv(format!("{other:?}"))),
    }
}

impl<R: Read> Iterator for CsvRecords<R> {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() && !self.finished {
            match self.read_next() {
                Ok(true) => {}
                Ok(false) => self.finished = true,
                // The input ends at its first error that is not a row's.
                Err(fatal) => {
                    self.finished = true;
                    self.ready.push_back(Err(fatal));
                }
            }
        }
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{LineGuard, LineLedger};

    fn reader(data: &[u8]) -> Result<CsvRecords<&[u8]>, InputError> {
        CsvRecords::new(data, "people.csv", "email", false)
    }

    fn first_error(data: &[u8]) -> String {
        match reader(data) {
            Err(e) => e.to_string(),
            Ok(r) => r
                .filter_map(Result::err)
                .next()
                .expect("an error")
                .to_string(),
        }
    }

    #[test]
    fn reads_rows_as_id_and_properties() {
        let records: Vec<_> =
            reader(b"firstname,email,city\nAda, ada@x.io ,London\nBob,bob@x.io,\n")
                .expect("header ok")
                .collect::<Result<_, _>>()
                .expect("rows ok");
        assert_eq!(
            records,
            vec![
                InputRecord {
                    index: 0,
                    line: 2,
                    id: Some("ada@x.io".into()),
                    properties: vec![
                        ("firstname".into(), "Ada".into()),
                        ("city".into(), "London".into())
                    ],
                },
                InputRecord {
                    index: 1,
                    line: 3,
                    id: Some("bob@x.io".into()),
                    properties: vec![("firstname".into(), "Bob".into())],
                },
            ]
        );
    }

    #[test]
    fn empty_cells_are_sent_when_asked() {
        let mut r =
            CsvRecords::new(&b"email,city\na@x.io,\n"[..], "t", "email", true).expect("header ok");
        let rec = r.next().expect("a row").expect("row ok");
        assert_eq!(rec.properties, vec![("city".into(), String::new())]);
    }

    #[test]
    fn blank_id_is_yielded_as_missing() {
        let mut r = reader(b"email,name\n  ,Nobody\n").expect("header ok");
        let rec = r.next().expect("a row").expect("row ok");
        assert_eq!(rec.id, None);
    }

    #[test]
    fn quoted_newlines_keep_line_numbers_right() {
        let records: Vec<_> = reader(b"email,note\na@x.io,\"two\nlines\"\nb@x.io,one\n")
            .expect("header ok")
            .collect::<Result<_, _>>()
            .expect("rows ok");
        assert_eq!(records[1].line, 4);
        assert_eq!(records[0].properties[0].1, "two\nlines");
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let mut r = reader(b"\xEF\xBB\xBFemail,name\na@x.io,A\n").expect("BOM header ok");
        assert_eq!(
            r.next().expect("row").expect("ok").id.as_deref(),
            Some("a@x.io")
        );
    }

    #[test]
    fn ragged_row_names_its_line() {
        assert_eq!(
            first_error(b"email,name\na@x.io,A\nb@x.io\n"),
            "people.csv, line 3: the row has 1 fields but the header has 2"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        assert_eq!(
            first_error(b"email,name\na@x.io,A\nb@x.io,B\xff\n"),
            "people.csv, line 3: invalid UTF-8 in column `name` (field 2, byte 2); save the file as UTF-8"
        );
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(
            first_error(b""),
            "people.csv, line 1: the input is empty (expected a CSV header row naming the properties)"
        );
    }

    #[test]
    fn header_without_rows_is_an_error() {
        assert_eq!(
            first_error(b"email,name\n"),
            "people.csv: the CSV file has a header row but no records"
        );
    }

    #[test]
    fn header_problems_are_named() {
        assert!(
            first_error(b"name,city\nA,B\n").contains("no id column `email` (columns: name, city)")
        );
        assert!(first_error(b"email,name,name\n").contains("column `name` appears twice"));
        assert!(first_error(b"email,,x\n").contains("column 2 of the header has no name"));
    }

    #[test]
    fn an_overlong_line_is_its_rows_failure_and_reading_goes_on() {
        let mut data = b"email,name\na@x.io,A\nb@x.io,".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100));
        data.extend(b"\nc@x.io,C\n");
        let cut = LineLedger::every_line();
        let guarded = LineGuard::new(&data[..], 50, cut.clone());
        let r = CsvRecords::with_dialect(guarded, "big.csv", "email", false, b',', Some(cut))
            .expect("header ok");
        let items: Vec<String> = r.map(describe).collect();
        assert_eq!(
            items,
            vec![
                "0 line 2: a@x.io",
                "1 big.csv, line 3: the line is longer than 50 bytes (is the input really CSV or NDJSON?)",
                "2 line 4: c@x.io",
            ]
        );
    }

    #[test]
    fn an_overlong_last_line_is_reported_at_the_end() {
        let mut data = b"email,name\na@x.io,A\nb@x.io,".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100));
        let cut = LineLedger::every_line();
        let guarded = LineGuard::new(&data[..], 50, cut.clone());
        let r = CsvRecords::with_dialect(guarded, "big.csv", "email", false, b',', Some(cut))
            .expect("header ok");
        let items: Vec<String> = r.map(describe).collect();
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(items[1].starts_with("1 big.csv, line 3: the line is longer"));
    }

    #[test]
    fn an_overlong_header_means_the_input_is_not_csv() {
        let mut data: Vec<u8> = std::iter::repeat_n(b'x', 100).collect();
        data.extend(b"\nemail\na@x.io\n");
        let cut = LineLedger::every_line();
        let guarded = LineGuard::new(&data[..], 50, cut.clone());
        let err = CsvRecords::with_dialect(guarded, "bin.csv", "email", false, b',', Some(cut))
            .err()
            .expect("fatal");
        assert!(err.row_index.is_none());
        assert_eq!(
            err.to_string(),
            "bin.csv, line 1: the line is longer than 50 bytes (is the input really CSV or NDJSON?)"
        );
    }

    /// A record as `index line N: id`, a row error as `index error`.
    fn describe(item: Result<InputRecord, InputError>) -> String {
        match item {
            Ok(r) => format!("{} line {}: {}", r.index, r.line, r.id.unwrap_or_default()),
            Err(e) => format!(
                "{} {e}",
                e.row_index.map_or("fatal".to_string(), |i| i.to_string())
            ),
        }
    }

    #[test]
    fn malformed_rows_fail_alone_and_the_rows_after_them_are_read() {
        let data = b"email,name\na@x.io,A\nb@x.io,B,extra\nc@x.io,C\xff\nd@x.io\ne@x.io,E\n";
        let items: Vec<String> = reader(data).expect("header ok").map(describe).collect();
        assert_eq!(
            items,
            vec![
                "0 line 2: a@x.io",
                "1 people.csv, line 3: the row has 3 fields but the header has 2",
                "2 people.csv, line 4: invalid UTF-8 in column `name` (field 2, byte 2); save the file as UTF-8",
                "3 people.csv, line 5: the row has 1 fields but the header has 2",
                "4 line 6: e@x.io",
            ]
        );
    }

    #[test]
    fn lines_are_numbered_across_blank_lines_and_crlf_endings() {
        let data = b"email,note\r\n\r\na@x.io,one\r\nb@x.io,\"two\r\n\r\nlines\"\r\n\r\n\r\nc@x.io\r\nd@x.io,last";
        let ledger = LineLedger::every_line();
        let guarded = LineGuard::new(&data[..], 100, ledger.clone());
        let r = CsvRecords::with_dialect(guarded, "t.csv", "email", false, b',', Some(ledger))
            .expect("header ok");
        let items: Vec<String> = r.map(describe).collect();
        assert_eq!(
            items,
            vec![
                "0 line 3: a@x.io",
                "1 line 4: b@x.io",
                "2 t.csv, line 9: the row has 1 fields but the header has 2",
                "3 line 10: d@x.io",
            ]
        );
    }

    #[test]
    fn other_delimiters_are_read_when_named() {
        for (delimiter, data) in [
            (b';', &b"email;name\na@x.io;\"A; B\"\n"[..]),
            (b'\t', &b"email\tname\na@x.io\tA; B\n"[..]),
            (b'|', &b"email|name\na@x.io|A; B\n"[..]),
        ] {
            let mut r = CsvRecords::with_dialect(data, "t", "email", false, delimiter, None)
                .expect("header ok");
            let rec = r.next().expect("a row").expect("row ok");
            assert_eq!(rec.id.as_deref(), Some("a@x.io"));
            assert_eq!(rec.properties, vec![("name".into(), "A; B".into())]);
        }
    }

    #[test]
    fn a_header_split_by_another_delimiter_names_the_delimiter_to_pass() {
        assert_eq!(
            first_error(b"email;firstname\na@x.io;A\n"),
            "people.csv, line 1: the header has no id column `email` (columns: email;firstname), but split on ';' it has: email, firstname; pass --delimiter ';'"
        );
        assert_eq!(
            first_error(b"firstname\temail\nA\ta@x.io\n"),
            "people.csv, line 1: the header has no id column `email` (columns: firstname\temail), but split on tab it has: firstname, email; pass --delimiter tab"
        );
    }
}
