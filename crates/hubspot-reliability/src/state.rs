//! The record state a run should leave, and the state the mock holds.

use std::collections::{BTreeMap, BTreeSet};

use hubspot_crm::{ApiVersion, RecordOutcome, UpsertInput};
use hubspot_crm_mock::MockServer;

/// Records by lower-cased email: the properties the suites write.
pub type State = BTreeMap<String, BTreeMap<String, String>>;

/// The properties compared (the mock adds its own, such as `hs_object_id`).
pub const COMPARED: [&str; 3] = ["firstname", "lastname", "city"];

/// The state after applying, in input order, exactly the inputs whose outcome is a success.
/// `outcomes` must be sorted by position and hold one outcome per input.
pub fn expected<V: ApiVersion>(inputs: &[UpsertInput], outcomes: &[RecordOutcome<V>]) -> State {
    let mut state = State::new();
    for (input, outcome) in inputs.iter().zip(outcomes) {
        if !outcome.kind.is_success() || input.as_api().id_property.as_deref() != Some("email") {
            continue;
        }
        let record = state.entry(input.id().to_lowercase()).or_default();
        for (k, v) in &input.as_api().properties {
            if COMPARED.contains(&k.as_str()) {
                record.insert(k.to_string(), v.to_string());
            }
        }
    }
    state
}

/// What the mock holds for `contacts`, and the emails held by more than one record.
pub fn actual(mock: &MockServer) -> (State, BTreeSet<String>) {
    let mut state = State::new();
    let mut twice = BTreeSet::new();
    for record in mock.records("contacts") {
        let Some(email) = record.properties.get("email") else {
            continue;
        };
        let props = record
            .properties
            .iter()
            .filter(|(k, _)| COMPARED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if state.insert(email.to_lowercase(), props).is_some() {
            twice.insert(email.to_lowercase());
        }
    }
    (state, twice)
}
