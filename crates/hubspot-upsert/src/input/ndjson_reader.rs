//! Reads NDJSON: one JSON object per line, either `{"id": .., "properties": {..}}` or a flat
//! object whose id sits under the id column's key.

use std::collections::BTreeMap;
use std::io::BufRead;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::line_guard::LineLedger;
use super::{InputError, InputProblem, InputRecord};

/// One line of NDJSON input, as `hubspot-upsert schema input` describes it.
///
/// Blank lines are skipped. Every value is a string: HubSpot stores property values as
/// strings, and an empty string clears a property.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used; records are parsed by hand for precise errors.
pub enum NdjsonLine {
    /// The record's id and its properties apart.
    Wrapped {
        /// The value of the id property (`--id-property`) for this record.
        id: String,
        /// Property name to value.
        properties: BTreeMap<String, String>,
    },
    /// A flat object of property name to value; the id is the value under the key named by
    /// `--id-column` (by default the id property).
    Flat(BTreeMap<String, String>),
}

/// A streaming NDJSON reader yielding one [`InputRecord`] per non-blank line, and a row error
/// per malformed line.
///
/// The first non-blank line must be JSON: when it is not (or is not UTF-8, or is too long),
/// the input is not NDJSON at all and the error is fatal.
pub struct NdjsonRecords<R: BufRead> {
    source: R,
    input: String,
    id_key: String,
    /// The lines the guard under the reader cut out for being too long.
    cut: LineLedger,
    buf: Vec<u8>,
    line: u64,
    next_index: u64,
    /// Whether a non-blank line has been read.
    seen_content: bool,
    finished: bool,
}

impl<R: BufRead> NdjsonRecords<R> {
    /// Reads `source`; `input` names it in errors, `id_key` is the id's key in flat objects.
    #[cfg(test)]
    pub fn new(source: R, input: &str, id_key: &str) -> Self {
        Self::with_cut_lines(source, input, id_key, LineLedger::cut_lines())
    }

    /// Reads `source`, whose over-long lines a [`super::LineGuard`] notes in `cut`.
    pub fn with_cut_lines(source: R, input: &str, id_key: &str, cut: LineLedger) -> Self {
        NdjsonRecords {
            source,
            input: input.to_string(),
            id_key: id_key.to_string(),
            cut,
            buf: Vec::new(),
            line: 0,
            next_index: 0,
            seen_content: false,
            finished: false,
        }
    }

    /// The error for the current line: the line's own, or fatal when no line before it held
    /// anything (then the input is not NDJSON at all).
    fn malformed(&mut self, line: u64, problem: InputProblem, structural: bool) -> InputError {
        if structural && !self.seen_content {
            let problem = match problem {
                InputProblem::LineTooLong { .. } => problem,
                other => InputProblem::NotNdjson(Box::new(other)),
            };
            return InputError::new(&self.input, Some(line), problem);
        }
        self.seen_content = true;
        let err = InputError::row(&self.input, self.next_index, line, problem);
        self.next_index += 1;
        err
    }

    /// Whether line `line` was cut out for its length, and the limit it went over.
    fn cut_line(&self, line: u64) -> Option<usize> {
        let mut cut = self.cut.lock();
        while let Some(first) = cut.front().copied() {
            if first.line > line {
                break;
            }
            cut.pop_front();
            if first.line == line {
                return first.cut;
            }
        }
        None
    }

