//! [`PropertySchema`]: an object type's property definitions, as HubSpot describes them at
//! `GET /crm/v3/properties/{objectType}` (`{"results": [...]}`), and the checks they allow
//! before anything is sent.
//!
//! Given to a client ([`ClientBuilder::property_schema`](crate::ClientBuilder::property_schema))
//! or to one run ([`Client::bulk_upsert_with_schema`](crate::Client::bulk_upsert_with_schema)),
//! it checks and normalizes every input before it is batched. An input that fails ends with a
//! [`Failed`](crate::OutcomeKind::Failed) outcome with cause
//! [`FailureCause::PropertyCheck`](crate::FailureCause::PropertyCheck) (not HubSpot's `VALIDATION_ERROR`, on
//! purpose: such an input was never sent) and costs no
//! request. The rules, each a [`Rule`]:
//!
//! | rule | refused | HubSpot's code for the same value |
//! |---|---|---|
//! | [`Rule::UnknownProperty`] | a name the schema does not define | `PROPERTY_DOESNT_EXIST` |
//! | [`Rule::ReadOnly`] | a property whose `modificationMetadata.readOnlyValue` is true | `READ_ONLY_VALUE` |
//! | [`Rule::Calculated`] | a calculated property (`calculated`, or a `calculation_*` field type) | `READ_ONLY_VALUE` |
//! | [`Rule::InvalidNumber`] | a `number` that is not a plain decimal (`-12`, `3.25`) | `INVALID_FLOAT` / `INVALID_INTEGER` |
//! | [`Rule::InvalidBool`] | a `bool` other than `true` or `false` | `INVALID_BOOLEAN` |
//! | [`Rule::InvalidDate`] | a `date` that is neither `YYYY-MM-DD` nor epoch milliseconds | `INVALID_DATE` |
//! | [`Rule::DateNotMidnight`] | a `date` in epoch milliseconds that is not midnight UTC | `INVALID_DATE` |
//! | [`Rule::InvalidDateTime`] | a `datetime` that is neither RFC 3339 nor epoch milliseconds | `INVALID_DATETIME` |
//! | [`Rule::EpochSeconds`] | epoch *seconds* where HubSpot wants milliseconds | (accepted as a 1970 date) |
//! | [`Rule::InvalidOption`] | an `enumeration` value that is no option's value or label | `INVALID_OPTION` |
//! | [`Rule::UnwritableValue`] | a Rust value with no text (`NaN`), whatever the schema | — |
//!
//! Normalizations, each reported on the success outcome
//! ([`RecordOutcome::normalized`](crate::RecordOutcome::normalized)): surrounding whitespace is
//! trimmed from values of every type but `string` and `phone_number` (HubSpot refuses it there
//! since 2025), and an option's label, matched without regard to case, is replaced by the
//! option's value. `""` clears any writable property and is never refused for its type.
//!
//! ```
//! use hubspot_crm::UpsertInput;
//! use hubspot_crm::property_schema::PropertySchema;
//! use hubspot_crm::property_schema::Rule;
//!
//! let schema = PropertySchema::from_json(r#"{"results": [
//!   {"name": "lifecyclestage", "label": "Lifecycle Stage", "type": "enumeration", "fieldType": "radio",
//!    "options": [{"label": "Lead", "value": "lead"}, {"label": "Customer", "value": "customer"}]},
//!   {"name": "contract_start_date", "label": "Date of birth", "type": "date", "fieldType": "date"},
//!   {"name": "hs_object_id", "label": "Record ID", "type": "number", "fieldType": "number",
//!    "modificationMetadata": {"readOnlyValue": true}}
//! ]}"#)?;
//!
//! let input = UpsertInput::new("ada@example.com")
//!     .property("lifecyclestage", "Customer")     // a label, replaced by its value
//!     .property("contract_start_date", " 1815-12-10 ");   // trimmed
//! let checked = schema.check(input).expect("valid");
//! assert_eq!(checked.as_api().properties.get("lifecyclestage").map(String::as_str), Some("customer"));
//! assert_eq!(checked.as_api().properties.get("contract_start_date").map(String::as_str), Some("1815-12-10"));
//! assert_eq!(checked.normalized().len(), 2);
//!
//! let refused = schema
//!     .check(UpsertInput::new("x@example.com").property("contract_start_date", 1_772_359_200_000u64))
//!     .expect_err("10:00 UTC is not midnight");
//! assert_eq!(refused.problems()[0].rule, Rule::DateNotMidnight);
//! # Ok::<(), hubspot_crm::property_schema::SchemaError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::{DateTime, NaiveDate};
use serde::Deserialize;

