//! Matching a success body (200 or 207) back to the inputs of the request.
//!
//! Results arrive in any order and email ids come back lower-cased, so each result is matched
//! by its `objectWriteTraceId` first, then by the value of the input's id property (compared
//! case-insensitively). Each per-input error is matched by `context.objectWriteTraceId`. An
//! input matched by neither way is reported [`ItemResult::Unaccounted`]; the engine retries it
//! and finally reports it failed, so no input is ever dropped. `errors` is read from every
//! success body, 200 included, because HubSpot's 2026-09 version moves them there.
//!
//! The body is the run's API version's generated success body, decoded by the generated
//! client and split by the version's adapter into results and errors; each matched result and
//! error moves, whole, into its input's outcome. The few fields read here are named by the
//! adapter ([`UpsertedRecord`], [`ApiVersion::input_error_fields`]).

use std::collections::HashMap;

use crate::api_version::{ApiVersion, UpsertedRecord};
use crate::input::UpsertInput;
use crate::wire::Answer;

/// Inputs by (id property, lower-cased id value), for results without a usable trace id.
type ById<'a> = HashMap<(Option<&'a str>, String), Vec<usize>>;

/// What the response says about one input.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ItemResult<V: ApiVersion> {
    /// Created (`new: true`) or updated: HubSpot's result for the input.
    Applied(Box<V::Record>),
    /// A per-input error.
    Rejected(Box<V::InputError>),
    /// Neither a result nor an error names this input.
    Unaccounted,
}

impl<V: ApiVersion> ItemResult<V> {
    fn is_unaccounted(&self) -> bool {
        matches!(self, ItemResult::Unaccounted)
    }
}

