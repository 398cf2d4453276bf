//! The records a server holds: per object type, keyed by HubSpot's numeric id and indexed by
//! each unique property's value, and the upsert that creates or merges them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use hubspot_crm_api::types::SimplePublicUpsertObject;

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

impl Store {
    /// Create or update one record per input of `type_name`, and build its result.
    pub(crate) fn apply(
        &mut self,
        type_name: &str,
        schema: &ObjectSchema,
        inputs: Vec<CheckedInput>,
        now: DateTime<Utc>,
    ) -> Applied {
        let store = match self.types.get_mut(type_name) {
            Some(s) => s,
            None => self.types.entry(type_name.to_owned()).or_default(),
        };
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
            for (name, value) in input.properties {
                if value.is_empty() {
                    // `""` clears: the record has no value for the property any more.
                    if let Some(old) = record.properties.remove(&name)
                        && let Some(by_value) = store.index.get_mut(&name)
                        && by_value.get(&old) == Some(&id)
                    {
                        by_value.remove(&old);
                    }
                    continue;
                }
                if schema.is_unique(&name) {
                    let by_value = store.index.entry(name.clone()).or_default();
                    if let Some(old) = record.properties.get(&name)
                        && by_value.get(old) == Some(&id)
                    {
                        by_value.remove(old);
                    }
                    by_value.entry(value.clone()).or_insert(id);
                }
                record.properties.insert(name, value);
            }
            if new {
                applied.created += 1;
            } else {
                applied.updated += 1;
            }
            applied
                .results
                .push(result_for(id, new, record, schema, input.trace_id));
        }
        applied
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

/// The result HubSpot returns for a record: every schema property (null when unset), the
/// stored values, and `hs_object_id`, `createdate`, `lastmodifieddate`.
fn result_for(
    id: u64,
    new: bool,
    record: &Record,
    schema: &ObjectSchema,
    trace_id: Option<String>,
) -> SimplePublicUpsertObject {
    let mut properties: HashMap<String, Option<String>> =
        HashMap::with_capacity(schema.properties.len() + record.properties.len() + 3);
    for name in &schema.properties {
        properties.insert(name.clone(), None);
    }
    for (name, value) in &record.properties {
        properties.insert(name.clone(), Some(value.clone()));
    }
    properties.insert("hs_object_id".to_owned(), Some(id.to_string()));
    properties.insert("createdate".to_owned(), Some(timestamp(record.created_at)));
    properties.insert(
        "lastmodifieddate".to_owned(),
        Some(timestamp(record.updated_at)),
    );
    SimplePublicUpsertObject {
        archived: false,
        archived_at: None,
        created_at: record.created_at,
        id: id.to_string(),
        new,
        object_write_trace_id: trace_id,
        properties,
        properties_with_history: HashMap::new(),
        updated_at: record.updated_at,
        url: None,
        warnings: Vec::new(),
    }
}
