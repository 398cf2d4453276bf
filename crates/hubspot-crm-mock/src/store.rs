//! The records a server holds: per object type, keyed by HubSpot's numeric id and indexed by
//! each unique property's value, and the upsert that creates or merges them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use hubspot_crm_api::v2026_03::types::SimplePublicUpsertObject;

use crate::schema::ObjectSchema;
use crate::validation::CheckedInput;

/// The first record id a server hands out; ids grow by one per created record.
pub const FIRST_RECORD_ID: u64 = 1_000_001;

/// A record as stored, for inspection from tests (and, as JSON with camelCase names, from the
/// mock-only route `GET /__mock/objects/{objectType}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredRecord {
    /// HubSpot's id of the record, a numeric string.
    pub id: String,
    /// Property values by name (emails lower-cased). Properties never written, or cleared
    /// with `""`, are absent.
    pub properties: BTreeMap<String, String>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record was last written.
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug)]
struct Record {
    properties: BTreeMap<String, String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct TypeStore {
    records: BTreeMap<u64, Record>,
    /// Unique property name, then value, to record id.
    index: HashMap<String, HashMap<String, u64>>,
}

/// What one applied batch did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// One result per applied input, in input order.
    pub results: Vec<SimplePublicUpsertObject>,
    /// Records created.
    pub created: usize,
    /// Records updated.
    pub updated: usize,
}

/// Why a batch cannot be applied: an input would give its record a unique value that another
/// record holds (HubSpot's whole-request 409 `CONFLICT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    /// The unique property.
    pub property: String,
    /// The value the input would take.
    pub value: String,
    /// The record that holds it, or `None` when another input of the same batch claims it
    /// for a record that does not exist yet.
    pub existing_id: Option<u64>,
}

/// Every record of every object type. Callers hold its lock only while applying one batch.
#[derive(Debug)]
pub(crate) struct Store {
    types: HashMap<String, TypeStore>,
    next_id: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            types: HashMap::new(),
            next_id: FIRST_RECORD_ID,
        }
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl TypeStore {
    fn holder(&self, property: &str, value: &str) -> Option<u64> {
        self.index
            .get(property)
            .and_then(|by_value| by_value.get(value))
            .copied()
    }

    /// The first input that would take a unique value held by another record (stored, or
    /// claimed by an earlier input of the batch). Empty values clear a property and never
    /// conflict.
    fn conflict(&self, schema: &ObjectSchema, inputs: &[CheckedInput]) -> Option<Conflict> {
        /// The record an input writes: a stored one, or the n-th new record of the batch.
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Target {
            Stored(u64),
            New(usize),
        }
        let mut claimed: HashMap<(&str, &str), Target> = HashMap::new();
        let mut news: HashMap<(&str, &str), usize> = HashMap::new();
        for input in inputs {
            let key = (input.id_property.as_str(), input.id_value.as_str());
            let target = match self.holder(key.0, key.1) {
                Some(id) => Target::Stored(id),
                None => {
                    let next = news.len();
                    Target::New(*news.entry(key).or_insert(next))
                }
            };
            for (name, value) in &input.properties {
                if value.is_empty() || !schema.is_unique(name) {
                    continue;
                }
                if let Some(holder) = self.holder(name, value)
                    && target != Target::Stored(holder)
                {
                    return Some(Conflict {
                        property: name.clone(),
                        value: value.clone(),
                        existing_id: Some(holder),
                    });
                }
                match claimed.get(&(name.as_str(), value.as_str())) {
                    Some(&other) if other != target => {
                        return Some(Conflict {
                            property: name.clone(),
                            value: value.clone(),
                            existing_id: match other {
                                Target::Stored(id) => Some(id),
                                Target::New(_) => None,
                            },
                        });
                    }
                    Some(_) => {}
                    None => {
                        claimed.insert((name, value), target);
                    }
                }
            }
        }
        None
    }
}