use crate::input::UpsertInput;
pub use crate::normalization::Normalization;
use crate::properties::Properties;
use crate::value::MULTI_VALUE_SEPARATOR;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;
/// Epoch values below this (in absolute value) are taken for seconds: as milliseconds they
/// would fall before 1973-03-03, and as seconds after 1970-01-01 they span five millennia.
const SECONDS_SUSPECT_BELOW: i64 = 100_000_000_000;

/// Why a schema file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The file could not be read.
    #[error("cannot read the property definitions {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not HubSpot's properties JSON.
    #[error(
        "the property definitions{} are not HubSpot's properties JSON (line {line}, column {column}): {message}",
        at(path)
    )]
    Json {
        /// The file, when read from one.
        path: Option<String>,
        /// Where the problem is.
        line: usize,
        /// Where the problem is.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The definitions contradict themselves.
    #[error("the property definitions{} are not usable: {message}", at(path))]
    Invalid {
        /// The file, when read from one.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
}

fn at(path: &Option<String>) -> String {
    path.as_ref()
        .map(|p| format!(" in {p}"))
        .unwrap_or_default()
}

/// One property, as HubSpot defines it. Fields HubSpot sends and the checks do not use
/// (`groupName`, `description`, `formField`, ...) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDefinition {
    /// The internal name, used in inputs.
    pub name: String,
    /// The name shown in HubSpot.
    #[serde(default)]
    pub label: String,
    /// `string`, `number`, `date`, `datetime`, `enumeration`, `bool`, `phone_number`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `text`, `number`, `date`, `select`, `radio`, `checkbox`, `booleancheckbox`,
    /// `calculation_*`, ...
    #[serde(default)]
    pub field_type: String,
    /// The options of an enumeration.
    #[serde(default)]
    pub options: Vec<PropertyOption>,
    /// Whether values are unique per record.
    #[serde(default)]
    pub has_unique_value: bool,
    /// Whether HubSpot calculates the value.
    #[serde(default)]
    pub calculated: bool,
    /// Who may change the definition and the value.
    #[serde(default)]
    pub modification_metadata: ModificationMetadata,
}

/// One option of an enumeration property.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOption {
    /// What HubSpot shows.
    #[serde(default)]
    pub label: String,
    /// What is written.
    pub value: String,
    /// Hidden from forms (still writable through the API).
    #[serde(default)]
    pub hidden: bool,
}

/// The part of a definition's `modificationMetadata` that the checks use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModificationMetadata {
    /// The value cannot be written.
    #[serde(default)]
    pub read_only_value: bool,
}

impl PropertyDefinition {
    /// Whether the value may be written through the API.
    pub fn is_writable(&self) -> bool {
        !self.modification_metadata.read_only_value && !self.is_calculated()
    }

    fn is_calculated(&self) -> bool {
        self.calculated || self.field_type.starts_with("calculation")
    }

    /// Whether the value holds several options joined with `;` (a multiple checkbox).
    pub fn is_multiple(&self) -> bool {
        self.kind == "enumeration" && self.field_type == "checkbox"
    }

    /// Whether values are free text, kept exactly as given.
    fn is_text(&self) -> bool {
        !matches!(
            self.kind.as_str(),
            "number" | "bool" | "date" | "datetime" | "enumeration"
        )
    }
}

/// A check an input can fail; see the [module](self) for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// The schema has no such property.
    UnknownProperty,
    /// The property's value is read-only.
    ReadOnly,
    /// HubSpot calculates the property.
    Calculated,
    /// Not a plain decimal number.
    InvalidNumber,
    /// Not `true` or `false`.
    InvalidBool,
    /// Not a date.
    InvalidDate,
    /// A date in epoch milliseconds at another time than midnight UTC.
    DateNotMidnight,
    /// Not a date-time.
    InvalidDateTime,
    /// Epoch seconds where HubSpot wants milliseconds.
    EpochSeconds,
    /// Not one of the enumeration's options.
    InvalidOption,
    /// A Rust value with no text to send (`NaN`, a list item holding `;`).
    UnwritableValue,
}

