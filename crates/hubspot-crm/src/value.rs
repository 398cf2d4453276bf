//! [`ToPropertyValue`] and [`PropertyValue`]: typed property values as the text HubSpot expects.

use std::borrow::Cow;
use std::fmt::{self, Display};

use chrono::{DateTime, NaiveDate, Utc};

/// The separator HubSpot uses between the values of a multiple-value property.
pub(crate) const MULTI_VALUE_SEPARATOR: char = ';';

/// What a Rust value writes into one property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyValue {
    /// Send this text (`""` clears the property).
    Text(String),
    /// Leave the property out of the input: the record keeps whatever value it has.
    Absent,
    /// The value cannot be written; the reason, for the outcome.
    Invalid(String),
}

impl PropertyValue {
    /// Any [`Display`] value as its text: the way to send a type this module does not know
    /// (`.property("external_id", PropertyValue::text(uuid))`).
    pub fn text(value: impl Display) -> PropertyValue {
        PropertyValue::Text(value.to_string())
    }
}

/// Clears a property: sent as `""`, which HubSpot reads as "no value". (`null` would be
/// ignored by HubSpot, and a `None` leaves the property out.)
///
/// ```
/// use hubspot_crm::{Clear, UpsertInput};
/// let input = UpsertInput::new("ada@example.com").property("phone", Clear);
/// assert_eq!(input.as_api().properties.get("phone").map(String::as_str), Some(""));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clear;

/// A value that can be written into a HubSpot property: the implementations and what each
/// sends are below.
///
/// ```
/// use hubspot_crm::{PropertyValue, ToPropertyValue};
/// assert_eq!(42u8.to_property_value(), PropertyValue::Text("42".into()));
/// assert_eq!(0.1f64.to_property_value(), PropertyValue::Text("0.1".into()));
/// assert_eq!(1e21f64.to_property_value(), PropertyValue::Text("1000000000000000000000".into()));
/// assert!(matches!(f64::NAN.to_property_value(), PropertyValue::Invalid(_)));
/// assert_eq!(Some(true).to_property_value(), PropertyValue::Text("true".into()));
/// assert_eq!(None::<bool>.to_property_value(), PropertyValue::Absent);
/// assert_eq!(vec!["a", "b"].to_property_value(), PropertyValue::Text("a;b".into()));
/// ```
///
/// Typed property values: [`ToPropertyValue`] turns Rust values into the text HubSpot expects
/// on the wire, where every property value is a string.
///
/// | Rust value | sent as | HubSpot property type |
/// |---|---|---|
/// | `&str`, `String`, `Cow<str>`, `char` (and `Box`, `Rc`, `Arc` of any of these types) | the text as is | `string`, `phone_number`, `enumeration` |
/// | integers (`i8` … `u128`, `isize`, `usize`) | decimal digits | `number` |
/// | `f32`, `f64` | decimal digits, never an exponent; `NaN` and infinities are refused | `number` |
/// | `bool` | `true` / `false` | `bool` |
/// | [`chrono::NaiveDate`] | `YYYY-MM-DD` | `date` |
/// | [`chrono::DateTime<Utc>`](chrono::DateTime) | epoch milliseconds | `datetime` |
/// | slices, arrays, `Vec`s | the values joined with `;` | `enumeration` with multiple values (checkboxes) |
/// | `Option<T>` | `None` leaves the property out (the record keeps its value) | any |
/// | [`Clear`] | `""`, which clears the property in HubSpot | any |
///
/// A value that cannot be written (a `NaN`, a list item holding the `;` separator) does not
/// panic: the input keeps the problem and its bulk run ends it
/// [`Failed`](crate::OutcomeKind::Failed) with category
/// [`FailureCause::PropertyCheck`](crate::FailureCause::PropertyCheck) before anything is sent.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use hubspot_crm::{Clear, UpsertInput};
///
/// let input = UpsertInput::new("ada@example.com")
///     .id_property("email")
///     .property("firstname", "Ada")                                   // text
///     .property("numemployees", 120)                                  // integer
///     .property("annualrevenue", 1_250_000.5)                         // float, no exponent
///     .property("hs_is_unworked", false)                              // bool
///     .property("date_of_birth", NaiveDate::from_ymd_opt(1815, 12, 10).unwrap())
///     .property("last_seen", Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap())
///     .property("interests", ["analytics", "engines"])                // multiple values
///     .property("nickname", None::<&str>)                             // left out
///     .property("jobtitle", Clear);                                   // cleared
/// let props = &input.as_api().properties;
/// assert_eq!(props.get("numemployees").map(String::as_str), Some("120"));
/// assert_eq!(props.get("annualrevenue").map(String::as_str), Some("1250000.5"));
/// assert_eq!(props.get("hs_is_unworked").map(String::as_str), Some("false"));
/// assert_eq!(props.get("date_of_birth").map(String::as_str), Some("1815-12-10"));
/// assert_eq!(props.get("last_seen").map(String::as_str), Some("1772359200000"));
/// assert_eq!(props.get("interests").map(String::as_str), Some("analytics;engines"));
/// assert_eq!(props.get("nickname"), None);
/// assert_eq!(props.get("jobtitle").map(String::as_str), Some(""));
/// assert!(input.value_problems().is_empty());
/// ```
pub trait ToPropertyValue {
    /// The text to send, or why there is none.
    fn to_property_value(&self) -> PropertyValue;

