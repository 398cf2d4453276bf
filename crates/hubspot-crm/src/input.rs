//! [`UpsertInput`]: one record to create or update, built fluently on the generated
//! `SimplePublicObjectBatchInputUpsert` it is sent as.

use std::fmt::Display;

use hubspot_crm_api::types::SimplePublicObjectBatchInputUpsert;

use crate::properties::Properties;

/// One record to create or update, identified by the value of a unique property.
///
/// It wraps the generated [`SimplePublicObjectBatchInputUpsert`] and is sent as exactly that:
/// the builder methods fill its fields, [`UpsertInput::as_api`] shows them, and a field the
/// spec adds to the input type reaches the wire through it without a hand-written encoder.
///
/// ```
/// use hubspot_crm::UpsertInput;
/// let input = UpsertInput::new("ada@example.com")
///     .id_property("email")
///     .property("firstname", "Ada")
///     .property("age", 36)
///     .trace_id("row-1");
/// assert_eq!(input.id(), "ada@example.com");
/// assert_eq!(input.get_properties().get("age").map(String::as_str), Some("36"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertInput(SimplePublicObjectBatchInputUpsert);

impl UpsertInput {
    /// A record identified by `id`, the value of its unique id property (an email address for
    /// contacts with `id_property("email")`).
    pub fn new(id: impl Into<String>) -> Self {
        UpsertInput(SimplePublicObjectBatchInputUpsert {
            id: id.into(),
            id_property: None,
            object_write_trace_id: None,
            properties: Properties::new(),
        })
    }

    /// Names the unique property whose value `id` is, such as `email`.
    pub fn id_property(mut self, name: impl Into<String>) -> Self {
        self.0.id_property = Some(name.into());
        self
    }

    /// Sets a property; any `Display` value is written as its text, since HubSpot takes every
    /// value as a string. Setting a name again replaces its value; properties are sent in the
    /// order they were first set.
    pub fn property(mut self, name: impl AsRef<str>, value: impl Display) -> Self {
        set(&mut self.0.properties, name.as_ref(), value);
        self
    }

    /// Sets many properties at once, in order (a name given twice keeps its first place and
    /// its last value).
    pub fn properties<K, V>(mut self, props: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: Display,
    {
        let props = props.into_iter();
        self.0.properties.reserve(props.size_hint().0);
        for (name, value) in props {
            set(&mut self.0.properties, name.as_ref(), value);
        }
        self
    }

    /// Sets the `objectWriteTraceId`. When you leave it out, the client assigns one so it can
    /// match results and errors to inputs.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.0.object_write_trace_id = Some(trace_id.into());
        self
    }

    /// The record's id value.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The unique property named, if any.
    pub fn get_id_property(&self) -> Option<&str> {
        self.0.id_property.as_deref()
    }

    /// The properties to write, in the order they were first set.
    pub fn get_properties(&self) -> &Properties {
        &self.0.properties
    }

    /// The trace id set by the user, if any.
    pub fn get_trace_id(&self) -> Option<&str> {
        self.0.object_write_trace_id.as_deref()
    }

    pub(crate) fn set_trace_id_if_missing(&mut self, make: impl FnOnce() -> String) {
        if self.0.object_write_trace_id.is_none() {
            self.0.object_write_trace_id = Some(make());
        }
    }

    /// Moves out the id, the id property and the trace id (empty when none), for an outcome.
    pub(crate) fn into_identity(self) -> (String, Option<String>, String) {
        let api = self.0;
        (
            api.id,
            api.id_property,
            api.object_write_trace_id.unwrap_or_default(),
        )
    }

    /// The generated API type this input is sent as.
    pub fn as_api(&self) -> &SimplePublicObjectBatchInputUpsert {
        &self.0
    }

    /// A copy of the generated API type this input is sent as.
    pub fn to_api(&self) -> SimplePublicObjectBatchInputUpsert {
        self.0.clone()
    }
}

/// Sets `name` to `value`'s text: in place when the name is set already, else at the end.
fn set(properties: &mut Properties, name: &str, value: impl Display) {
    let text = value.to_string();
    match properties.get_mut(name) {
        Some(slot) => *slot = text,
        None => {
            properties.insert(name.to_owned(), text);
        }
    }
}

impl From<SimplePublicObjectBatchInputUpsert> for UpsertInput {
    fn from(api: SimplePublicObjectBatchInputUpsert) -> Self {
        UpsertInput(api)
    }
}

impl From<UpsertInput> for SimplePublicObjectBatchInputUpsert {
    fn from(input: UpsertInput) -> Self {
        input.0
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
            .get_properties()
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
    fn user_trace_id_is_kept() {
        let mut input = UpsertInput::new("1").trace_id("mine");
        input.set_trace_id_if_missing(|| "auto".into());
        assert_eq!(input.get_trace_id(), Some("mine"));
        let mut input = UpsertInput::new("1");
        input.set_trace_id_if_missing(|| "auto".into());
        assert_eq!(input.get_trace_id(), Some("auto"));
    }
}