impl Rule {
    /// The rule's name in reports: `UNKNOWN_PROPERTY`, `READ_ONLY`, `CALCULATED`,
    /// `INVALID_NUMBER`, `INVALID_BOOL`, `INVALID_DATE`, `DATE_NOT_MIDNIGHT`,
    /// `INVALID_DATETIME`, `EPOCH_SECONDS`, `INVALID_OPTION`, `UNWRITABLE_VALUE`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::UnknownProperty => "UNKNOWN_PROPERTY",
            Rule::ReadOnly => "READ_ONLY",
            Rule::Calculated => "CALCULATED",
            Rule::InvalidNumber => "INVALID_NUMBER",
            Rule::InvalidBool => "INVALID_BOOL",
            Rule::InvalidDate => "INVALID_DATE",
            Rule::DateNotMidnight => "DATE_NOT_MIDNIGHT",
            Rule::InvalidDateTime => "INVALID_DATETIME",
            Rule::EpochSeconds => "EPOCH_SECONDS",
            Rule::InvalidOption => "INVALID_OPTION",
            Rule::UnwritableValue => "UNWRITABLE_VALUE",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One property of an input that fails a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyProblem {
    /// The property.
    pub property: String,
    /// The rule it fails.
    pub rule: Rule,
    /// The value given.
    pub value: String,
    /// What is wrong and what HubSpot takes instead.
    pub message: String,
}

impl fmt::Display for PropertyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`: {}", self.rule, self.property, self.message)
    }
}

/// Why an input was refused: every property that fails a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyRefusal {
    problems: Vec<PropertyProblem>,
}

impl PropertyRefusal {
    /// The failing properties, in the input's order.
    pub fn problems(&self) -> &[PropertyProblem] {
        &self.problems
    }
}

impl fmt::Display for PropertyRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("refused before sending: ")?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PropertyRefusal {}

/// A value that passed its property's rules, as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedValue {
    /// The text to send.
    pub value: String,
    /// What was changed to get it.
    pub normalized: Vec<Normalization>,
}

/// An object type's property definitions. See the [module](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertySchema {
    by_name: HashMap<String, PropertyDefinition>,
}

/// The shape of HubSpot's answer.
#[derive(Deserialize)]
struct File {
    results: Vec<PropertyDefinition>,
}

impl PropertySchema {
    /// Reads HubSpot's properties JSON (`{"results": [...]}`, as returned by
    /// `GET /crm/v3/properties/{objectType}`; a bare array of definitions is read too).
    ///
    /// # Errors
    /// [`SchemaError::Json`] when the text is not that shape, [`SchemaError::Invalid`] when a
    /// property is defined twice.
    pub fn from_json(text: &str) -> Result<PropertySchema, SchemaError> {
        Self::parse(text, None)
    }

    /// Reads the JSON from a file, such as the output of
    /// `curl -H "Authorization: Bearer $TOKEN" https://api.hubapi.com/crm/v3/properties/contacts`.
    ///
    /// # Errors
    /// [`SchemaError::Read`] when the file cannot be read, and those of
    /// [`PropertySchema::from_json`], naming the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<PropertySchema, SchemaError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, Some(path.display().to_string()))
    }

    fn parse(text: &str, path: Option<String>) -> Result<PropertySchema, SchemaError> {
        // HubSpot's `{"results": [...]}`, or a bare array of definitions.
        let parsed = if text.trim_start().starts_with('[') {
            serde_json::from_str::<Vec<PropertyDefinition>>(text)
        } else {
            serde_json::from_str::<File>(text).map(|file| file.results)
        };
        let definitions = parsed.map_err(|e| SchemaError::Json {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            message: if e.is_data() {
                format!("{e}; expected {{\"results\": [{{\"name\": ..., \"type\": ...}}, ...]}}")
            } else {
                e.to_string()
            },
        })?;
        Self::from_definitions(definitions)
            .map_err(|message| SchemaError::Invalid { path, message })
    }

    /// A schema of these definitions.
    ///
    /// # Errors
    /// The message naming a property defined twice.
    pub fn from_definitions(
        definitions: impl IntoIterator<Item = PropertyDefinition>,
    ) -> Result<PropertySchema, String> {
        let mut by_name = HashMap::new();
        for definition in definitions {
            if let Some(earlier) = by_name.insert(definition.name.clone(), definition) {
                return Err(format!("property `{}` is defined twice", earlier.name));
            }
        }
        Ok(PropertySchema { by_name })
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&PropertyDefinition> {
        self.by_name.get(name)
    }

    /// How many properties are defined.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Checks one value for property `name`, giving the text to send.
    ///
    /// # Errors
    /// The [`PropertyProblem`] when the value fails a rule.
    pub fn check_value(&self, name: &str, value: &str) -> Result<CheckedValue, PropertyProblem> {
        let problem = |rule: Rule, message: String| PropertyProblem {
            property: name.to_owned(),
            rule,
            value: value.to_owned(),
            message,
        };
        let Some(definition) = self.get(name) else {
            return Err(problem(
                Rule::UnknownProperty,
                "the property definitions have no such property".into(),
            ));
        };
        if definition.modification_metadata.read_only_value {
            return Err(problem(
                Rule::ReadOnly,
                "its value is read-only in HubSpot".into(),
            ));
        }
        if definition.is_calculated() {
            return Err(problem(
                Rule::Calculated,
                "HubSpot calculates its value; it cannot be written".into(),
            ));
        }
        let mut normalized = Vec::new();
        if value.is_empty() || definition.is_text() {
            return Ok(CheckedValue {
                value: value.to_owned(),
                normalized,
            });
        }
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            normalized.push(Normalization::Trimmed {
                property: name.to_owned(),
            });
        }
        let kind = definition.kind.as_str();
        let text = match kind {
            "number" => {
                if !is_plain_decimal(trimmed) {
                    return Err(problem(
                        Rule::InvalidNumber,
                        format!(
                            "{value:?} is not a number; give a plain decimal such as 1250 or -3.75, without exponent, grouping or unit"
                        ),
                    ));
                }
                trimmed.to_owned()
            }
            "bool" => match trimmed {
                "true" | "false" => trimmed.to_owned(),
                _ => match option_by_label(definition, trimmed) {
                    Some(option) if matches!(option.value.as_str(), "true" | "false") => {
                        normalized.push(label_note(name, trimmed, &option.value));
                        option.value.clone()
                    }
                    _ => {
                        return Err(problem(
                            Rule::InvalidBool,
                            format!("{value:?} is not a boolean; give true or false"),
                        ));
                    }
                },
            },
            "date" => check_date(trimmed).map_err(|(rule, message)| problem(rule, message))?,
            "datetime" => {
                check_datetime(trimmed).map_err(|(rule, message)| problem(rule, message))?
            }
            _ => {
                // An enumeration: one option, or several joined with `;`.
                let items: Vec<&str> = if definition.is_multiple() {
                    trimmed.split(MULTI_VALUE_SEPARATOR).collect()
                } else {
                    vec![trimmed]
                };
                let padded = items.iter().any(|item| item.trim().len() != item.len());
                if padded && normalized.is_empty() {
                    normalized.push(Normalization::Trimmed {
                        property: name.to_owned(),
                    });
                }
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(
                        resolve_option(definition, item.trim(), &mut normalized)
                            .map_err(|message| problem(Rule::InvalidOption, message))?,
                    );
                }
                values.join(";")
            }
        };
        Ok(CheckedValue {
            value: text,
            normalized,
        })
    }

    /// Checks every property of `input`, giving it back with its values normalized (see
    /// [`UpsertInput::normalized`]) or refusing it with every failing property. Values the
    /// input could not take ([`UpsertInput::value_problems`]) are refused too.
    ///
    /// # Errors
    /// The [`PropertyRefusal`] listing each property that fails a rule.
    pub fn check(&self, mut input: UpsertInput) -> Result<UpsertInput, PropertyRefusal> {
        precheck(&mut input, Some(self))?;
        Ok(input)
    }
}

