//! [`UpsertInput`]: one record to create or update, built fluently on the generated
//! `SimplePublicObjectBatchInputUpsert` it is sent as.

use hubspot_crm_api::v2026_09::types::SimplePublicObjectBatchInputUpsert;

use crate::normalization::Normalization;
use crate::properties::Properties;
use crate::serialize_properties::{SerializePropertiesError, properties_of};
use crate::value::{PropertyValue, ToPropertyValue, ValueProblem};

/// One record to create or update, identified by the value of a unique property.
///
/// It wraps the generated [`SimplePublicObjectBatchInputUpsert`] and is sent as exactly that:
/// the builder methods fill its fields, and [`UpsertInput::as_api`] reads them back
/// (`id_property`, `properties`, `object_write_trace_id`); a field the spec adds to the input
/// type reaches the wire through it without a hand-written encoder.
///
/// ```
/// use hubspot_crm::UpsertInput;
/// let input = UpsertInput::new("ada@example.com")
///     .id_property("email")
///     .property("firstname", "Ada")
///     .property("age", 36)
///     .trace_id("row-1");
/// assert_eq!(input.id(), "ada@example.com");
/// assert_eq!(input.as_api().properties.get("age").map(String::as_str), Some("36"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertInput {
    wire: SimplePublicObjectBatchInputUpsert,
    /// Values that could not be set, and changes the pre-send checks made; usually none.
    checks: Option<Box<ValueChecks>>,
}

/// What [`UpsertInput::value_problems`] and [`UpsertInput::normalized`] report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ValueChecks {
    problems: Vec<ValueProblem>,
    normalized: Vec<Normalization>,
}

impl UpsertInput {
    /// A record identified by `id`, the value of its unique id property (an email address for
    /// contacts with `id_property("email")`).
    pub fn new(id: impl Into<String>) -> Self {
        UpsertInput::from(SimplePublicObjectBatchInputUpsert {
            id: id.into(),
            id_property: None,
            object_write_trace_id: None,
            properties: Properties::default(),
        })
    }

    /// Names the unique property whose value `id` is, such as `email`.
    pub fn id_property(mut self, name: impl Into<String>) -> Self {
        self.wire.id_property = Some(name.into());
        self
    }

    /// Sets a property from any [`ToPropertyValue`]: text, numbers, `bool`, `chrono` dates and
    /// date-times, lists (joined with `;`), `Option` (`None` leaves the property out) or
    /// [`Clear`](crate::Clear) (sends `""`); see [`ToPropertyValue`] for what each sends. Setting a name again
    /// replaces its value in place; properties are sent in the order they were first set. A
    /// value with no text (a `NaN`) is kept aside as a [`UpsertInput::value_problems`] entry,
    /// and a bulk run refuses the input before sending it.
    pub fn property(mut self, name: impl AsRef<str>, value: impl ToPropertyValue) -> Self {
        self.set(name.as_ref(), value.into_property_value());
        self
    }

