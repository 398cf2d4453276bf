//! Reading and checking a batch upsert body: whole-request rules (JSON shape, the plan's
//! inputs per request, a unique `idProperty`, no duplicate ids) and per-input rules (known properties,
//! valid emails, typed values), deciding between a 207 partial success and a whole-batch 400.

use std::collections::HashSet;

use hubspot_crm_api::v2026_03::types::{
    ErrorDetail, SimplePublicObjectBatchInputUpsert, StandardError,
};
use indexmap::IndexMap;

use crate::hubspot_errors::{MOCK_PORTAL_ID, Rejection};
use crate::schema::ObjectSchema;

/// One input that passed every check, normalised (emails lower-cased) and ready to store.
#[derive(Debug)]
pub(crate) struct CheckedInput {
    /// The unique property that identifies the record.
    pub id_property: String,
    /// Its value, normalised.
    pub id_value: String,
    /// The values to write, normalised; includes the id property.
    pub properties: Vec<(String, String)>,
    /// The input's trace id, echoed on its result.
    pub trace_id: Option<String>,
}

/// The outcome of checking a batch that is not rejected as a whole.
#[derive(Debug)]
pub(crate) struct CheckedBatch {
    /// How many inputs the body held.
    pub received: usize,
    /// Inputs to apply.
    pub valid: Vec<CheckedInput>,
    /// One error per failed input (each carries a trace id), for a 207.
    pub failed: Vec<StandardError>,
}

/// The request body as read. The published schema requires `inputs`, but HubSpot answers a
/// body without it (or with `inputs: []`) 200 `COMPLETE` with no results, and so does the mock.
#[derive(serde::Deserialize)]
struct RequestBody {
    #[serde(default)]
    inputs: Option<Vec<SimplePublicObjectBatchInputUpsert>>,
}

/// The `links` of a per-input error: the published `StandardError` requires the field.
pub(crate) fn error_links() -> impl IntoIterator<Item = (String, String)> {
    [(
        "knowledge-base".to_owned(),
        "https://knowledge.hubspot.com/properties/create-and-edit-properties".to_owned(),
    )]
}

/// Why one input is invalid.
struct InputProblem {
    code: &'static str,
    property: String,
    message: String,
}

impl InputProblem {
    /// HubSpot's JSON-in-a-string description of a property error.
    fn as_hubspot_json(&self) -> serde_json::Value {
        serde_json::json!({
            "isValid": false,
            "message": self.message,
            "error": self.code,
            "name": self.property,
            "localizedErrorMessage": self.message,
        })
    }

    fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: Some(self.code.to_owned()),
            message: Some(self.message.clone()),
            context: IndexMap::from_iter([(
                "propertyName".to_owned(),
                vec![self.property.clone()],
            )]),
            ..ErrorDetail::default()
        }
    }
}

