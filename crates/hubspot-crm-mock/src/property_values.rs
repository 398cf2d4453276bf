//! Typed properties and the value rules HubSpot applies to them, read from the JSON HubSpot
//! returns at `GET /crm/v3/properties/{objectType}` (`{"results": [...]}`).
//!
//! Written apart from the client's own checker on purpose: the mock is the judge, and a test
//! in `hubspot-reliability` holds that whatever the client's checker lets through, these rules
//! accept. Each refused value gets HubSpot's error code:
//!
//! | property | refused | code |
//! |---|---|---|
//! | read-only or calculated | any write, `""` included | `READ_ONLY_VALUE` |
//! | `number` | anything but a decimal number, surrounding whitespace included | `INVALID_INTEGER` (no `.` in it) or `INVALID_FLOAT` |
//! | `bool` | anything but `true` / `false` (any case) | `INVALID_BOOLEAN` |
//! | `date` | not `YYYY-MM-DD` or epoch milliseconds; milliseconds not at midnight UTC | `INVALID_DATE` |
//! | `datetime` | not ISO 8601 or epoch milliseconds | `INVALID_DATETIME` |
//! | `enumeration` | a value that is no option's `value` (labels are refused) | `INVALID_OPTION` |
//!
//! `""` clears any writable property: the record then has no value for it. `string` and
//! `phone_number` take any text.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike};
use serde::Deserialize;

/// What values a typed property takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// Any text (`string`, `phone_number`, and types the mock does not check).
    Text,
    /// A decimal number.
    Number,
    /// `true` or `false`.
    Bool,
    /// A day: `YYYY-MM-DD` or epoch milliseconds at midnight UTC.
    Date,
    /// A point in time: ISO 8601 or epoch milliseconds.
    DateTime,
    /// One of the options' values, or several joined with `;` when `multiple`.
    Enumeration {
        /// The options' internal values.
        options: Vec<String>,
        /// A multiple checkbox.
        multiple: bool,
    },
}

/// One typed property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedProperty {
    /// What it takes.
    pub value_type: ValueType,
    /// Whether writes are refused (read-only value, or calculated by HubSpot).
    pub read_only: bool,
    /// Whether values are unique per record.
    pub unique: bool,
}

impl TypedProperty {
    /// A writable, non-unique property of this type.
    pub fn new(value_type: ValueType) -> Self {
        TypedProperty {
            value_type,
            read_only: false,
            unique: false,
        }
    }

    /// The same, read-only.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// A single-choice enumeration with these option values.
    pub fn options<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(ValueType::Enumeration {
            options: values.into_iter().map(Into::into).collect(),
            multiple: false,
        })
    }

    /// A multiple-checkbox enumeration with these option values.
    pub fn checkboxes<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(ValueType::Enumeration {
            options: values.into_iter().map(Into::into).collect(),
            multiple: true,
        })
    }
}

/// The typed properties of one object type, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyDefinitions {
    by_name: BTreeMap<String, TypedProperty>,
}

/// Why a properties file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    /// The file could not be read.
    #[error("cannot read property definitions from {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not HubSpot's properties JSON.
    #[error("not HubSpot's properties JSON ({{\"results\": [...]}}): {0}")]
    Json(String),
}

/// A value HubSpot would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRefusal {
    /// HubSpot's error code (`INVALID_DATE`, `INVALID_OPTION`, ...).
    pub code: &'static str,
    /// HubSpot-style explanation.
    pub message: String,
}

/// One entry of HubSpot's `results`, with the fields the rules need.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDefinition {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    field_type: String,
    #[serde(default)]
    options: Vec<RawOption>,
    #[serde(default)]
    has_unique_value: bool,
    #[serde(default)]
    calculated: bool,
    #[serde(default)]
    modification_metadata: Option<RawMetadata>,
}

#[derive(Deserialize)]
struct RawOption {
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    #[serde(default)]
    read_only_value: bool,
}

#[derive(Deserialize)]
struct RawFile {
    results: Vec<RawDefinition>,
}

impl From<RawDefinition> for TypedProperty {
    fn from(raw: RawDefinition) -> Self {
        let value_type = match raw.kind.as_str() {
            "number" => ValueType::Number,
            "bool" => ValueType::Bool,
            "date" => ValueType::Date,
            "datetime" => ValueType::DateTime,
            "enumeration" => ValueType::Enumeration {
                options: raw.options.into_iter().map(|o| o.value).collect(),
                multiple: raw.field_type == "checkbox",
            },
            _ => ValueType::Text,
        };
        let read_only = raw.calculated
            || raw.field_type.starts_with("calculation")
            || raw.modification_metadata.is_some_and(|m| m.read_only_value);
        TypedProperty {
            value_type,
            read_only,
            unique: raw.has_unique_value,
        }
    }
}