fn label_note(property: &str, label: &str, value: &str) -> Normalization {
    Normalization::OptionLabel {
        property: property.to_owned(),
        label: label.to_owned(),
        value: value.to_owned(),
    }
}

fn option_by_label<'d>(
    definition: &'d PropertyDefinition,
    label: &str,
) -> Option<&'d PropertyOption> {
    definition
        .options
        .iter()
        .find(|o| !o.label.is_empty() && o.label.trim().to_lowercase() == label.to_lowercase())
}

/// An option's value for `item`: the value itself, or the value of the option whose label it
/// is (case ignored), noted.
fn resolve_option(
    definition: &PropertyDefinition,
    item: &str,
    normalized: &mut Vec<Normalization>,
) -> Result<String, String> {
    if definition.options.iter().any(|o| o.value == item) {
        return Ok(item.to_owned());
    }
    if let Some(option) = option_by_label(definition, item) {
        normalized.push(label_note(&definition.name, item, &option.value));
        return Ok(option.value.clone());
    }
    let known: Vec<&str> = definition
        .options
        .iter()
        .take(8)
        .map(|o| o.value.as_str())
        .collect();
    let more = if definition.options.len() > known.len() {
        ", ..."
    } else {
        ""
    };
    Err(if item.is_empty() {
        "an empty option between `;` separators".to_owned()
    } else {
        format!(
            "{item:?} is not an option (by value or label); options: {}{more}",
            known.join(", ")
        )
    })
}

