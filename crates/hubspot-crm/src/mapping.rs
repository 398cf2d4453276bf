//! Matching a success body (200 or 207) back to the inputs of the request.
//!
//! Results arrive in any order and email ids come back lower-cased, so each result is matched
//! by its `objectWriteTraceId` first, then by the value of the input's id property (compared
//! case-insensitively). Each per-input error is matched by `context.objectWriteTraceId`. An
//! input matched by neither way is reported [`ItemResult::Unaccounted`]; the engine retries it
//! and finally reports it failed, so no input is ever dropped. `errors` is read from every
//! success body, 200 included, because HubSpot's 2026-09 version moves them there.

use std::collections::HashMap;

use hubspot_crm_api::types::{BatchResponseSimplePublicUpsertObjectWithErrors, StandardError};

use crate::input::UpsertInput;

/// What the response says about one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ItemResult {
    /// Created (`new: true`) or updated.
    Applied { record_id: String, created: bool },
    /// A per-input error.
    Rejected { category: String, message: String },
    /// Neither a result nor an error names this input.
    Unaccounted,
}

/// Maps `body` onto `inputs` (each with its trace id set); one entry per input, same order.
pub(crate) fn map_response(
    inputs: &[&UpsertInput],
    body: &BatchResponseSimplePublicUpsertObjectWithErrors,
) -> Vec<ItemResult> {
    let mut out = vec![ItemResult::Unaccounted; inputs.len()];
    let by_trace: HashMap<&str, usize> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| input.get_trace_id().map(|t| (t, i)))
        .collect();
    let mut by_id: HashMap<(Option<&str>, String), Vec<usize>> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        by_id
            .entry((input.get_id_property(), input.id().to_lowercase()))
            .or_default()
            .push(i);
    }

    for result in &body.results {
        let index = result
            .object_write_trace_id
            .as_deref()
            .and_then(|t| by_trace.get(t).copied())
            .filter(|i| out[*i] == ItemResult::Unaccounted)
            .or_else(|| {
                // Fall back to the id property's value, then to HubSpot's record id.
                by_id.iter().find_map(|((prop, id), candidates)| {
                    let value = match prop {
                        Some(p) => result.properties.get(*p).cloned().flatten(),
                        None => Some(result.id.clone()),
                    }?;
                    if value.to_lowercase() != *id {
                        return None;
                    }
                    candidates
                        .iter()
                        .copied()
                        .find(|i| out[*i] == ItemResult::Unaccounted)
                })
            });
        if let Some(i) = index {
            out[i] = ItemResult::Applied {
                record_id: result.id.clone(),
                created: result.new,
            };
        }
    }

    let mut unmatched_errors = Vec::new();
    for error in &body.errors {
        let index = error
            .context
            .get("objectWriteTraceId")
            .into_iter()
            .flatten()
            .find_map(|t| by_trace.get(t.as_str()).copied())
            .filter(|i| out[*i] == ItemResult::Unaccounted);
        match index {
            Some(i) => out[i] = rejected(error),
            None => unmatched_errors.push(error),
        }
    }
    // One error nobody claims and one input nobody answered: they belong together.
    let unaccounted: Vec<usize> = (0..out.len())
        .filter(|i| out[*i] == ItemResult::Unaccounted)
        .collect();
    if let ([error], [i]) = (unmatched_errors.as_slice(), unaccounted.as_slice()) {
        out[*i] = rejected(error);
    }
    out
}