/// Maps `body` onto `inputs` (each with its trace id set); one entry per input, same order.
pub(crate) fn map_response<V: ApiVersion>(
    inputs: &[&UpsertInput],
    body: Answer<V>,
) -> Vec<ItemResult<V>> {
    let mut out: Vec<ItemResult<V>> = (0..inputs.len()).map(|_| ItemResult::Unaccounted).collect();
    let by_trace: HashMap<&str, usize> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| {
            input
                .as_api()
                .object_write_trace_id
                .as_deref()
                .map(|t| (t, i))
        })
        .collect();
    // Built only when a result has no usable trace id.
    let mut by_id: Option<ById<'_>> = None;

    for result in body.results {
        let index = result
            .trace_id()
            .and_then(|t| by_trace.get(t).copied())
            .filter(|i| out[*i].is_unaccounted())
            .or_else(|| {
                let by_id = by_id.get_or_insert_with(|| {
                    let mut map = ById::new();
                    for (i, input) in inputs.iter().enumerate() {
                        map.entry((
                            input.as_api().id_property.as_deref(),
                            input.id().to_lowercase(),
                        ))
                        .or_default()
                        .push(i);
                    }
                    map
                });
                // Fall back to the id property's value, then to HubSpot's record id.
                by_id.iter().find_map(|((prop, id), candidates)| {
                    let value = match prop {
                        Some(p) => result.properties().get(*p)?.as_deref()?,
                        None => result.record_id(),
                    };
                    if value.to_lowercase() != *id {
                        return None;
                    }
                    candidates
                        .iter()
                        .copied()
                        .find(|i| out[*i].is_unaccounted())
                })
            });
        if let Some(i) = index {
            out[i] = ItemResult::Applied(Box::new(result));
        }
    }

    let mut unmatched_errors = Vec::new();
    for error in body.errors {
        let index = V::input_error_fields(&error)
            .context
            .get("objectWriteTraceId")
            .into_iter()
            .flatten()
            .find_map(|t| by_trace.get(t.as_str()).copied())
            .filter(|i| out[*i].is_unaccounted());
        match index {
            Some(i) => out[i] = ItemResult::Rejected(Box::new(error)),
            None => unmatched_errors.push(error),
        }
    }
    // One error nobody claims and one input nobody answered: they belong together.
    let unaccounted: Vec<usize> = (0..out.len())
        .filter(|i| out[*i].is_unaccounted())
        .collect();
    if let ([_], [i]) = (unmatched_errors.as_slice(), unaccounted.as_slice()) {
        let i = *i;
        if let Some(error) = unmatched_errors.pop() {
            out[i] = ItemResult::Rejected(Box::new(error));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api_version::V2026_03;
    use hubspot_crm_api::v2026_03::types::{
        BatchResponseSimplePublicUpsertObjectWithErrors, SimplePublicUpsertObject, StandardError,
    };
    use proptest::prelude::*;

    /// The mapping is the same code for every version; these tests run it on 2026-03's types.
    type V = V2026_03;

    /// Decodes the JSON of `body` as the generated type, as the generated client does.
    fn decode(
        bytes: &[u8],
    ) -> Result<BatchResponseSimplePublicUpsertObjectWithErrors, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Maps a generated body the way the engine does, after a round trip through its JSON.
    fn map(
        inputs: &[&UpsertInput],
        body: &BatchResponseSimplePublicUpsertObjectWithErrors,
    ) -> Vec<ItemResult<V>> {
        let bytes = serde_json::to_vec(body).expect("body serializes");
        let decoded = decode(&bytes).expect("generated type decodes");
        let answer = Answer {
            results: decoded.results,
            errors: decoded.errors,
        };
        map_response::<V>(inputs, answer)
    }

    /// (record id, created) of each applied input, `None` for the others.
    fn applied(mapped: &[ItemResult<V>]) -> Vec<Option<(String, bool)>> {
        mapped
            .iter()
            .map(|r| match r {
                ItemResult::Applied(record) => Some((record.id.clone(), record.new)),
                _ => None,
            })
            .collect()
    }

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
            applied(&map(&refs, &b)),
            vec![Some(("10".into(), false)), Some(("11".into(), true))]
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
        assert!(matches!(map(&refs, &b)[1], ItemResult::Rejected(_)));
    }

    #[test]
    fn the_generated_type_requires_what_the_spec_requires() {
        let full = serde_json::json!({
            "completedAt": "2024-08-15T17:09:13.648Z",
            "startedAt": "2024-08-15T17:09:13.648Z",
            "status": "COMPLETE",
            "results": [{
                "archived": false, "createdAt": "2024-08-15T17:09:13.648Z",
                "updatedAt": "2024-08-15T17:09:13.648Z", "id": "7", "new": true,
                "properties": {"email": "a@b.c"},
            }],
        });
        assert!(decode(full.to_string().as_bytes()).is_ok());
        for top in ["completedAt", "startedAt", "status", "results"] {
            let mut body = full.clone();
            body.as_object_mut().expect("object").remove(top);
            assert!(
                decode(body.to_string().as_bytes()).is_err(),
                "{top} missing must not decode"
            );
        }
        for field in [
            "archived",
            "createdAt",
            "updatedAt",
            "id",
            "new",
            "properties",
        ] {
            let mut body = full.clone();
            body["results"][0]
                .as_object_mut()
                .expect("object")
                .remove(field);
            assert!(
                decode(body.to_string().as_bytes()).is_err(),
                "results[].{field} missing must not decode"
            );
        }
        assert!(decode(b"{\"status\":").is_err());
    }

    #[test]
    fn escaped_trace_ids_and_property_fallback_still_match() {
        let inputs = [
            UpsertInput::new("X@Example.com")
                .id_property("email")
                .trace_id("quote\"d\u{e9}"),
            UpsertInput::new("y@example.com")
                .id_property("email")
                .trace_id("plain"),
        ];
        let refs: Vec<&UpsertInput> = inputs.iter().collect();
        let b = body(
            vec![
                result("2", Some("other"), "y@example.com", false),
                result("1", Some("quote\"d\u{e9}"), "x@example.com", true),
            ],
            vec![],
        );
        assert_eq!(
            applied(&map(&refs, &b)),
            vec![Some(("1".into(), true)), Some(("2".into(), false))]
        );
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
            let mapped = map(&refs, &body(results, errors));
            let missing = pattern.iter().filter(|p| **p == 2).count();
            let rejected = pattern.iter().filter(|p| **p == 1).count();
            for (i, p) in pattern.iter().enumerate() {
                match (p, &mapped[i]) {
                    (0, ItemResult::Applied(record)) => {
                        prop_assert_eq!(&record.id, &format!("{}", 1000 + i));
                        prop_assert_eq!(record.new, i % 2 == 0);
                    }
                    (1, ItemResult::Rejected(error)) => prop_assert_eq!(error.message.clone(), Some(format!("bad input t{i}"))),
                    (2, ItemResult::Unaccounted) => {}
                    // The lone-error rule never fires here: errors always name their input.
                    (p, got) => prop_assert!(false, "input {} pattern {} got {:?} ({} missing, {} rejected)", i, p, got, missing, rejected),
                }
            }
        }
    }
}