fn property_values_message(problems: &[InputProblem]) -> String {
    let list: Vec<serde_json::Value> = problems.iter().map(InputProblem::as_hubspot_json).collect();
    format!(
        "Property values were not valid: {}",
        serde_json::Value::Array(list)
    )
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub(crate) fn is_valid_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// Parse a body and check it against `schema`; a body of more than `max_inputs` inputs fails
/// as a whole.
///
/// # Errors
/// A [`Rejection`] (400) when the request fails as a whole; nothing may then be applied.
pub(crate) fn check_batch(
    body: &[u8],
    type_name: &str,
    schema: &ObjectSchema,
    max_inputs: usize,
) -> Result<CheckedBatch, Rejection> {
    let batch: RequestBody = serde_json::from_slice(body).map_err(|e| {
        Rejection::validation(format!(
            "Invalid input JSON on line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let inputs = batch.inputs.unwrap_or_default();
    let received = inputs.len();
    if received > max_inputs {
        return Err(Rejection::validation_with_context(
            format!(
                "Batch input size of {received} exceeds the limit of {max_inputs} inputs per request"
            ),
            "inputs",
            vec![received.to_string()],
        ));
    }
    let type_id = schema.type_id.as_deref().unwrap_or(type_name);

    // Whole-request rules first: the id property of every input, then duplicate ids.
    let mut keyed = Vec::with_capacity(received);
    for input in inputs {
        let id_property = match input.id_property.as_deref() {
            Some(p) => p,
            None => schema.id_property_default().ok_or_else(|| {
                Rejection::validation(format!(
                    "Upsert requires an idProperty: {type_name} has no unique property"
                ))
            })?,
        };
        if !schema.is_unique(id_property) {
            return Err(Rejection::validation(format!(
                "Unable to perform update/upsert by non-unique {type_id} property {id_property} in portal ID {MOCK_PORTAL_ID}"
            )));
        }
        let id_is_email = schema.is_email(id_property);
        let id_value = if id_is_email {
            input.id.trim().to_lowercase()
        } else {
            input.id.clone()
        };
        let id_property = id_property.to_owned();
        keyed.push((input, id_property, id_value, id_is_email));
    }
    let mut seen: HashSet<(&str, &str)> = HashSet::with_capacity(received);
    let mut duplicates: Vec<String> = Vec::new();
    for (input, id_property, id_value, _) in &keyed {
        if !seen.insert((id_property.as_str(), id_value.as_str()))
            && !duplicates.contains(&input.id)
        {
            duplicates.push(input.id.clone());
        }
    }
    if !duplicates.is_empty() {
        return Err(Rejection::validation_with_context(
            format!(
                "Duplicate IDs found in batch input: [{}]. IDs must be unique",
                duplicates.join(", ")
            ),
            "ids",
            duplicates,
        ));
    }

    // Per-input rules.
    let mut valid = Vec::with_capacity(received);
    let mut failed = Vec::new();
    let mut untraced_problems: Vec<InputProblem> = Vec::new();
    for (input, id_property, id_value, id_is_email) in keyed {
        let mut problems = Vec::new();
        if id_value.is_empty() {
            problems.push(InputProblem {
                code: "INVALID_ID",
                property: id_property.clone(),
                message: format!("The id for {id_property} must not be empty"),
            });
        } else if id_is_email && !is_valid_email(&id_value) {
            problems.push(InputProblem {
                code: "INVALID_EMAIL",
                property: id_property.clone(),
                message: format!("Email address {} is invalid", input.id),
            });
        }
        let mut properties = Vec::with_capacity(input.properties.len() + 1);
        for (name, value) in input.properties {
            if name == id_property {
                continue; // the id wins over a value written for the same property
            }
            if !schema.has_property(&name) {
                problems.push(InputProblem {
                    code: "PROPERTY_DOESNT_EXIST",
                    message: format!("Property \"{name}\" does not exist"),
                    property: name,
                });
                continue;
            }
            // HubSpot's value rules for typed properties; `""` is stored as "no value".
            let value = match schema.definitions.judge(&name, &value) {
                Ok(stored) => stored.unwrap_or_default(),
                Err(refusal) => {
                    problems.push(InputProblem {
                        code: refusal.code,
                        message: refusal.message,
                        property: name,
                    });
                    continue;
                }
            };
            if schema.is_email(&name) {
                let lowered = value.trim().to_lowercase();
                if !lowered.is_empty() && !is_valid_email(&lowered) {
                    problems.push(InputProblem {
                        code: "INVALID_EMAIL",
                        message: format!("Email address {value} is invalid"),
                        property: name,
                    });
                    continue;
                }
                properties.push((name, lowered));
            } else {
                properties.push((name, value));
            }
        }
        if problems.is_empty() {
            properties.push((id_property.clone(), id_value.clone()));
            valid.push(CheckedInput {
                id_property,
                id_value,
                properties,
                trace_id: input.object_write_trace_id,
            });
            continue;
        }
        match input.object_write_trace_id {
            Some(trace_id) => failed.push(StandardError {
                status: Some("error".to_owned()),
                category: Some("VALIDATION_ERROR".to_owned()),
                message: Some(property_values_message(&problems)),
                context: IndexMap::from_iter([
                    ("objectWriteTraceId".to_owned(), vec![trace_id]),
                    (
                        "propertyName".to_owned(),
                        problems.iter().map(|p| p.property.clone()).collect(),
                    ),
                ]),
                errors: problems.iter().map(InputProblem::detail).collect(),
                links: error_links().into_iter().collect(),
                ..StandardError::default()
            }),
            None => untraced_problems.extend(problems),
        }
    }
    if !untraced_problems.is_empty() {
        // Without trace ids HubSpot cannot name the failed inputs: the whole batch fails.
        let mut rejection = Rejection::validation(property_values_message(&untraced_problems));
        rejection.body.errors = untraced_problems.iter().map(InputProblem::detail).collect();
        return Err(rejection);
    }
    Ok(CheckedBatch {
        received,
        valid,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(is_valid_email("a@b.co"));
        assert!(is_valid_email("first.last+tag@sub.example.org"));
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@.com", "a@com.",
        ] {
            assert!(!is_valid_email(bad), "{bad:?} accepted");
        }
    }
}