fn rejected(error: &StandardError) -> ItemResult {
    ItemResult::Rejected {
        category: error
            .category
            .clone()
            .unwrap_or_else(|| "UNKNOWN".to_string()),
        message: error
            .message
            .clone()
            .unwrap_or_else(|| "HubSpot gave no message".to_string()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hubspot_crm_api::types::SimplePublicUpsertObject;
    use proptest::prelude::*;

    pub(crate) fn result(
        record_id: &str,
        trace: Option<&str>,
        email: &str,
        new: bool,
    ) -> SimplePublicUpsertObject {
        serde_json::from_value(serde_json::json!({
            "archived": false,
            "createdAt": "2024-08-15T17:09:13.648Z",
            "updatedAt": "2024-08-15T17:09:13.648Z",
            "id": record_id,
            "new": new,
            "objectWriteTraceId": trace,
            "properties": {"email": email, "nullable": null},
        }))
        .expect("result json")
    }

    pub(crate) fn error_for(trace: &str) -> StandardError {
        serde_json::from_value(serde_json::json!({
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": format!("bad input {trace}"),
            "context": {"objectWriteTraceId": [trace]},
        }))
        .expect("error json")
    }

    pub(crate) fn body(
        results: Vec<SimplePublicUpsertObject>,
        errors: Vec<StandardError>,
    ) -> BatchResponseSimplePublicUpsertObjectWithErrors {
        serde_json::from_value(serde_json::json!({
            "completedAt": "2024-08-15T17:09:13.648Z",
            "startedAt": "2024-08-15T17:09:13.648Z",
            "status": "COMPLETE",
            "numErrors": errors.len(),
            "results": results,
            "errors": errors,
        }))
        .expect("body json")
    }

    fn input(i: usize) -> UpsertInput {
        UpsertInput::new(format!("User{i}@Example.com"))
            .id_property("email")
            .trace_id(format!("t{i}"))
    }

    #[test]
    fn matches_by_lowercased_email_when_trace_missing() {
        let inputs = [input(0), input(1)];
        let refs: Vec<&UpsertInput> = inputs.iter().collect();
        let b = body(
            vec![
                result("11", None, "user1@example.com", true),
                result("10", None, "user0@example.com", false),
            ],
            vec![],
        );
        assert_eq!(
            map_response(&refs, &b),
            vec![
                ItemResult::Applied {
                    record_id: "10".into(),
                    created: false
                },
                ItemResult::Applied {
                    record_id: "11".into(),
                    created: true
                },
            ]
        );
    }

    #[test]
    fn lone_unnamed_error_goes_to_lone_unanswered_input() {
        let inputs = [input(0), input(1)];
        let refs: Vec<&UpsertInput> = inputs.iter().collect();
        let mut e = error_for("x");
        e.context.clear();
        let b = body(
            vec![result("10", Some("t0"), "user0@example.com", true)],
            vec![e],
        );
        assert!(matches!(
            map_response(&refs, &b)[1],
            ItemResult::Rejected { .. }
        ));
    }

    proptest! {
        /// For any pattern of applied / rejected / missing inputs, in any response order, each
        /// input is mapped to exactly what the response said about it.
        #[test]
        fn random_207_patterns_map_exactly(
            pattern in proptest::collection::vec(0u8..3, 1..100),
            shuffle_seed in any::<u64>(),
            drop_trace in any::<bool>(),
        ) {
            let inputs: Vec<UpsertInput> = (0..pattern.len()).map(input).collect();
            let refs: Vec<&UpsertInput> = inputs.iter().collect();
            let mut results = Vec::new();
            let mut errors = Vec::new();
            for (i, p) in pattern.iter().enumerate() {
                let trace = format!("t{i}");
                match p {
                    0 => results.push(result(&format!("{}", 1000 + i), (!drop_trace).then_some(trace.as_str()), &format!("user{i}@example.com"), i % 2 == 0)),
                    1 => errors.push(error_for(&trace)),
                    _ => {}
                }
            }
            let mut rng = fastrand::Rng::with_seed(shuffle_seed);
            rng.shuffle(&mut results);
            rng.shuffle(&mut errors);
            let mapped = map_response(&refs, &body(results, errors));
            let missing = pattern.iter().filter(|p| **p == 2).count();
            let rejected = pattern.iter().filter(|p| **p == 1).count();
            for (i, p) in pattern.iter().enumerate() {
                match (p, &mapped[i]) {
                    (0, ItemResult::Applied { record_id, created }) => {
                        prop_assert_eq!(record_id, &format!("{}", 1000 + i));
                        prop_assert_eq!(*created, i % 2 == 0);
                    }
                    (1, ItemResult::Rejected { message, .. }) => prop_assert_eq!(message, &format!("bad input t{i}")),
                    (2, ItemResult::Unaccounted) => {}
                    // The lone-error rule never fires here: errors always name their input.
                    (p, got) => prop_assert!(false, "input {} pattern {} got {:?} ({} missing, {} rejected)", i, p, got, missing, rejected),
                }
            }
        }
    }
}
