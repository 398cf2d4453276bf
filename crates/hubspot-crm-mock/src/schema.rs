//! Object types and their property schemas: which properties exist, which hold unique values,
//! which hold email addresses, and how a path's `objectType` names one of them.

use std::collections::BTreeMap;

use crate::property_values::{PropertyDefinitions, TypedProperty, ValueType};

/// The properties of one object type, as the mock knows them.
///
/// Built either as a struct literal (`ObjectSchema { properties, unique_properties,
/// ..Default::default() }`) or with [`ObjectSchema::new`] and the builder methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectSchema {
    /// Every property an input may write. Writing any other property is an input error.
    pub properties: Vec<String>,
    /// Properties whose values are unique per record; only these may be an `idProperty`.
    pub unique_properties: Vec<String>,
    /// Properties holding email addresses: validated, compared and stored lower-cased.
    pub email_properties: Vec<String>,
    /// The `idProperty` used when an input names none (default: the first unique property).
    pub default_id_property: Option<String>,
    /// An object type id (`0-1`, `2-1234567`) that names this type too.
    pub type_id: Option<String>,
    /// Typed properties, whose values are checked as HubSpot checks them (see
    /// [`crate::property_values`]); the others take any text.
    pub definitions: PropertyDefinitions,
}

impl ObjectSchema {
    /// A schema with these properties, none unique.
    pub fn new<I, S>(properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ObjectSchema {
            properties: properties.into_iter().map(Into::into).collect(),
            ..ObjectSchema::default()
        }
    }

    /// Mark these properties as unique (they are added to the properties if missing).
    pub fn unique<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for p in properties {
            let p = self.declare(p.into());
            self.unique_properties.push(p);
        }
        self
    }

    /// Mark these properties as email addresses (they are added to the properties if missing).
    pub fn emails<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for p in properties {
            let p = self.declare(p.into());
            self.email_properties.push(p);
        }
        self
    }

    /// Adds `property` to the known properties if it is not there yet, and gives it back.
    fn declare(&mut self, property: String) -> String {
        if !self.properties.contains(&property) {
            self.properties.push(property.clone());
        }
        property
    }

    /// Types these properties (declaring them, and marking unique ones): HubSpot's value
    /// rules then apply to them.
    pub fn typed(mut self, definitions: &PropertyDefinitions) -> Self {
        for (name, property) in definitions.iter() {
            let name = self.declare(name.to_owned());
            if property.unique && !self.is_unique(&name) {
                self.unique_properties.push(name.clone());
            }
            self.definitions = std::mem::take(&mut self.definitions).with(name, property.clone());
        }
        self
    }

    /// Also accept this object type id as a name of the type.
    pub fn type_id(mut self, id: impl Into<String>) -> Self {
        self.type_id = Some(id.into());
        self
    }

    /// The `idProperty` assumed when an input names none.
    pub fn id_property_default(&self) -> Option<&str> {
        self.default_id_property
            .as_deref()
            .or_else(|| self.unique_properties.first().map(String::as_str))
    }

    pub(crate) fn has_property(&self, name: &str) -> bool {
        self.properties.iter().any(|p| p == name)
    }

    pub(crate) fn is_unique(&self, name: &str) -> bool {
        self.unique_properties.iter().any(|p| p == name)
    }

    pub(crate) fn is_email(&self, name: &str) -> bool {
        self.email_properties.iter().any(|p| p == name)
    }

    /// The schemas a new server starts with: `contacts` (`0-1`, unique `email`, and the typed
    /// properties of `examples/contacts-properties.json`), `companies`
    /// (`0-2`, unique `company_external_id`; `domain` exists but is not unique, as in HubSpot)
    /// and `deals` (`0-3`, unique `deal_external_id`).
    pub fn defaults() -> BTreeMap<String, ObjectSchema> {
        let contacts = ObjectSchema::new([
            "firstname",
            "lastname",
            "phone",
            "company",
            "website",
            "jobtitle",
            "city",
            "country",
            "lifecyclestage",
        ])
        .emails(["email"])
        .unique(["email", "contact_external_id"])
        .typed(&contacts_typed())
        .type_id("0-1");
        let companies = ObjectSchema::new([
            "name",
            "domain",
            "industry",
            "phone",
            "city",
            "country",
            "numberofemployees",
            "annualrevenue",
        ])
        .unique(["company_external_id"])
        .type_id("0-2");
        let deals = ObjectSchema::new([
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "closedate",
            "hubspot_owner_id",
        ])
        .unique(["deal_external_id"])
        .type_id("0-3");
        BTreeMap::from([
            ("contacts".to_owned(), contacts),
            ("companies".to_owned(), companies),
            ("deals".to_owned(), deals),
        ])
    }
}

