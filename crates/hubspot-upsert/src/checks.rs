//! Per-record checks made before anything is sent, shared by the dry run and the real run:
//! a record that fails them is reported failed and never sent.

use std::collections::HashSet;

use crate::input::{InputError, InputRecord};

/// What the checks found wrong with a record, so that it is never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowProblem {
    /// The record has no id. Report category `MISSING_ID`.
    MissingId,
    /// The record has a property outside `--properties`. Report category `UNKNOWN_PROPERTY`.
    UnknownProperty,
    /// The input's parser could not read the row as a record (a CSV row with the wrong number
    /// of fields, an NDJSON line that is not a JSON object, invalid UTF-8, a line over the
    /// length limit, a Parquet value with no text). Report category `MALFORMED_ROW`.
    MalformedRow,
}

impl RowProblem {
    /// The report's category for the problem.
    pub fn code(self) -> &'static str {
        match self {
            RowProblem::MissingId => "MISSING_ID",
            RowProblem::UnknownProperty => "UNKNOWN_PROPERTY",
            RowProblem::MalformedRow => "MALFORMED_ROW",
        }
    }
}

/// Why a record is not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong, for the report's category.
    pub problem: RowProblem,
    /// What is wrong, for people.
    pub message: String,
}

/// The checks, configured once per run.
#[derive(Debug, Clone, Default)]
pub struct RecordChecks {
    id_column: String,
    known_properties: Option<HashSet<String>>,
}

impl RecordChecks {
    /// Checks ids (found under `id_column`) and, when `known` is given, property names.
    pub fn new(id_column: &str, known: Option<&[String]>) -> RecordChecks {
        RecordChecks {
            id_column: id_column.to_string(),
            known_properties: known
                .map(|names| names.iter().map(|n| n.trim().to_string()).collect()),
        }
    }

    /// The first property of `record` that is not a known one, if names are known.
    pub fn unknown_property<'r>(&self, record: &'r InputRecord) -> Option<&'r str> {
        let known = self.known_properties.as_ref()?;
        record
            .properties
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| !known.contains(*name))
    }

    /// Whether the record may be sent.
    pub fn check(&self, record: &InputRecord) -> Result<(), Refusal> {
        if record.id.is_none() {
            return Err(Refusal {
                problem: RowProblem::MissingId,
                message: format!("no value for the id `{}`", self.id_column),
            });
        }
        if let Some(name) = self.unknown_property(record) {
            return Err(Refusal {
                problem: RowProblem::UnknownProperty,
                message: format!("property `{name}` is not in --properties"),
            });
        }
        Ok(())
    }
}

/// A malformed row as a refused record: its place in the input (no id, no properties) and
/// the parser's reason. An error that is not a row's is given back: it ends the input.
pub fn malformed_row(err: InputError) -> Result<(InputRecord, Refusal), InputError> {
    let (Some(index), Some(line)) = (err.row_index, err.line) else {
        return Err(err);
    };
    Ok((
        InputRecord {
            index,
            line,
            id: None,
            properties: Vec::new(),
        },
        Refusal {
            problem: RowProblem::MalformedRow,
            message: err.problem.to_string(),
        },
    ))
}

/// A loose test of an email address's shape (`local@domain.tld`, no spaces), used by the dry
/// run to warn about ids HubSpot will likely refuse. HubSpot remains the judge.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !text.chars().any(char::is_whitespace)
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !local.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: Option<&str>, props: &[&str]) -> InputRecord {
        InputRecord {
            index: 0,
            line: 2,
            id: id.map(str::to_string),
            properties: props
                .iter()
                .map(|p| (p.to_string(), "v".to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_record_without_id_is_refused() {
        let checks = RecordChecks::new("email", None);
        let refusal = checks
            .check(&record(None, &["firstname"]))
            .expect_err("no id");
        assert_eq!(refusal.problem, RowProblem::MissingId);
        assert_eq!(refusal.message, "no value for the id `email`");
        assert!(checks.check(&record(Some("a@x.io"), &["anything"])).is_ok());
    }

    #[test]
    fn unknown_properties_are_refused_only_when_names_are_given() {
        let known = vec!["firstname".to_string(), " city ".to_string()];
        let checks = RecordChecks::new("email", Some(&known));
        assert!(
            checks
                .check(&record(Some("a"), &["firstname", "city"]))
                .is_ok()
        );
        let refusal = checks
            .check(&record(Some("a"), &["firstname", "shoe_size"]))
            .expect_err("unknown");
        assert_eq!(refusal.problem, RowProblem::UnknownProperty);
        assert!(refusal.message.contains("`shoe_size`"));
    }

    #[test]
    fn a_malformed_row_is_refused_with_the_parsers_reason_and_a_fatal_error_is_not() {
        use crate::input::InputProblem;
        let row = InputError::row(
            "a.csv",
            7,
            9,
            InputProblem::Ragged {
                found: 3,
                expected: 2,
            },
        );
        let (record, refusal) = malformed_row(row).expect("a row's error");
        assert_eq!((record.index, record.line, record.id), (7, 9, None));
        assert_eq!(refusal.problem, RowProblem::MalformedRow);
        assert_eq!(refusal.message, "the row has 3 fields but the header has 2");
        let fatal = InputError::new("a.csv", Some(1), InputProblem::NoRecords);
        assert!(malformed_row(fatal).is_err());
    }

    #[test]
    fn email_shapes() {
        assert!(looks_like_email("ada@example.com"));
        assert!(looks_like_email("a.b+c@mail.example.co.uk"));
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@x.io",
            "a@b@c.io",
            "a@.io",
        ] {
            assert!(!looks_like_email(bad), "{bad} should not pass");
        }
    }
}
