//! HubSpot's value rules for typed properties, over loopback HTTP: each refused value gets a
//! 207 error with `VALIDATION_ERROR` and its code in `errors[].code`, valid values are stored
//! (dates as `YYYY-MM-DD`), and `""` clears a value.

mod common;

use common::{batch, contact, stored, traced, upsert};
use hubspot_crm_mock::{MockServer, PropertyDefinitions, TypedProperty, ValueType};

/// One input per case: (property, value, the code HubSpot answers, or None when accepted).
const CASES: &[(&str, &str, Option<&str>)] = &[
    ("contract_start_date", "2026-03-01", None),
    ("contract_start_date", "1772323200000", None),
    ("contract_start_date", "1772397361954", Some("INVALID_DATE")),
    ("contract_start_date", "03/01/2026", Some("INVALID_DATE")),
    ("lifecyclestage", "customer", None),
    ("lifecyclestage", "Customer", Some("INVALID_OPTION")),
    ("hs_buying_role", "CHAMPION;END_USER", None),
    ("hs_buying_role", "CHAMPION;Boss", Some("INVALID_OPTION")),
    ("seats", "25", None),
    ("seats", " 25", Some("INVALID_INTEGER")),
    ("annual_budget", "12.5.1", Some("INVALID_FLOAT")),
    ("newsletter_opt_in", "false", None),
    ("newsletter_opt_in", "no", Some("INVALID_BOOLEAN")),
    ("last_webinar_at", "2026-03-01T10:00:00Z", None),
    ("last_webinar_at", "soon", Some("INVALID_DATETIME")),
    ("hs_object_id", "17", Some("READ_ONLY_VALUE")),
    ("num_associated_deals", "2", Some("READ_ONLY_VALUE")),
    ("shoe_size", "42", Some("PROPERTY_DOESNT_EXIST")),
];

#[tokio::test]
async fn typed_values_are_judged_as_hubspot_does() {
    let mock = MockServer::start().await.expect("mock starts");
    let inputs = CASES
        .iter()
        .enumerate()
        .map(|(i, (name, value, _))| {
            traced(
                contact(&format!("c{i}@example.com"), &[(name, value)]),
                &format!("t{i}"),
            )
        })
        .collect();
    let reply = upsert(&mock, "contacts", &batch(inputs)).await;
    assert_eq!(reply.status, 207);
    let body = reply.partial();
    let refused = CASES.iter().filter(|c| c.2.is_some()).count();
    assert_eq!(body.errors.len(), refused);
    assert_eq!(body.results.len(), CASES.len() - refused);
    for (i, (name, value, code)) in CASES.iter().enumerate() {
        let trace = vec![format!("t{i}")];
        let error = body
            .errors
            .iter()
            .find(|e| e.context.get("objectWriteTraceId") == Some(&trace));
        match (code, error) {
            (None, None) => {}
            (Some(code), Some(error)) => {
                assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
                assert_eq!(error.errors.len(), 1);
                assert_eq!(
                    error.errors[0].code.as_deref(),
                    Some(*code),
                    "{name}={value}"
                );
                assert_eq!(
                    error.errors[0].context.get("propertyName"),
                    Some(&vec![name.to_string()])
                );
            }
            (code, error) => panic!("{name}={value:?}: expected {code:?}, got {error:?}"),
        }
    }
    // A date given in milliseconds is stored as its day.
    assert_eq!(
        stored(&mock, "c1@example.com", "contract_start_date").as_deref(),
        Some("2026-03-01")
    );
    let midnight = body
        .errors
        .iter()
        .find(|e| e.context.get("objectWriteTraceId") == Some(&vec!["t2".to_owned()]))
        .and_then(|e| e.errors[0].message.clone());
    assert_eq!(
        midnight.as_deref(),
        Some("1772397361954 is at 20:36:1.954 UTC, not midnight!")
    );
}

#[tokio::test]
async fn an_empty_value_clears_the_property() {
    let mock = MockServer::start().await.expect("mock starts");
    let first = contact("ada@example.com", &[("seats", "5"), ("firstname", "Ada")]);
    assert_eq!(
        upsert(&mock, "contacts", &batch(vec![first])).await.status,
        200
    );
    assert_eq!(
        stored(&mock, "ada@example.com", "seats").as_deref(),
        Some("5")
    );
    let clear = contact("ada@example.com", &[("seats", ""), ("firstname", "")]);
    let reply = upsert(&mock, "contacts", &batch(vec![clear])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(stored(&mock, "ada@example.com", "seats"), None);
    assert_eq!(stored(&mock, "ada@example.com", "firstname"), None);
    let result = &reply.ok().results[0];
    // The result echoes what was written, as a string: `""`, not `null`.
    assert_eq!(result.properties.get("seats"), Some(&Some(String::new())));
}

#[tokio::test]
async fn a_custom_type_is_typed_by_the_builder() {
    let cars = PropertyDefinitions::new()
        .with(
            "vin",
            TypedProperty {
                unique: true,
                ..TypedProperty::new(ValueType::Text)
            },
        )
        .with("first_registered", TypedProperty::new(ValueType::Date));
    let mock = MockServer::builder()
        .property_definitions("p_cars", &cars)
        .start()
        .await
        .expect("mock starts");
    let body = serde_json::json!({"inputs": [
        {"id": "VIN1", "idProperty": "vin", "objectWriteTraceId": "a",
         "properties": {"first_registered": "2020-01-01"}},
        {"id": "VIN2", "idProperty": "vin", "objectWriteTraceId": "b",
         "properties": {"first_registered": "2020-01-01T08:00:00Z"}}
    ]});
    let reply = upsert(&mock, "p_cars", &body).await;
    assert_eq!(reply.status, 207);
    let errors = &reply.partial().errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].errors[0].code.as_deref(), Some("INVALID_DATE"));
}
