//! Reads CSV with a header row: each header cell names a property, one column holds the id.

use std::io::Read;

use super::{InputError, InputProblem, InputRecord};

/// A streaming CSV reader yielding one [`InputRecord`] per row.
pub struct CsvRecords<R: Read> {
    reader: csv::Reader<R>,
    input: String,
    /// Header cells, trimmed.
    columns: Vec<String>,
    /// Index of the id column in `columns`.
    id_index: usize,
    send_empty_cells: bool,
    row: csv::ByteRecord,
    next_index: u64,
    finished: bool,
}

impl<R: Read> CsvRecords<R> {
    /// Reads and checks the header row. `input` names the input in errors.
    pub fn new(
        source: R,
        input: &str,
        id_column: &str,
        send_empty_cells: bool,
    ) -> Result<Self, InputError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(source);
        let mut header = csv::ByteRecord::new();
        let has_header = reader
            .read_byte_record(&mut header)
            .map_err(|e| csv_error(input, e))?;
        if !has_header {
            return Err(InputError::new(
                input,
                Some(1),
                InputProblem::Empty("a CSV header row naming the properties"),
            ));
        }
        let header_line = header.position().map(|p| p.line());
        let mut columns = Vec::with_capacity(header.len());
        for (i, cell) in header.iter().enumerate() {
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
            let name = name.trim();
            if name.is_empty() {
                return Err(InputError::new(
                    input,
                    header_line,
                    InputProblem::BlankColumn(i + 1),
                ));
            }
            if columns.iter().any(|c| c == name) {
                return Err(InputError::new(
                    input,
                    header_line,
                    InputProblem::DuplicateColumn(name.to_string()),
                ));
            }
            columns.push(name.to_string());
        }
        let id_index = columns.iter().position(|c| c == id_column).ok_or_else(|| {
            InputError::new(
                input,
                header_line,
                InputProblem::MissingIdColumn {
                    column: id_column.to_string(),
                    available: columns.join(", "),
                },
            )
        })?;
        Ok(CsvRecords {
            reader,
            input: input.to_string(),
            columns,
            id_index,
            send_empty_cells,
            row: csv::ByteRecord::new(),
            next_index: 0,
            finished: false,
        })
    }

    fn read_row(&mut self) -> Result<Option<InputRecord>, InputError> {
        if !self
            .reader
            .read_byte_record(&mut self.row)
            .map_err(|e| csv_error(&self.input, e))?
        {
            if self.next_index == 0 {
                return Err(InputError::new(&self.input, None, InputProblem::NoRecords));
            }
            return Ok(None);
        }
        let line = self.row.position().map_or(0, |p| p.line());
        if self.row.len() != self.columns.len() {
            return Err(InputError::new(
                &self.input,
                Some(line),
                InputProblem::Ragged {
                    found: self.row.len(),
                    expected: self.columns.len(),
                },
            ));
        }
        let mut id = None;
        let mut properties = Vec::with_capacity(self.columns.len().saturating_sub(1));
        for (i, (cell, column)) in self.row.iter().zip(&self.columns).enumerate() {
            let value = std::str::from_utf8(cell).map_err(|e| {
                InputError::new(
                    &self.input,
                    Some(line),
                    InputProblem::InvalidUtf8 {
                        where_: format!(
                            "in column `{column}` (field {}, byte {})",
                            i + 1,
                            e.valid_up_to() + 1
                        ),
                    },
                )
            })?;
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
        Ok(Some(record))
    }
}

fn csv_error(input: &str, err: csv::Error) -> InputError {
    let line = err.position().map(|p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(io) => InputError::from_io(input, line, io),
        other => InputError::new(input, line, InputProblem::Csv(format!("{other:?}"))),
    }
}

impl<R: Read> Iterator for CsvRecords<R> {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        // The input ends at its end or at its first error.
        let item = self.read_row().transpose();
        self.finished = !matches!(item, Some(Ok(_)));
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LineGuard;

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
    fn overlong_line_names_its_line() {
        let mut data = b"email,name\na@x.io,A\nb@x.io,".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100));
        data.push(b'\n');
        let guarded = LineGuard::new(&data[..], 50);
        let mut r = CsvRecords::new(guarded, "big.csv", "email", false).expect("header ok");
        assert!(r.next().expect("row 1").is_ok());
        let err = r.next().expect("row 2").expect_err("too long");
        assert_eq!(
            err.to_string(),
            "big.csv, line 3: the line is longer than 50 bytes (is the input really CSV or NDJSON?)"
        );
        assert!(r.next().is_none(), "reading stops after a fatal error");
    }
}