    fn read_line(&mut self) -> Result<Option<InputRecord>, InputError> {
        loop {
            self.buf.clear();
            let n = self
                .source
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| InputError::from_io(&self.input, Some(self.line + 1), e))?;
            if n == 0 {
                let cut = self.cut.lock().pop_front();
                if let Some(cut) = cut {
                    let limit = cut.cut.unwrap_or_default();
                    return Err(self.malformed(cut.line, too_long(limit), true));
                }
                if self.next_index == 0 {
                    return Err(InputError::new(
                        &self.input,
                        Some(1),
                        InputProblem::Empty("one JSON object per line"),
                    ));
                }
                return Ok(None);
            }
            self.line += 1;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                // An over-long line reaches this reader as an empty line.
                let cut = self.cut_line(self.line);
                if let Some(limit) = cut {
                    return Err(self.malformed(self.line, too_long(limit), true));
                }
                continue;
            }
            let line = self.line;
            let text = match std::str::from_utf8(&self.buf) {
                Ok(text) => text,
                Err(e) => {
                    let problem = InputProblem::InvalidUtf8 {
                        where_: format!("at byte {}", e.valid_up_to() + 1),
                    };
                    return Err(self.malformed(line, problem, true));
                }
            };
            let value: Value = match serde_json::from_str(text) {
                Ok(value) => value,
                Err(e) => {
                    return Err(self.malformed(line, InputProblem::Json(e.to_string()), true));
                }
            };
            self.seen_content = true;
            let Value::Object(object) = value else {
                let problem = InputProblem::NotAnObject(json_kind(&value));
                return Err(self.malformed(line, problem, false));
            };
            let (id, properties) = match self.split(object) {
                Ok(split) => split,
                Err(problem) => return Err(self.malformed(line, problem, false)),
            };
            let record = InputRecord {
                index: self.next_index,
                line,
                id,
                properties,
            };
            self.next_index += 1;
            return Ok(Some(record));
        }
    }

    /// Separates the id from the properties, in whichever form the line uses.
    #[allow(clippy::type_complexity)]
    fn split(
        &self,
        mut object: Map<String, Value>,
    ) -> Result<(Option<String>, Vec<(String, String)>), InputProblem> {
        if let Some(Value::Object(_)) = object.get("properties") {
            if let Some(stray) = object.keys().find(|k| *k != "id" && *k != "properties") {
                return Err(InputProblem::BadShape(format!(
                    "member `{stray}` beside `id` and `properties`; move it inside `properties`"
                )));
            }
            let id = match object.remove("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(other) => {
                    return Err(InputProblem::BadShape(format!(
                        "`id` is {}, but it must be a string",
                        json_kind(&other)
                    )));
                }
            };
            let Some(Value::Object(props)) = object.remove("properties") else {
                return Err(InputProblem::BadShape("`properties` vanished".into()));
            };
            let properties = Self::strings(props)?;
            Ok((clean_id(id), properties))
        } else {
            let mut properties = Self::strings(object)?;
            let id = properties
                .iter()
                .position(|(k, _)| *k == self.id_key)
                .map(|i| properties.remove(i).1);
            Ok((clean_id(id), properties))
        }
    }

    fn strings(map: Map<String, Value>) -> Result<Vec<(String, String)>, InputProblem> {
        map.into_iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key, s)),
                other => Err(InputProblem::NonStringValue {
                    key,
                    kind: json_kind(&other),
                }),
            })
            .collect()
    }
}

fn too_long(limit: usize) -> InputProblem {
    InputProblem::LineTooLong { limit }
}