    /// Sets many properties at once, in order (a name given twice keeps its first place and
    /// its last value).
    pub fn properties<K, V>(mut self, props: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: ToPropertyValue,
    {
        let props = props.into_iter();
        self.wire.properties.reserve(props.size_hint().0);
        for (name, value) in props {
            self.set(name.as_ref(), value.into_property_value());
        }
        self
    }

    /// Sets one property per field of `record`, any `T: Serialize` (a struct of yours, or a
    /// map): serde's names (and `#[serde(rename)]`) are the property names.
    ///
    /// Properties from any `T: Serialize`: each field of a struct (or entry of a map) becomes one
    /// property, named as serde names it (so `#[serde(rename = "...")]` gives HubSpot's internal
    /// names), with its value converted by the rules of [`ToPropertyValue`].
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use hubspot_crm::UpsertInput;
    /// use serde::Serialize;
    ///
    /// #[derive(Serialize)]
    /// #[serde(rename_all = "lowercase")]
    /// enum Stage { Lead, Customer }
    ///
    /// #[derive(Serialize)]
    /// struct Contact {
    ///     #[serde(rename = "firstname")]
    ///     first_name: String,
    ///     #[serde(rename = "date_of_birth")]
    ///     born: NaiveDate,
    ///     #[serde(rename = "lifecyclestage")]
    ///     stage: Stage,
    ///     #[serde(rename = "hs_language")]
    ///     language: Option<String>, // None: left out
    ///     interests: Vec<&'static str>,
    /// }
    ///
    /// let ada = Contact {
    ///     first_name: "Ada".into(),
    ///     born: NaiveDate::from_ymd_opt(1815, 12, 10).unwrap(),
    ///     stage: Stage::Customer,
    ///     language: None,
    ///     interests: vec!["analytics", "engines"],
    /// };
    /// let input = UpsertInput::new("ada@example.com").id_property("email").properties_from(&ada)?;
    /// let props = &input.as_api().properties;
    /// assert_eq!(props.get("firstname").map(String::as_str), Some("Ada"));
    /// assert_eq!(props.get("date_of_birth").map(String::as_str), Some("1815-12-10"));
    /// assert_eq!(props.get("lifecyclestage").map(String::as_str), Some("customer"));
    /// assert_eq!(props.get("hs_language"), None);
    /// assert_eq!(props.get("interests").map(String::as_str), Some("analytics;engines"));
    /// # Ok::<(), hubspot_crm::SerializePropertiesError>(())
    /// ```
    ///
    /// A field holding a struct or a map is refused, naming the field: HubSpot properties are
    /// flat, and guessing a flattening would write properties nobody asked for. `chrono`'s dates
    /// and date-times serialize as text (`2026-03-01`, `2026-03-01T10:00:00Z`), which HubSpot
    /// reads for `date` and `datetime` properties.
    ///
    /// # Errors
    /// A [`SerializePropertiesError`] naming the field when one holds a nested struct or map,
    /// or a value with no text (`NaN`).
    pub fn properties_from<T: serde::Serialize + ?Sized>(
        self,
        record: &T,
    ) -> Result<Self, SerializePropertiesError> {
        Ok(self.properties(properties_of(record)?))
    }

    /// Sets `name` to `value`: in place when the name is set already, else at the end.
    fn set(&mut self, name: &str, value: PropertyValue) {
        match value {
            // `IndexMap::insert` keeps an existing name in its place and replaces its value:
            // one hash per property instead of a lookup and then an insert.
            PropertyValue::Text(text) => {
                self.wire.properties.insert(name.to_owned(), text);
            }
            PropertyValue::Absent => {}
            PropertyValue::Invalid(reason) => {
                self.checks
                    .get_or_insert_with(Box::default)
                    .problems
                    .push(ValueProblem {
                        property: name.to_owned(),
                        reason,
                    });
            }
        }
    }

    /// Values given to [`UpsertInput::property`] that have no text to send (such as `NaN`).
    pub fn value_problems(&self) -> &[ValueProblem] {
        self.checks.as_ref().map_or(&[], |c| &c.problems)
    }

    /// What a [`PropertySchema`](crate::property_schema::PropertySchema) check changed in the values (option
    /// labels replaced by their values, whitespace trimmed); empty before a check.
    pub fn normalized(&self) -> &[Normalization] {
        self.checks.as_ref().map_or(&[], |c| &c.normalized)
    }

    pub(crate) fn replace_properties(&mut self, properties: Properties) {
        self.wire.properties = properties;
    }

    pub(crate) fn set_normalized(&mut self, normalized: Vec<Normalization>) {
        if !normalized.is_empty() {
            self.checks.get_or_insert_with(Box::default).normalized = normalized;
        }
    }

    /// Sets the `objectWriteTraceId`. When you leave it out, the client assigns one so it can
    /// match results and errors to inputs.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.wire.object_write_trace_id = Some(trace_id.into());
        self
    }

    /// The record's id value.
    pub fn id(&self) -> &str {
        &self.wire.id
    }