impl PropertyDefinitions {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) one property.
    pub fn with(mut self, name: impl Into<String>, property: TypedProperty) -> Self {
        self.by_name.insert(name.into(), property);
        self
    }

    /// Reads HubSpot's properties JSON.
    ///
    /// # Errors
    /// [`DefinitionsError::Json`] when the text is not `{"results": [...]}` with a `name` and
    /// a `type` in each entry.
    pub fn from_json(text: &str) -> Result<Self, DefinitionsError> {
        let file: RawFile =
            serde_json::from_str(text).map_err(|e| DefinitionsError::Json(e.to_string()))?;
        Ok(PropertyDefinitions {
            by_name: file
                .results
                .into_iter()
                .map(|raw| (raw.name.clone(), TypedProperty::from(raw)))
                .collect(),
        })
    }

    /// Reads HubSpot's properties JSON from a file.
    ///
    /// # Errors
    /// [`DefinitionsError::Read`] when the file cannot be read, and those of
    /// [`PropertyDefinitions::from_json`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, DefinitionsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| DefinitionsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// The property named `name`.
    pub fn get(&self, name: &str) -> Option<&TypedProperty> {
        self.by_name.get(name)
    }

    /// The names and properties, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TypedProperty)> {
        self.by_name.iter().map(|(n, p)| (n.as_str(), p))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Judges `value` for `name` as HubSpot does: `Ok` with what is stored (`None` for `""`,
    /// "no value"), or the refusal. A name without a definition takes any text.
    ///
    /// # Errors
    /// The [`ValueRefusal`] with HubSpot's code.
    pub fn judge(&self, name: &str, value: &str) -> Result<Option<String>, ValueRefusal> {
        let Some(property) = self.by_name.get(name) else {
            return Ok(stored(value));
        };
        if property.read_only {
            return Err(ValueRefusal {
                code: "READ_ONLY_VALUE",
                message: format!("The property {name} is read-only and cannot be set"),
            });
        }
        if value.is_empty() {
            return Ok(None);
        }
        let refuse = |code: &'static str, message: String| Err(ValueRefusal { code, message });
        match &property.value_type {
            ValueType::Text => Ok(Some(value.to_owned())),
            ValueType::Number => {
                if is_number(value) {
                    Ok(Some(value.to_owned()))
                } else {
                    let code = if value.contains('.') {
                        "INVALID_FLOAT"
                    } else {
                        "INVALID_INTEGER"
                    };
                    refuse(code, format!("{value} was not a valid number."))
                }
            }
            ValueType::Bool => {
                if value.eq_ignore_ascii_case("true") {
                    Ok(Some("true".into()))
                } else if value.eq_ignore_ascii_case("false") {
                    Ok(Some("false".into()))
                } else {
                    refuse(
                        "INVALID_BOOLEAN",
                        format!("{value} is not a valid boolean value; use true or false."),
                    )
                }
            }
            ValueType::Date => date(value).map(Some).map_err(|message| ValueRefusal {
                code: "INVALID_DATE",
                message,
            }),
            ValueType::DateTime => {
                if is_datetime(value) {
                    Ok(Some(value.to_owned()))
                } else {
                    refuse(
                        "INVALID_DATETIME",
                        format!(
                            "{value} is not a valid ISO 8601 date-time or epoch millisecond timestamp"
                        ),
                    )
                }
            }
            ValueType::Enumeration { options, multiple } => {
                let chosen: Vec<&str> = if *multiple {
                    value.split(';').filter(|v| !v.is_empty()).collect()
                } else {
                    vec![value]
                };
                for item in &chosen {
                    if !options.iter().any(|o| o == item) {
                        return refuse(
                            "INVALID_OPTION",
                            format!(
                                "{item} was not one of the allowed options: [{}]",
                                options.join(", ")
                            ),
                        );
                    }
                }
                Ok(Some(chosen.join(";")))
            }
        }
    }
}

fn stored(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// A decimal number, as HubSpot's number parser takes it: optional sign, digits with at most
/// one point, no surrounding whitespace.
fn is_number(value: &str) -> bool {
    let unsigned = value
        .strip_prefix('-')
        .or_else(|| value.strip_prefix('+'))
        .unwrap_or(value);
    let mut digits = 0;
    let mut points = 0;
    for c in unsigned.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => points += 1,
            _ => return false,
        }
    }
    digits > 0 && points <= 1
}