/// `-?digits(.digits)?`: what every HubSpot number property takes.
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// An epoch number: optional `-`, digits, fitting an `i64`.
fn epoch_number(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn check_date(text: &str) -> Result<String, (Rule, String)> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shaped {
        return match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(_) => Ok(text.to_owned()),
            Err(_) => Err((
                Rule::InvalidDate,
                format!("{text:?} is not a day of the calendar"),
            )),
        };
    }
    if let Some(ms) = epoch_number(text) {
        if DateTime::from_timestamp_millis(ms).is_none() {
            return Err((
                Rule::InvalidDate,
                format!("{text:?} is out of range for a date"),
            ));
        }
        if ms.rem_euclid(DAY_MS) == 0 {
            return Ok(text.to_owned());
        }
        if ms.abs() < SECONDS_SUSPECT_BELOW && ms.rem_euclid(86_400) == 0 {
            return Err((
                Rule::EpochSeconds,
                format!("{text} looks like epoch seconds; HubSpot wants milliseconds ({ms}000)"),
            ));
        }
        let at = DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%H:%M:%S%.3f").to_string())
            .unwrap_or_default();
        return Err((
            Rule::DateNotMidnight,
            format!(
                "{text} is at {at} UTC, not midnight; a date property takes midnight UTC of its day"
            ),
        ));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Err((
            Rule::InvalidDate,
            format!(
                "{text:?} is a date-time; give the day alone, {}",
                at.date_naive().format("%Y-%m-%d")
            ),
        ));
    }
    Err((
        Rule::InvalidDate,
        format!("{text:?} is not a date; give YYYY-MM-DD or epoch milliseconds at midnight UTC"),
    ))
}

fn check_datetime(text: &str) -> Result<String, (Rule, String)> {
    if let Some(ms) = epoch_number(text) {
        if ms.abs() < SECONDS_SUSPECT_BELOW {
            return Err((
                Rule::EpochSeconds,
                format!(
                    "{text} looks like epoch seconds (as milliseconds it is in 1970); HubSpot wants milliseconds"
                ),
            ));
        }
        if DateTime::from_timestamp_millis(ms).is_none() {
            return Err((
                Rule::InvalidDateTime,
                format!("{text:?} is out of range for a date-time"),
            ));
        }
        return Ok(text.to_owned());
    }
    if DateTime::parse_from_rfc3339(text).is_ok() {
        return Ok(text.to_owned());
    }
    Err((
        Rule::InvalidDateTime,
        format!(
            "{text:?} is not a date-time; give ISO 8601 with a time zone (2026-03-01T10:00:00Z) or epoch milliseconds"
        ),
    ))
}