    /// The same, taking the value: what the [`UpsertInput`](crate::UpsertInput) builders call,
    /// so that an owned `String` (or `Cow`, or `PropertyValue`) moves into the input instead
    /// of being copied. The default copies through [`ToPropertyValue::to_property_value`].
    fn into_property_value(self) -> PropertyValue
    where
        Self: Sized,
    {
        self.to_property_value()
    }
}

impl ToPropertyValue for PropertyValue {
    fn to_property_value(&self) -> PropertyValue {
        self.clone()
    }

    fn into_property_value(self) -> PropertyValue {
        self
    }
}

impl<T: ToPropertyValue + ?Sized> ToPropertyValue for &T {
    fn to_property_value(&self) -> PropertyValue {
        (**self).to_property_value()
    }
}

impl<T: ToPropertyValue + ?Sized> ToPropertyValue for Box<T> {
    fn to_property_value(&self) -> PropertyValue {
        (**self).to_property_value()
    }
}

impl<T: ToPropertyValue + ?Sized> ToPropertyValue for std::rc::Rc<T> {
    fn to_property_value(&self) -> PropertyValue {
        (**self).to_property_value()
    }
}

impl<T: ToPropertyValue + ?Sized> ToPropertyValue for std::sync::Arc<T> {
    fn to_property_value(&self) -> PropertyValue {
        (**self).to_property_value()
    }
}

impl ToPropertyValue for str {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.to_owned())
    }
}

impl ToPropertyValue for String {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.clone())
    }

    fn into_property_value(self) -> PropertyValue {
        PropertyValue::Text(self)
    }
}

impl ToPropertyValue for Cow<'_, str> {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.to_string())
    }

    fn into_property_value(self) -> PropertyValue {
        PropertyValue::Text(self.into_owned())
    }
}

impl ToPropertyValue for char {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.to_string())
    }
}

impl ToPropertyValue for Clear {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(String::new())
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToPropertyValue for $t {
            fn to_property_value(&self) -> PropertyValue {
                PropertyValue::Text(self.to_string())
            }
        }
    )*};
}
integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// A float as HubSpot's `number` wants it: Rust's shortest round-trip decimal, which never
/// uses an exponent; `-0` is written `0`.
fn float_text(value: f64, shown: impl Display) -> PropertyValue {
    if !value.is_finite() {
        return PropertyValue::Invalid(format!(
            "{shown} is not a number HubSpot can store (NaN and infinities are refused)"
        ));
    }
    if value == 0.0 {
        return PropertyValue::Text("0".into());
    }
    PropertyValue::Text(shown.to_string())
}

impl ToPropertyValue for f64 {
    fn to_property_value(&self) -> PropertyValue {
        float_text(*self, self)
    }
}

impl ToPropertyValue for f32 {
    fn to_property_value(&self) -> PropertyValue {
        // The f32's own shortest text (0.1f32 is "0.1", not 0.10000000149011612).
        float_text(f64::from(*self), self)
    }
}

impl ToPropertyValue for bool {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(if *self { "true" } else { "false" }.into())
    }
}

/// A `date` property: `YYYY-MM-DD` (HubSpot stores it as midnight UTC of that day).
impl ToPropertyValue for NaiveDate {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.format("%Y-%m-%d").to_string())
    }
}