    pub(crate) fn set_trace_id_if_missing(&mut self, make: impl FnOnce() -> String) {
        if self.wire.object_write_trace_id.is_none() {
            self.wire.object_write_trace_id = Some(make());
        }
    }

    /// The generated API type this input is sent as.
    pub fn as_api(&self) -> &SimplePublicObjectBatchInputUpsert {
        &self.wire
    }

    /// A copy of the generated API type this input is sent as.
    pub fn to_api(&self) -> SimplePublicObjectBatchInputUpsert {
        self.wire.clone()
    }
}

impl From<SimplePublicObjectBatchInputUpsert> for UpsertInput {
    fn from(api: SimplePublicObjectBatchInputUpsert) -> Self {
        UpsertInput {
            wire: api,
            checks: None,
        }
    }
}

impl From<UpsertInput> for SimplePublicObjectBatchInputUpsert {
    fn from(input: UpsertInput) -> Self {
        input.wire
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_fills_the_api_type() {
        let api = UpsertInput::new("a@b.c")
            .id_property("email")
            .property("n", 1.5)
            .properties([("x", "y")])
            .to_api();
        assert_eq!(api.id, "a@b.c");
        assert_eq!(api.id_property.as_deref(), Some("email"));
        assert_eq!(api.object_write_trace_id, None);
        assert_eq!(api.properties.get("n").map(String::as_str), Some("1.5"));
        assert_eq!(api.properties.get("x").map(String::as_str), Some("y"));
    }

    #[test]
    fn properties_keep_first_place_and_last_value() {
        let input = UpsertInput::new("1")
            .property("b", 1)
            .property("a", "x")
            .property("b", 2.5)
            .properties([("c", "1"), ("a", "y"), ("c", "2")]);
        let pairs: Vec<(&str, &str)> = input
            .as_api()
            .properties
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, [("b", "2.5"), ("a", "y"), ("c", "2")]);
    }

    #[test]
    fn serializes_as_the_generated_type_in_property_order() {
        let input = UpsertInput::new("a@b.c")
            .id_property("email")
            .property("z", "say \"hi\"")
            .property("a", 1)
            .trace_id("t-1");
        assert_eq!(
            serde_json::to_string(input.as_api()).expect("serializes"),
            r#"{"id":"a@b.c","idProperty":"email","objectWriteTraceId":"t-1","properties":{"z":"say \"hi\"","a":"1"}}"#
        );
        let back: SimplePublicObjectBatchInputUpsert =
            serde_json::from_str(&serde_json::to_string(input.as_api()).expect("serializes"))
                .expect("parses");
        assert_eq!(UpsertInput::from(back), input);
    }

    #[test]
    fn owned_strings_move_into_the_input() {
        let value = String::from("Ada");
        let at = value.as_ptr();
        let listed = String::from("Lovelace");
        let listed_at = listed.as_ptr();
        let input = UpsertInput::new("1")
            .property("firstname", value)
            .properties([("lastname", Some(listed))]);
        let props = &input.as_api().properties;
        assert_eq!(props.get("firstname").map(|s| s.as_ptr()), Some(at));
        assert_eq!(props.get("lastname").map(|s| s.as_ptr()), Some(listed_at));
        // Borrowed values are still copied, and read the same.
        let borrowed = String::from("x");
        let input = UpsertInput::new("1").property("a", &borrowed);
        assert_eq!(input.as_api().properties.get("a"), Some(&borrowed));
        assert_ne!(input.as_api().properties["a"].as_ptr(), borrowed.as_ptr());
    }

    #[test]
    fn user_trace_id_is_kept() {
        let mut input = UpsertInput::new("1").trace_id("mine");
        input.set_trace_id_if_missing(|| "auto".into());
        assert_eq!(
            input.as_api().object_write_trace_id.as_deref(),
            Some("mine")
        );
        let mut input = UpsertInput::new("1");
        input.set_trace_id_if_missing(|| "auto".into());
        assert_eq!(
            input.as_api().object_write_trace_id.as_deref(),
            Some("auto")
        );
    }
}