/// The check made on every input before it is batched: values it could not take, then the
/// schema's rules when there is one. On success the input holds the normalized values and
/// the list of changes.
pub(crate) fn precheck(
    input: &mut UpsertInput,
    schema: Option<&PropertySchema>,
) -> Result<(), PropertyRefusal> {
    let mut problems: Vec<PropertyProblem> = input
        .value_problems()
        .iter()
        .map(|p| PropertyProblem {
            property: p.property.clone(),
            rule: Rule::UnwritableValue,
            value: String::new(),
            message: p.reason.clone(),
        })
        .collect();
    let Some(schema) = schema else {
        return if problems.is_empty() {
            Ok(())
        } else {
            Err(PropertyRefusal { problems })
        };
    };
    let mut changed = false;
    let mut values: Vec<(String, String)> = Vec::with_capacity(input.as_api().properties.len());
    let mut normalized = Vec::new();
    for (name, value) in &input.as_api().properties {
        match schema.check_value(name, value) {
            Ok(checked) => {
                changed |= checked.value != *value;
                normalized.extend(checked.normalized);
                values.push((name.to_owned(), checked.value));
            }
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(PropertyRefusal { problems });
    }
    if changed {
        input.replace_properties(values.into_iter().collect::<Properties>());
    }
    input.set_normalized(normalized);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> PropertySchema {
        PropertySchema::from_json(include_str!("../../../examples/contacts-properties.json"))
            .expect("the fixture reads")
    }

    fn ok(name: &str, value: &str) -> String {
        match schema().check_value(name, value) {
            Ok(checked) => checked.value,
            Err(problem) => panic!("{name}={value:?} refused: {problem}"),
        }
    }

    fn refused(name: &str, value: &str) -> (Rule, String) {
        match schema().check_value(name, value) {
            Ok(checked) => panic!("{name}={value:?} accepted as {:?}", checked.value),
            Err(problem) => (problem.rule, problem.message),
        }
    }

    #[test]
    fn reads_hubspots_shape_and_says_what_is_wrong() {
        assert!(schema().len() >= 10);
        let err = PropertySchema::from_json(r#"{"results": [{"label": "x"}]}"#)
            .expect_err("no name or type");
        assert!(err.to_string().contains("expected {\"results\""), "{err}");
        let err = PropertySchema::from_json(
            r#"[{"name":"a","type":"string"},{"name":"a","type":"number"}]"#,
        )
        .expect_err("twice");
        assert_eq!(
            err.to_string(),
            "the property definitions are not usable: property `a` is defined twice"
        );
        let err = PropertySchema::from_file("/nonexistent/p.json").expect_err("no file");
        assert!(
            err.to_string()
                .starts_with("cannot read the property definitions /nonexistent/p.json"),
            "{err}"
        );
    }

    #[test]
    fn unknown_read_only_and_calculated_properties_are_refused() {
        assert_eq!(refused("shoe_size", "42").0, Rule::UnknownProperty);
        assert_eq!(refused("hs_object_id", "1").0, Rule::ReadOnly);
        assert_eq!(refused("hs_object_id", "").0, Rule::ReadOnly);
        assert_eq!(refused("num_associated_deals", "3").0, Rule::Calculated);
    }

    #[test]
    fn text_is_kept_as_is_and_empty_clears_anything_writable() {
        assert_eq!(ok("firstname", "  Ada "), "  Ada ");
        assert_eq!(ok("phone", " +44 20 "), " +44 20 ");
        for name in [
            "seats",
            "contract_start_date",
            "lifecyclestage",
            "newsletter_opt_in",
        ] {
            assert_eq!(ok(name, ""), "");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(ok("seats", "1250"), "1250");
        assert_eq!(ok("annual_budget", "-3.75"), "-3.75");
        assert_eq!(ok("annual_budget", " 12 "), "12");
        for bad in ["1e3", "1,000", "12 kg", "+5", ".5", "5.", "-", "   ", "NaN"] {
            assert_eq!(
                refused("annual_budget", bad).0,
                Rule::InvalidNumber,
                "{bad}"
            );
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(ok("newsletter_opt_in", "true"), "true");
        assert_eq!(ok("newsletter_opt_in", " false"), "false");
        assert_eq!(ok("newsletter_opt_in", "Yes"), "true");
        let (rule, message) = refused("newsletter_opt_in", "y");
        assert_eq!(rule, Rule::InvalidBool);
        assert_eq!(message, "\"y\" is not a boolean; give true or false");
    }

    #[test]
    fn dates() {
        assert_eq!(ok("contract_start_date", "1815-12-10"), "1815-12-10");
        assert_eq!(ok("contract_start_date", "1772323200000"), "1772323200000");
        assert_eq!(
            ok("contract_start_date", "-4733856000000"),
            "-4733856000000"
        );
        assert_eq!(
            refused("contract_start_date", "2026-02-30").0,
            Rule::InvalidDate
        );
        assert_eq!(
            refused("contract_start_date", "01/03/2026").0,
            Rule::InvalidDate
        );
        assert_eq!(
            refused("contract_start_date", "2026-3-1").0,
            Rule::InvalidDate
        );
        let (rule, message) = refused("contract_start_date", "2026-03-01T10:00:00Z");
        assert_eq!(rule, Rule::InvalidDate);
        assert!(
            message.contains("give the day alone, 2026-03-01"),
            "{message}"
        );
        let (rule, message) = refused("contract_start_date", "1772359201954");
        assert_eq!(rule, Rule::DateNotMidnight);
        assert_eq!(
            message,
            "1772359201954 is at 10:00:01.954 UTC, not midnight; a date property takes midnight UTC of its day"
        );
        assert_eq!(
            refused("contract_start_date", "1772323200").0,
            Rule::EpochSeconds
        );
    }

    #[test]
    fn datetimes() {
        assert_eq!(
            ok("last_webinar_at", "2026-03-01T10:00:00Z"),
            "2026-03-01T10:00:00Z"
        );
        assert_eq!(
            ok("last_webinar_at", "2026-03-01T10:00:00.250+01:00"),
            "2026-03-01T10:00:00.250+01:00"
        );
        assert_eq!(ok("last_webinar_at", "1772359200000"), "1772359200000");
        assert_eq!(
            refused("last_webinar_at", "1772359200").0,
            Rule::EpochSeconds
        );
        for bad in ["2026-03-01", "2026-03-01T10:00:00", "yesterday"] {
            assert_eq!(
                refused("last_webinar_at", bad).0,
                Rule::InvalidDateTime,
                "{bad}"
            );
        }
    }

    #[test]
    fn enumerations_take_values_or_labels() {
        assert_eq!(ok("lifecyclestage", "customer"), "customer");
        assert_eq!(
            ok("lifecyclestage", "Sales Qualified Lead"),
            "salesqualifiedlead"
        );
        assert_eq!(ok("lifecyclestage", "  CUSTOMER "), "customer");
        let (rule, message) = refused("lifecyclestage", "Client");
        assert_eq!(rule, Rule::InvalidOption);
        assert!(
            message.starts_with(
                "\"Client\" is not an option (by value or label); options: subscriber, lead"
            ),
            "{message}"
        );
        assert_eq!(
            refused("lifecyclestage", "lead;customer").0,
            Rule::InvalidOption
        );
        assert_eq!(
            ok("hs_buying_role", "BUDGET_HOLDER;Champion"),
            "BUDGET_HOLDER;CHAMPION"
        );
        assert_eq!(
            ok("hs_buying_role", "END_USER ; CHAMPION"),
            "END_USER;CHAMPION"
        );
        assert_eq!(
            refused("hs_buying_role", "END_USER;;CHAMPION").0,
            Rule::InvalidOption
        );
    }

    #[test]
    fn an_input_is_normalized_or_refused_with_every_problem() {
        let schema = schema();
        let input = UpsertInput::new("a@example.com")
            .property("lifecyclestage", "Lead")
            .property("seats", " 7")
            .property("firstname", "Ada");
        let checked = schema.check(input).expect("valid");
        assert_eq!(
            checked
                .as_api()
                .properties
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [
                ("lifecyclestage", "lead"),
                ("seats", "7"),
                ("firstname", "Ada")
            ]
        );
        assert_eq!(
            checked
                .normalized()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "`lifecyclestage`: option label \"Lead\" sent as its value \"lead\"",
                "`seats`: surrounding whitespace trimmed"
            ]
        );
        let refusal = schema
            .check(
                UpsertInput::new("b@example.com")
                    .property("contract_start_date", "tomorrow")
                    .property("firstname", "Bo")
                    .property("hs_object_id", "3")
                    .property("annual_budget", f64::NAN),
            )
            .expect_err("three problems");
        let rules: Vec<Rule> = refusal.problems().iter().map(|p| p.rule).collect();
        assert_eq!(
            rules,
            [Rule::UnwritableValue, Rule::InvalidDate, Rule::ReadOnly]
        );
        assert!(
            refusal.to_string().starts_with(
                "refused before sending: UNWRITABLE_VALUE `annual_budget`: NaN is not a number"
            ),
            "{refusal}"
        );
    }
}