/// A `datetime` property: epoch milliseconds, the one form HubSpot reads the same for every
/// `datetime` property.
impl ToPropertyValue for DateTime<Utc> {
    fn to_property_value(&self) -> PropertyValue {
        PropertyValue::Text(self.timestamp_millis().to_string())
    }
}

impl<T: ToPropertyValue> ToPropertyValue for Option<T> {
    fn to_property_value(&self) -> PropertyValue {
        match self {
            Some(value) => value.to_property_value(),
            None => PropertyValue::Absent,
        }
    }

    fn into_property_value(self) -> PropertyValue {
        match self {
            Some(value) => value.into_property_value(),
            None => PropertyValue::Absent,
        }
    }
}

/// Multiple values, joined with `;` in order; items that are `None` are skipped, and an item
/// holding a `;` itself is refused, since HubSpot would read it as two values.
impl<T: ToPropertyValue> ToPropertyValue for [T] {
    fn to_property_value(&self) -> PropertyValue {
        join_values(self.iter().map(ToPropertyValue::to_property_value))
    }
}

impl<T: ToPropertyValue, const N: usize> ToPropertyValue for [T; N] {
    fn to_property_value(&self) -> PropertyValue {
        self.as_slice().to_property_value()
    }
}

impl<T: ToPropertyValue> ToPropertyValue for Vec<T> {
    fn to_property_value(&self) -> PropertyValue {
        self.as_slice().to_property_value()
    }
}

/// Joins the values of a multiple-value property.
pub(crate) fn join_values(items: impl Iterator<Item = PropertyValue>) -> PropertyValue {
    let mut joined = String::new();
    let mut first = true;
    for item in items {
        match item {
            PropertyValue::Absent => continue,
            PropertyValue::Invalid(reason) => return PropertyValue::Invalid(reason),
            PropertyValue::Text(text) => {
                if text.contains(MULTI_VALUE_SEPARATOR) {
                    return PropertyValue::Invalid(format!(
                        "the list item {text:?} holds `;`, which HubSpot reads as a separator between values"
                    ));
                }
                if !first {
                    joined.push(MULTI_VALUE_SEPARATOR);
                }
                first = false;
                joined.push_str(&text);
            }
        }
    }
    PropertyValue::Text(joined)
}

/// A value an input could not take, kept on the input until its bulk run refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    /// The property.
    pub property: String,
    /// Why the value cannot be written.
    pub reason: String,
}

impl Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "property `{}`: {}", self.property, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn text(v: impl ToPropertyValue) -> String {
        match v.to_property_value() {
            PropertyValue::Text(t) => t,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(text(-17i64), "-17");
        assert_eq!(text(u128::MAX), u128::MAX.to_string());
        assert_eq!(text(1.5f64), "1.5");
        assert_eq!(text(-0.0f64), "0");
        assert_eq!(text(1e-7f64), "0.0000001");
        assert_eq!(text(1e21f64), "1000000000000000000000");
        assert_eq!(text(0.1f32), "0.1");
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                bad.to_property_value(),
                PropertyValue::Invalid(r) if r.contains("NaN and infinities")
            ));
        }
        assert!(matches!(
            f32::NAN.to_property_value(),
            PropertyValue::Invalid(_)
        ));
    }

    #[test]
    fn dates_bools_options_and_clear() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date");
        assert_eq!(text(date), "2026-03-01");
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("a time");
        assert_eq!(text(at), "1772323200000");
        assert_eq!(text(true), "true");
        assert_eq!(text(Clear), "");
        assert_eq!(None::<i32>.to_property_value(), PropertyValue::Absent);
        assert_eq!(text(Some(Some(3))), "3");
        assert_eq!(text(PropertyValue::text(7)), "7");
        let shared: std::sync::Arc<str> = "x".into();
        assert_eq!(text(shared), "x");
        assert_eq!(text(Box::new(2u8)), "2");
    }

    #[test]
    fn lists_join_with_semicolons() {
        assert_eq!(text(["a", "b", "c"]), "a;b;c");
        assert_eq!(text(vec![Some("a"), None, Some("c")]), "a;c");
        assert_eq!(text(Vec::<String>::new()), "");
        assert_eq!(text(&[1, 2][..]), "1;2");
        assert!(matches!(
            ["a;b"].to_property_value(),
            PropertyValue::Invalid(r) if r.contains("separator")
        ));
        assert!(matches!(
            [1.0, f64::NAN].to_property_value(),
            PropertyValue::Invalid(_)
        ));
    }
}
