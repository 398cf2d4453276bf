//! [`Properties`]: the property names and values of one input.

/// The property names and values of one [`UpsertInput`](crate::UpsertInput),
/// in the order they were set.
///
/// It is the map type of the generated `SimplePublicObjectBatchInputUpsert::properties`
/// (`xtask/src/generate.rs` asks progenitor for [`hubspot_crm_api::OrderedMap`], an
/// `indexmap::IndexMap` hashed with foldhash), so an input is sent without being converted, and
/// the same inputs always give the same request bytes.
///
/// The properties of an input: name → value, in the order each name was first set. Setting a
/// name again replaces its value in place.
///
/// ```
/// use hubspot_crm::UpsertInput;
/// let input = UpsertInput::new("ada@example.com")
///     .property("firstname", "Ada")
///     .property("age", 36)
///     .property("firstname", "Augusta");
/// let props = &input.as_api().properties;
/// assert_eq!(props.get("firstname").map(String::as_str), Some("Augusta"));
/// let pairs: Vec<(&str, &str)> = props.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
/// assert_eq!(pairs, [("firstname", "Augusta"), ("age", "36")]);
/// ```
pub type Properties = hubspot_crm_api::OrderedMap<String, String>;
