//! [`ObjectType`]: the `{objectType}` path segment, validated before any request is built.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A CRM object type: a standard name (`contacts`), an object type id (`0-1`, `2-1234567`) or
/// a custom object's fully qualified name (`p_cars`).
///
/// Parsing refuses anything that could change the request path or its meaning: empty
/// strings, `/`, `\`, `..`, `?`, `#`, `%`, whitespace and control characters. Only ASCII
/// letters, digits, `_` and `-` are accepted, at most 100 of them.
///
/// ```
/// use hubspot_crm::ObjectType;
/// let contacts: ObjectType = "contacts".parse()?;
/// assert_eq!(contacts, ObjectType::contacts());
/// assert!("2-1234567".parse::<ObjectType>().is_ok());
/// assert!("p_cars".parse::<ObjectType>().is_ok());
/// assert!("contacts/../owners".parse::<ObjectType>().is_err());
/// # Ok::<(), hubspot_crm::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectType(String);

const MAX_LEN: usize = 100;

macro_rules! standard_types {
    ($($fn_name:ident => $name:literal),* $(,)?) => {
        impl ObjectType {
            $(
                #[doc = concat!("The standard `", $name, "` object type.")]
                pub fn $fn_name() -> Self {
                    ObjectType($name.to_string())
                }
            )*
        }
    };
}

standard_types! {
    contacts => "contacts",
    companies => "companies",
    deals => "deals",
    tickets => "tickets",
    products => "products",
    line_items => "line_items",
    quotes => "quotes",
    calls => "calls",
    emails => "emails",
    meetings => "meetings",
    notes => "notes",
    tasks => "tasks",
}

impl ObjectType {
    /// The name as it appears in the request path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ObjectType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: String| Err(Error::invalid("object type", reason));
        if s.is_empty() {
            return refuse("it is empty".into());
        }
        if s.len() > MAX_LEN {
            return refuse(format!(
                "it is {} bytes long; at most {MAX_LEN} are allowed",
                s.len()
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return refuse(format!(
                "{s:?} contains {bad:?}; only ASCII letters, digits, '_' and '-' are allowed, so the name cannot change the request path"
            ));
        }
        Ok(ObjectType(s.to_string()))
    }
}

impl TryFrom<&str> for ObjectType {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

impl TryFrom<String> for ObjectType {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_standard_ids_and_custom_names() {
        for ok in [
            "contacts",
            "line_items",
            "0-1",
            "2-1234567",
            "p_cars",
            "P_Cars-2",
        ] {
            let parsed: ObjectType = ok.parse().expect(ok);
            assert_eq!(parsed.as_str(), ok);
        }
        assert_eq!(ObjectType::line_items().to_string(), "line_items");
    }

    #[test]
    fn refuses_anything_that_could_change_the_path() {
        for bad in [
            "",
            "contacts/x",
            "..",
            "a..b",
            "a?b",
            "a%2F",
            "a b",
            " contacts",
            "a\tb",
            "a#b",
            "a\\b",
            "a\nb",
            "é",
            "a.b",
        ] {
            let err = bad.parse::<ObjectType>().expect_err(bad);
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad:?}");
            assert!(err.to_string().starts_with("invalid object type"), "{err}");
        }
        assert!("x".repeat(101).parse::<ObjectType>().is_err());
    }
}