/// The typed contact properties a new server knows, the same as those of the example file
/// `examples/contacts-properties.json` (a test holds them equal).
fn contacts_typed() -> PropertyDefinitions {
    let typed = TypedProperty::new;
    PropertyDefinitions::new()
        .with(
            "lifecyclestage",
            TypedProperty::options([
                "subscriber",
                "lead",
                "marketingqualifiedlead",
                "salesqualifiedlead",
                "opportunity",
                "customer",
                "evangelist",
                "other",
            ]),
        )
        .with(
            "hs_lead_status",
            TypedProperty::options([
                "NEW",
                "OPEN",
                "IN_PROGRESS",
                "OPEN_DEAL",
                "UNQUALIFIED",
                "ATTEMPTED_TO_CONTACT",
                "CONNECTED",
                "BAD_TIMING",
            ]),
        )
        .with(
            "hs_buying_role",
            TypedProperty::checkboxes([
                "BLOCKER",
                "BUDGET_HOLDER",
                "CHAMPION",
                "DECISION_MAKER",
                "END_USER",
                "EXECUTIVE_SPONSOR",
                "INFLUENCER",
                "LEGAL_AND_COMPLIANCE",
                "OTHER",
            ]),
        )
        .with("contract_start_date", typed(ValueType::Date))
        .with("last_webinar_at", typed(ValueType::DateTime))
        .with("seats", typed(ValueType::Number))
        .with("annual_budget", typed(ValueType::Number))
        .with("newsletter_opt_in", typed(ValueType::Bool))
        .with("hs_object_id", typed(ValueType::Number).read_only())
        .with("createdate", typed(ValueType::DateTime).read_only())
        .with("lastmodifieddate", typed(ValueType::DateTime).read_only())
        .with("num_associated_deals", typed(ValueType::Number).read_only())
}

/// Whether `name` has the shape of an object type id (`0-1`, `2-1234567`).
fn looks_like_type_id(name: &str) -> bool {
    match name.split_once('-') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The schemas of a running server, with the aliases resolved.
#[derive(Debug)]
pub(crate) struct Schemas {
    by_name: BTreeMap<String, (String, ObjectSchema)>,
}

impl Schemas {
    pub(crate) fn new(configured: &BTreeMap<String, ObjectSchema>) -> Self {
        let mut by_name = BTreeMap::new();
        for (name, schema) in configured {
            let canonical = name.to_ascii_lowercase();
            if let Some(id) = &schema.type_id {
                by_name.insert(id.clone(), (canonical.clone(), schema.clone()));
            }
            by_name.insert(canonical.clone(), (canonical, schema.clone()));
        }
        Schemas { by_name }
    }

    /// The canonical name and schema for a path's `objectType`, or `None` when the type is
    /// unknown (HubSpot's "Unable to infer object type" 400). Names compare case-insensitively,
    /// ids exactly.
    pub(crate) fn resolve(&self, object_type: &str) -> Option<(&str, &ObjectSchema)> {
        let hit = if looks_like_type_id(object_type) {
            self.by_name.get(object_type)
        } else if object_type.bytes().any(|c| c.is_ascii_uppercase()) {
            self.by_name.get(&object_type.to_ascii_lowercase())
        } else {
            self.by_name.get(object_type)
        };
        hit.map(|(name, schema)| (name.as_str(), schema))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_ids_and_custom_types() {
        let mut configured = ObjectSchema::defaults();
        configured.insert(
            "p_cars".into(),
            ObjectSchema::new(["model"])
                .unique(["vin"])
                .type_id("2-1234567"),
        );
        let schemas = Schemas::new(&configured);
        assert_eq!(schemas.resolve("contacts").map(|r| r.0), Some("contacts"));
        assert_eq!(schemas.resolve("Contacts").map(|r| r.0), Some("contacts"));
        assert_eq!(schemas.resolve("0-1").map(|r| r.0), Some("contacts"));
        assert_eq!(schemas.resolve("0-3").map(|r| r.0), Some("deals"));
        assert_eq!(schemas.resolve("p_cars").map(|r| r.0), Some("p_cars"));
        assert_eq!(schemas.resolve("2-1234567").map(|r| r.0), Some("p_cars"));
        assert!(schemas.resolve("2-7").is_none());
        assert!(schemas.resolve("widgets").is_none());
        assert!(schemas.resolve("").is_none());
    }

    #[test]
    fn default_id_property_is_first_unique() {
        let defaults = ObjectSchema::defaults();
        assert_eq!(defaults["contacts"].id_property_default(), Some("email"));
        assert_eq!(
            defaults["companies"].id_property_default(),
            Some("company_external_id")
        );
        assert!(defaults["companies"].has_property("domain"));
        assert!(!defaults["companies"].is_unique("domain"));
    }

    #[test]
    fn built_in_contacts_are_typed_as_the_example_file() {
        let file = PropertyDefinitions::from_json(include_str!(
            "../../../examples/contacts-properties.json"
        ))
        .expect("the example reads");
        let contacts = &ObjectSchema::defaults()["contacts"];
        for (name, property) in file.iter() {
            assert!(
                contacts.has_property(name),
                "{name} is not a contact property"
            );
            let built_in = contacts.definitions.get(name);
            if property.value_type == ValueType::Text && !property.read_only {
                assert!(built_in.is_none_or(|b| b == property), "{name}");
            } else {
                assert_eq!(built_in, Some(property), "{name}");
            }
        }
        for (name, _) in contacts.definitions.iter() {
            assert!(
                file.get(name).is_some(),
                "{name} is not in the example file"
            );
        }
    }
}
