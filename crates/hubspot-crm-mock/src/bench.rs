//! Helpers for benchmark harnesses: request bodies of any size, ready to send.

use indexmap::IndexMap;

use hubspot_crm_api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert,
};

/// A `contacts` batch of `len` inputs keyed by email, numbered from `first`
/// (`contact{n}@example.com`), each with a trace id and three more properties.
pub fn contacts_batch(first: u64, len: usize) -> BatchInputSimplePublicObjectBatchInputUpsert {
    let inputs = (first..first + len as u64)
        .map(|n| SimplePublicObjectBatchInputUpsert {
            id: format!("contact{n}@example.com"),
            id_property: Some("email".to_owned()),
            object_write_trace_id: Some(format!("t{n}")),
            properties: IndexMap::from_iter([
                ("firstname".to_owned(), format!("First{n}")),
                ("lastname".to_owned(), format!("Last{n}")),
                ("city".to_owned(), "Lyon".to_owned()),
            ]),
        })
        .collect();
    BatchInputSimplePublicObjectBatchInputUpsert { inputs }
}

/// [`contacts_batch`] as JSON bytes.
pub fn contacts_batch_json(first: u64, len: usize) -> Vec<u8> {
    // Serialising a struct of strings and string maps cannot fail.
    serde_json::to_vec(&contacts_batch(first, len)).unwrap_or_default()
}
