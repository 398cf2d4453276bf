//! Properties from any `T: Serialize`, for [`UpsertInput::properties_from`](crate::UpsertInput::properties_from).

use std::fmt::Display;

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::value::{PropertyValue, join_values};

/// Why a value could not be turned into properties.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match field {
    Some(field) => format!("cannot make properties from field `{field}`: {message}"),
    None => format!("cannot make properties: {message}"),
})]
pub struct SerializePropertiesError {
    /// The field (property name) at fault, when the problem is in one field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ser::Error for SerializePropertiesError {
    fn custom<T: Display>(msg: T) -> Self {
        SerializePropertiesError {
            field: None,
            message: msg.to_string(),
        }
    }
}

/// The (name, value) pairs of `value`, a struct or a map with text keys, in field order;
/// fields that are `None` are left out.
///
/// # Errors
/// [`SerializePropertiesError`] naming the field when one holds a nested struct, map or
/// bytes, or a value that cannot be written (`NaN`); and when `value` is not a struct or map.
pub fn properties_of<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<(String, String)>, SerializePropertiesError> {
    let mut out = Vec::new();
    value.serialize(TopSerializer { out: &mut out })?;
    Ok(out)
}

type Error = SerializePropertiesError;

fn top_level(kind: &str) -> Error {
    Error {
        field: None,
        message: format!(
            "a {kind} is not a record; give a struct or a map, whose fields become properties"
        ),
    }
}

/// Serializes the record itself: a struct or a map.
struct TopSerializer<'a> {
    out: &'a mut Vec<(String, String)>,
}

/// Collects the fields of the record.
struct Fields<'a> {
    out: &'a mut Vec<(String, String)>,
    /// The key of a map entry whose value comes next.
    key: Option<String>,
}

impl Fields<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let at = |message: String| Error {
            field: Some(name.to_owned()),
            message,
        };
        match value
            .serialize(ValueSerializer)
            .map_err(|e| at(e.message))?
        {
            PropertyValue::Text(text) => self.out.push((name.to_owned(), text)),
            PropertyValue::Absent => {}
            PropertyValue::Invalid(reason) => return Err(at(reason)),
        }
        Ok(())
    }
}

macro_rules! not_a_record {
    ($($method:ident($($arg:ty),*) => $kind:expr;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<(), Error> {
            Err(top_level($kind))
        }
    )*};
}