impl Store {
    /// Create or update one record per input of `type_name`, and build its result; or,
    /// when an input would take a unique value that belongs to another record, apply nothing.
    pub(crate) fn apply(
        &mut self,
        type_name: &str,
        schema: &ObjectSchema,
        inputs: Vec<CheckedInput>,
        now: DateTime<Utc>,
    ) -> Result<Applied, Conflict> {
        let store = match self.types.get_mut(type_name) {
            Some(s) => s,
            None => self.types.entry(type_name.to_owned()).or_default(),
        };
        if let Some(conflict) = store.conflict(schema, &inputs) {
            return Err(conflict);
        }
        let mut applied = Applied {
            results: Vec::with_capacity(inputs.len()),
            ..Applied::default()
        };
        for input in inputs {
            let existing = store
                .index
                .get(&input.id_property)
                .and_then(|by_value| by_value.get(&input.id_value))
                .copied();
            let (id, new) = match existing {
                Some(id) => (id, false),
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    store.records.insert(
                        id,
                        Record {
                            properties: BTreeMap::new(),
                            created_at: now,
                            updated_at: now,
                        },
                    );
                    (id, true)
                }
            };
            let Some(record) = store.records.get_mut(&id) else {
                continue; // unreachable: the index only names stored records
            };
            record.updated_at = now;
            let mut written = Vec::with_capacity(input.properties.len());
            for (name, value) in input.properties {
                if value.is_empty() {
                    // `""` clears: the record has no value for the property any more.
                    if let Some(old) = record.properties.remove(&name)
                        && let Some(by_value) = store.index.get_mut(&name)
                        && by_value.get(&old) == Some(&id)
                    {
                        by_value.remove(&old);
                    }
                    // Echoed as written: a string, never `null`.
                    written.push((name, value));
                    continue;
                }
                if schema.is_unique(&name) {
                    let by_value = store.index.entry(name.clone()).or_default();
                    if let Some(old) = record.properties.get(&name)
                        && by_value.get(old) == Some(&id)
                    {
                        by_value.remove(old);
                    }
                    if !value.is_empty() {
                        by_value.insert(value.clone(), id);
                    }
                }
                written.push((name.clone(), value.clone()));
                record.properties.insert(name, value);
            }
            if new {
                applied.created += 1;
            } else {
                applied.updated += 1;
            }
            applied
                .results
                .push(result_for(id, new, record, written, input.trace_id));
        }
        Ok(applied)
    }

    /// The records of `type_name`, by ascending id.
    pub(crate) fn records(&self, type_name: &str) -> Vec<StoredRecord> {
        self.types
            .get(type_name)
            .map(|s| {
                s.records
                    .iter()
                    .map(|(id, r)| StoredRecord {
                        id: id.to_string(),
                        properties: r.properties.clone(),
                        created_at: r.created_at,
                        updated_at: r.updated_at,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The result HubSpot's batch write returns for a record: the properties the input wrote (as
/// stored: emails lower-cased), and the ones HubSpot sets itself, `hs_object_id`, `createdate`
/// and `lastmodifieddate`; every value a string, as the published schema says. Properties the
/// input did not write are not listed (HubSpot's read responses list them as `null`; its
/// write responses do not).
fn result_for(
    id: u64,
    new: bool,
    record: &Record,
    written: Vec<(String, String)>,
    trace_id: Option<String>,
) -> SimplePublicUpsertObject {
    let set_by_hubspot = [
        ("hs_object_id", id.to_string()),
        ("createdate", timestamp(record.created_at)),
        ("lastmodifieddate", timestamp(record.updated_at)),
    ];
    let properties = written
        .into_iter()
        .chain(set_by_hubspot.map(|(name, value)| (name.to_owned(), value)))
        .map(|(name, value)| (name, Some(value)))
        .collect();
    SimplePublicUpsertObject {
        archived: false,
        archived_at: None,
        created_at: record.created_at,
        id: id.to_string(),
        new,
        object_write_trace_id: trace_id,
        properties,
        properties_with_history: Default::default(),
        updated_at: record.updated_at,
        url: None,
        warnings: Vec::new(),
    }
}