fn clean_id(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<R: BufRead> Iterator for NdjsonRecords<R> {
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        // The input ends at its end or at its first error that is not a line's.
        let item = self.read_line().transpose();
        self.finished = match &item {
            None => true,
            Some(Ok(_)) => false,
            Some(Err(e)) => e.row_index.is_none(),
        };
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{LineGuard, LineLedger};
    use std::io::BufReader;

    fn read(data: &[u8]) -> Result<Vec<InputRecord>, InputError> {
        NdjsonRecords::new(data, "people.ndjson", "email").collect()
    }

    fn error(data: &[u8]) -> String {
        read(data).expect_err("an error").to_string()
    }

    #[test]
    fn reads_wrapped_and_flat_lines() {
        let records = read(
            b"{\"id\":\"a@x.io\",\"properties\":{\"name\":\"A\"}}\n\n{\"email\":\" b@x.io \",\"name\":\"B\",\"city\":\"\"}\n",
        )
        .expect("valid");
        assert_eq!(
            records,
            vec![
                InputRecord {
                    index: 0,
                    line: 1,
                    id: Some("a@x.io".into()),
                    properties: vec![("name".into(), "A".into())],
                },
                InputRecord {
                    index: 1,
                    line: 3,
                    id: Some("b@x.io".into()),
                    properties: vec![("city".into(), String::new()), ("name".into(), "B".into())],
                },
            ]
        );
    }

    #[test]
    fn missing_id_is_yielded_as_none() {
        let records = read(b"{\"name\":\"A\"}\n{\"id\":null,\"properties\":{}}\n").expect("valid");
        assert_eq!(records[0].id, None);
        assert_eq!(records[1].id, None);
    }

    #[test]
    fn non_string_value_names_line_and_key() {
        assert_eq!(
            error(b"{\"email\":\"a\"}\n{\"email\":\"b\",\"age\":42}\n"),
            "people.ndjson, line 2: property `age` is a number, but HubSpot property values are strings; quote it (\"age\": \"...\"), and use \"\" to clear a value"
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        assert!(
            error(b"{\"email\":\"a\"}\n{oops\n")
                .starts_with("people.ndjson, line 2: not valid JSON")
        );
        assert_eq!(
            error(b"[1,2]\n"),
            "people.ndjson, line 1: expected a JSON object, found an array"
        );
        assert_eq!(
            error(b"{\"email\":\"a\"}\n\n{\"email\":\"\xff\"}\n"),
            "people.ndjson, line 3: invalid UTF-8 at byte 11; save the file as UTF-8"
        );
        assert!(
            error(b"{\"id\":\"a\",\"x\":\"1\",\"properties\":{}}").contains("member `x` beside")
        );
        assert!(error(b"{\"id\":7,\"properties\":{}}").contains("`id` is a number"));
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(
            error(b"\n \n"),
            "people.ndjson, line 1: the input is empty (expected one JSON object per line)"
        );
    }

    /// Each item as `index line N: id`, or `index error` (`fatal error` for a fatal one).
    fn items(source: impl BufRead, cut: LineLedger) -> Vec<String> {
        NdjsonRecords::with_cut_lines(source, "people.ndjson", "email", cut)
            .map(|item| match item {
                Ok(r) => format!("{} line {}: {}", r.index, r.line, r.id.unwrap_or_default()),
                Err(e) => format!(
                    "{} {e}",
                    e.row_index.map_or("fatal".to_string(), |i| i.to_string())
                ),
            })
            .collect()
    }

    #[test]
    fn malformed_lines_fail_alone_and_the_lines_after_them_are_read() {
        let data = b"{\"email\":\"a\"}\n{oops\n[1]\n{\"email\":\"\xff\"}\n{\"email\":\"e\",\"age\":3}\n\n{\"email\":\"f\"}\n";
        assert_eq!(
            items(&data[..], LineLedger::cut_lines()),
            vec![
                "0 line 1: a",
                "1 people.ndjson, line 2: not valid JSON: key must be a string at line 1 column 2",
                "2 people.ndjson, line 3: expected a JSON object, found an array",
                "3 people.ndjson, line 4: invalid UTF-8 at byte 11; save the file as UTF-8",
                "4 people.ndjson, line 5: property `age` is a number, but HubSpot property values are strings; quote it (\"age\": \"...\"), and use \"\" to clear a value",
                "5 line 7: f",
            ]
        );
    }

    #[test]
    fn a_first_line_that_is_not_json_means_the_input_is_not_ndjson() {
        assert_eq!(
            items(
                &b"\n\x00\x01garbage\n{\"email\":\"a\"}\n"[..],
                LineLedger::cut_lines()
            ),
            vec![
                "fatal people.ndjson, line 2: not valid JSON: expected value at line 1 column 1; is the input really NDJSON?"
            ]
        );
        // A JSON first line of the wrong shape is that line's failure only.
        assert_eq!(
            items(&b"[1]\n{\"email\":\"a\"}\n"[..], LineLedger::cut_lines()),
            vec![
                "0 people.ndjson, line 1: expected a JSON object, found an array",
                "1 line 2: a"
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_its_own_failure() {
        let mut data = b"{\"email\":\"a\"}\n{\"email\":\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', 200));
        data.extend(b"\"}\n{\"email\":\"c\"}\n");
        let cut = LineLedger::cut_lines();
        let source = BufReader::new(LineGuard::new(&data[..], 100, cut.clone()));
        assert_eq!(
            items(source, cut),
            vec![
                "0 line 1: a",
                "1 people.ndjson, line 2: the line is longer than 100 bytes (is the input really CSV or NDJSON?)",
                "2 line 3: c",
            ]
        );
        let cut = LineLedger::cut_lines();
        let source = BufReader::new(LineGuard::new(&data[14..], 100, cut.clone()));
        assert_eq!(
            items(source, cut)[0],
            "fatal people.ndjson, line 1: the line is longer than 100 bytes (is the input really CSV or NDJSON?)"
        );
    }
}