impl<'a> ser::Serializer for TopSerializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Fields<'a>;

    not_a_record! {
        serialize_bool(bool) => "bool";
        serialize_i8(i8) => "number";
        serialize_i16(i16) => "number";
        serialize_i32(i32) => "number";
        serialize_i64(i64) => "number";
        serialize_i128(i128) => "number";
        serialize_u8(u8) => "number";
        serialize_u16(u16) => "number";
        serialize_u32(u32) => "number";
        serialize_u64(u64) => "number";
        serialize_u128(u128) => "number";
        serialize_f32(f32) => "number";
        serialize_f64(f64) => "number";
        serialize_char(char) => "character";
        serialize_str(&str) => "string";
        serialize_bytes(&[u8]) => "byte string";
        serialize_none() => "None";
        serialize_unit() => "unit";
        serialize_unit_struct(&'static str) => "unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) => "unit enum variant";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(top_level("sequence"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(top_level("tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(top_level("tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(top_level("tuple variant"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Fields<'a>, Error> {
        Ok(Fields {
            out: self.out,
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields<'a>, Error> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Fields<'a>, Error> {
        self.serialize_map(None)
    }
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Fields<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match key.serialize(ValueSerializer)? {
            PropertyValue::Text(name) if !name.is_empty() => {
                self.key = Some(name);
                Ok(())
            }
            _ => Err(Error {
                field: None,
                message: "a map key is not a property name (keys must be non-empty text)".into(),
            }),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let name = self.key.take().ok_or_else(|| Error {
            field: None,
            message: "a map value came without its key".into(),
        })?;
        self.field(&name, value)
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// Serializes one field's value into a [`PropertyValue`]; errors carry only a message (the
/// caller adds the field).
struct ValueSerializer;

fn nested(kind: &str) -> Error {
    Error {
        field: None,
        message: format!(
            "it holds a {kind}, and HubSpot properties are flat; give it a property of its own per value, or #[serde(skip)] it"
        ),
    }
}

fn text(value: impl Display) -> Result<PropertyValue, Error> {
    Ok(PropertyValue::Text(value.to_string()))
}

impl ser::Serializer for ValueSerializer {
    type Ok = PropertyValue;
    type Error = Error;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = Impossible<PropertyValue, Error>;
    type SerializeMap = Impossible<PropertyValue, Error>;
    type SerializeStruct = Impossible<PropertyValue, Error>;
    type SerializeStructVariant = Impossible<PropertyValue, Error>;

    fn serialize_bool(self, v: bool) -> Result<PropertyValue, Error> {
        Ok(crate::value::ToPropertyValue::to_property_value(&v))
    }
    fn serialize_i8(self, v: i8) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_i128(self, v: i128) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_u128(self, v: u128) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_f32(self, v: f32) -> Result<PropertyValue, Error> {
        Ok(crate::value::ToPropertyValue::to_property_value(&v))
    }
    fn serialize_f64(self, v: f64) -> Result<PropertyValue, Error> {
        Ok(crate::value::ToPropertyValue::to_property_value(&v))
    }
    fn serialize_char(self, v: char) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_str(self, v: &str) -> Result<PropertyValue, Error> {
        text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<PropertyValue, Error> {
        Err(nested("byte string"))
    }
    fn serialize_none(self) -> Result<PropertyValue, Error> {
        Ok(PropertyValue::Absent)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<PropertyValue, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<PropertyValue, Error> {
        Ok(PropertyValue::Absent)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<PropertyValue, Error> {
        Ok(PropertyValue::Absent)
    }
    /// An enum without data is its (renamed) variant name: an enumeration's option value.
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<PropertyValue, Error> {
        text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<PropertyValue, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<PropertyValue, Error> {
        Err(nested("enum variant with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items, Error> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Items, Error> {
        Ok(Items(Vec::with_capacity(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items, Error> {
        Ok(Items(Vec::with_capacity(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(nested("enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(nested("map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(nested("struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(nested("struct"))
    }
}

/// The items of a list field, joined with `;` at the end.
struct Items(Vec<PropertyValue>);

impl Items {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let item = value.serialize(ValueSerializer)?;
        self.0.push(item);
        Ok(())
    }

    fn finish(self) -> Result<PropertyValue, Error> {
        Ok(join_values(self.0.into_iter()))
    }
}

impl ser::SerializeSeq for Items {
    type Ok = PropertyValue;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<PropertyValue, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Items {
    type Ok = PropertyValue;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<PropertyValue, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Items {
    type Ok = PropertyValue;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<PropertyValue, Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        street: String,
    }

    #[derive(Serialize)]
    struct WithNested {
        firstname: &'static str,
        #[serde(rename = "home_address")]
        address: Inner,
    }

    #[derive(Serialize)]
    struct Flat {
        #[serde(rename = "numemployees")]
        employees: u32,
        revenue: f64,
        vip: bool,
        note: Option<&'static str>,
        tags: (&'static str, &'static str),
    }

    #[test]
    fn a_flat_struct_gives_one_property_per_field_in_order() {
        let pairs = properties_of(&Flat {
            employees: 12,
            revenue: 2.5,
            vip: true,
            note: None,
            tags: ("a", "b"),
        })
        .expect("flat");
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("numemployees", "12"),
                ("revenue", "2.5"),
                ("vip", "true"),
                ("tags", "a;b")
            ]
        );
    }

    #[test]
    fn nested_values_are_refused_naming_the_field() {
        let err = properties_of(&WithNested {
            firstname: "Ada",
            address: Inner { street: "x".into() },
        })
        .expect_err("nested");
        assert_eq!(err.field.as_deref(), Some("home_address"));
        assert_eq!(
            err.to_string(),
            "cannot make properties from field `home_address`: it holds a struct, and HubSpot properties are flat; give it a property of its own per value, or #[serde(skip)] it"
        );
        let mut map = BTreeMap::new();
        map.insert("prefs", BTreeMap::from([("a", 1)]));
        let err = properties_of(&map).expect_err("a map in a map");
        assert_eq!(err.field.as_deref(), Some("prefs"));
        assert!(err.message.contains("holds a map"), "{err}");
    }

    #[test]
    fn maps_non_records_and_bad_numbers() {
        let map = BTreeMap::from([("city", "Paris"), ("country", "France")]);
        assert_eq!(
            properties_of(&map).expect("a map"),
            [
                ("city".to_string(), "Paris".to_string()),
                ("country".into(), "France".into())
            ]
        );
        let err = properties_of(&42).expect_err("not a record");
        assert_eq!(err.field, None);
        assert!(err.message.contains("a number is not a record"), "{err}");
        let err = properties_of(&BTreeMap::from([("score", f64::NAN)])).expect_err("NaN");
        assert_eq!(err.field.as_deref(), Some("score"));
    }
}
