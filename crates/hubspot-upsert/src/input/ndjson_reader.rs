//! Reads NDJSON: one JSON object per line, either `{"id": .., "properties": {..}}` or a flat
//! object whose id sits under the id column's key.

use std::collections::BTreeMap;
use std::io::BufRead;

use schemars::JsonSchema;
use serde_json::{Map, Value};

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

/// A streaming NDJSON reader yielding one [`InputRecord`] per non-blank line.
pub struct NdjsonRecords<R: BufRead> {
    source: R,
    input: String,
    id_key: String,
    buf: Vec<u8>,
    line: u64,
    next_index: u64,
    finished: bool,
}

impl<R: BufRead> NdjsonRecords<R> {
    /// Reads `source`; `input` names it in errors, `id_key` is the id's key in flat objects.
    pub fn new(source: R, input: &str, id_key: &str) -> Self {
        NdjsonRecords {
            source,
            input: input.to_string(),
            id_key: id_key.to_string(),
            buf: Vec::new(),
            line: 0,
            next_index: 0,
            finished: false,
        }
    }

    fn error(&self, problem: InputProblem) -> InputError {
        InputError::new(&self.input, Some(self.line), problem)
    }

    fn read_line(&mut self) -> Result<Option<InputRecord>, InputError> {
        loop {
            self.buf.clear();
            let n = self
                .source
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| InputError::from_io(&self.input, Some(self.line + 1), e))?;
            if n == 0 {
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
                continue;
            }
            let text = std::str::from_utf8(&self.buf).map_err(|e| {
                self.error(InputProblem::InvalidUtf8 {
                    where_: format!("at byte {}", e.valid_up_to() + 1),
                })
            })?;
            let value: Value = serde_json::from_str(text)
                .map_err(|e| self.error(InputProblem::Json(e.to_string())))?;
            let Value::Object(object) = value else {
                return Err(self.error(InputProblem::NotAnObject(json_kind(&value))));
            };
            let (id, properties) = self.split(object)?;
            let record = InputRecord {
                index: self.next_index,
                line: self.line,
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
    ) -> Result<(Option<String>, Vec<(String, String)>), InputError> {
        if let Some(Value::Object(_)) = object.get("properties") {
            if let Some(stray) = object.keys().find(|k| *k != "id" && *k != "properties") {
                return Err(self.error(InputProblem::BadShape(format!(
                    "member `{stray}` beside `id` and `properties`; move it inside `properties`"
                ))));
            }
            let id = match object.remove("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(other) => {
                    return Err(self.error(InputProblem::BadShape(format!(
                        "`id` is {}, but it must be a string",
                        json_kind(&other)
                    ))));
                }
            };
            let Some(Value::Object(props)) = object.remove("properties") else {
                return Err(self.error(InputProblem::BadShape("`properties` vanished".into())));
            };
            let properties = self.strings(props)?;
            Ok((clean_id(id), properties))
        } else {
            let mut properties = self.strings(object)?;
            let id = properties
                .iter()
                .position(|(k, _)| *k == self.id_key)
                .map(|i| properties.remove(i).1);
            Ok((clean_id(id), properties))
        }
    }

    fn strings(&self, map: Map<String, Value>) -> Result<Vec<(String, String)>, InputError> {
        map.into_iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key, s)),
                other => Err(self.error(InputProblem::NonStringValue {
                    key,
                    kind: json_kind(&other),
                })),
            })
            .collect()
    }
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
        // The input ends at its end or at its first error.
        let item = self.read_line().transpose();
        self.finished = !matches!(item, Some(Ok(_)));
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LineGuard;
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

    #[test]
    fn overlong_line_names_its_line() {
        let mut data = b"{\"email\":\"a\"}\n{\"email\":\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', 200));
        data.extend(b"\"}\n");
        let source = BufReader::new(LineGuard::new(&data[..], 100));
        let mut r = NdjsonRecords::new(source, "big.ndjson", "email");
        assert!(r.next().expect("line 1").is_ok());
        assert_eq!(
            r.next().expect("line 2").expect_err("too long").to_string(),
            "big.ndjson, line 2: the line is longer than 100 bytes (is the input really CSV or NDJSON?)"
        );
    }
}