/// A `date` value, stored as `YYYY-MM-DD`.
fn date(value: &str) -> Result<String, String> {
    if value.len() == 10
        && let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
    {
        return Ok(day.format("%Y-%m-%d").to_string());
    }
    let millis: i64 = value.parse().map_err(|_| {
        format!(
            "{value} is not a valid date; use YYYY-MM-DD or a millisecond timestamp at midnight UTC"
        )
    })?;
    let at = DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| format!("{value} is out of range for a date"))?;
    let time = at.time();
    if time.num_seconds_from_midnight() != 0 || time.nanosecond() != 0 {
        // HubSpot's own wording, seconds unpadded.
        return Err(format!(
            "{value} is at {}:{}:{}.{} UTC, not midnight!",
            time.hour(),
            time.minute(),
            time.second(),
            time.nanosecond() / 1_000_000
        ));
    }
    Ok(at.format("%Y-%m-%d").to_string())
}

/// ISO 8601 with or without an offset (UTC when none), a bare day, or epoch milliseconds.
fn is_datetime(value: &str) -> bool {
    if value
        .parse::<i64>()
        .is_ok_and(|ms| DateTime::from_timestamp_millis(ms).is_some())
    {
        return true;
    }
    DateTime::parse_from_rfc3339(value).is_ok()
        || NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || (value.len() == 10 && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contacts() -> PropertyDefinitions {
        PropertyDefinitions::from_json(include_str!("../../../examples/contacts-properties.json"))
            .expect("the example reads")
    }

    fn code(name: &str, value: &str) -> &'static str {
        match contacts().judge(name, value) {
            Ok(stored) => panic!("{name}={value:?} accepted as {stored:?}"),
            Err(refusal) => refusal.code,
        }
    }

    fn stored(name: &str, value: &str) -> Option<String> {
        contacts()
            .judge(name, value)
            .unwrap_or_else(|r| panic!("{name}={value:?} refused: {r:?}"))
    }

    #[test]
    fn read_only_and_calculated_properties_refuse_every_write() {
        assert_eq!(code("hs_object_id", "5"), "READ_ONLY_VALUE");
        assert_eq!(code("createdate", ""), "READ_ONLY_VALUE");
        assert_eq!(code("num_associated_deals", "2"), "READ_ONLY_VALUE");
    }

    #[test]
    fn empty_clears_and_text_is_free() {
        assert_eq!(stored("seats", ""), None);
        assert_eq!(stored("lifecyclestage", ""), None);
        assert_eq!(stored("firstname", " Ada "), Some(" Ada ".into()));
        assert_eq!(stored("undeclared", "x"), Some("x".into()));
    }

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(stored("seats", "12"), Some("12".into()));
        assert_eq!(stored("annual_budget", "+1.50"), Some("+1.50".into()));
        assert_eq!(code("seats", " 12"), "INVALID_INTEGER");
        assert_eq!(code("seats", "twelve"), "INVALID_INTEGER");
        assert_eq!(code("annual_budget", "1.2.3"), "INVALID_FLOAT");
        assert_eq!(stored("newsletter_opt_in", "TRUE"), Some("true".into()));
        assert_eq!(code("newsletter_opt_in", "Yes"), "INVALID_BOOLEAN");
    }

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(
            stored("contract_start_date", "2026-03-01"),
            Some("2026-03-01".into())
        );
        assert_eq!(
            stored("contract_start_date", "1772323200000"),
            Some("2026-03-01".into())
        );
        assert_eq!(code("contract_start_date", "2026-02-30"), "INVALID_DATE");
        assert_eq!(code("contract_start_date", " 2026-03-01"), "INVALID_DATE");
        let refusal = contacts()
            .judge("contract_start_date", "1772397361954")
            .expect_err("not midnight");
        assert_eq!(
            refusal.message,
            "1772397361954 is at 20:36:1.954 UTC, not midnight!"
        );
        for ok in [
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00.5+02:00",
            "2026-03-01T10:00:00",
            "1772359200000",
        ] {
            assert_eq!(stored("last_webinar_at", ok), Some(ok.into()));
        }
        assert_eq!(code("last_webinar_at", "next tuesday"), "INVALID_DATETIME");
    }

    #[test]
    fn enumerations_take_option_values_only() {
        assert_eq!(stored("lifecyclestage", "lead"), Some("lead".into()));
        assert_eq!(code("lifecyclestage", "Lead"), "INVALID_OPTION");
        assert_eq!(
            stored("hs_buying_role", ";CHAMPION;END_USER"),
            Some("CHAMPION;END_USER".into())
        );
        let refusal = contacts()
            .judge("hs_lead_status", "Hot")
            .expect_err("no such option");
        assert!(
            refusal
                .message
                .starts_with("Hot was not one of the allowed options: [NEW, OPEN,"),
            "{refusal:?}"
        );
    }
}
