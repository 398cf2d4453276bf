//! The synthetic records every scenario upserts: contacts keyed by a custom unique property.
//!
//! Contacts keyed by `email` do not support trace ids (HubSpot's "partial upserts"), so the
//! records use `contact_external_id`, which the mock knows as a unique contact property.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use bytes::Bytes;

/// Object type the scenarios write to.
pub const OBJECT_TYPE: &str = "contacts";
/// The unique property that identifies each record.
pub const ID_PROPERTY: &str = "contact_external_id";
/// The shape of the record files the scenarios write and reuse: they live in a folder of this
/// name, so that files written by an older shape of [`record_properties`] are never reused.
pub const DATA_FORMAT: &str = "records-v2";
/// Inputs per request: HubSpot's maximum, from the client's table of HubSpot's plans.
pub const BATCH_SIZE: usize = hubspot_crm::Plan::Starter.limits().inputs_per_request;

/// The id value of record `i` in the key space `prefix`.
pub fn record_id(prefix: &str, i: u64) -> String {
    format!("{prefix}-{i:08}")
}

/// The properties of record `i` in the key space `prefix`, as (name, value) pairs. The email
/// is unique per key space as well: contacts' `email` is a unique property, so two key spaces
/// sharing emails would make HubSpot (and the mock) refuse whole batches with 409 CONFLICT.
pub fn record_properties(prefix: &str, i: u64) -> [(&'static str, String); 6] {
    [
        ("email", format!("{prefix}-{i}@bench.example.com")),
        ("firstname", format!("First{}", i % 997)),
        ("lastname", format!("Last{}", i % 1009)),
        ("company", format!("Company {}", i % 101)),
        ("city", "Lyon".to_owned()),
        ("country", "France".to_owned()),
    ]
}

/// The client's input for record `i`.
pub fn client_input(prefix: &str, i: u64) -> hubspot_crm::UpsertInput {
    hubspot_crm::UpsertInput::new(record_id(prefix, i))
        .id_property(ID_PROPERTY)
        .properties(record_properties(prefix, i))
}

/// The run tag in the raw bodies' trace ids: eight hex digits, as in the client's.
pub(crate) const RAW_RUN_TAG: &str = "0badcafe";

/// Request bodies for records `0..count`, serialized ahead of time, `BATCH_SIZE` inputs each:
/// the bytes the client sends for the same records (same field order, properties in the order
/// [`record_properties`] sets them), with a trace id on every input shaped as the client
/// generates them (`hsc-<8 hex>-<position>`), so that both contenders cost the mock the same
/// work.
pub fn raw_bodies(prefix: &str, count: u64) -> Vec<Bytes> {
    /// The JSON of one input, as `hubspot_crm` writes it.
    #[derive(serde::Serialize)]
    struct RawInput<'a> {
        id: &'a str,
        #[serde(rename = "idProperty")]
        id_property: &'a str,
        #[serde(rename = "objectWriteTraceId")]
        trace_id: String,
        properties: &'a hubspot_crm::Properties,
    }
    #[derive(serde::Serialize)]
    struct RawBody<'a> {
        inputs: Vec<RawInput<'a>>,
    }
    let mut bodies = Vec::new();
    let mut start = 0;
    while start < count {
        let end = (start + BATCH_SIZE as u64).min(count);
        let inputs: Vec<hubspot_crm::UpsertInput> =
            (start..end).map(|i| client_input(prefix, i)).collect();
        let body = RawBody {
            inputs: inputs
                .iter()
                .zip(start..end)
                .map(|(input, i)| RawInput {
                    id: input.id(),
                    id_property: ID_PROPERTY,
                    trace_id: format!("hsc-{RAW_RUN_TAG}-{i}"),
                    properties: &input.as_api().properties,
                })
                .collect(),
        };
        // Serializing plain strings and maps of strings cannot fail.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        bodies.push(Bytes::from(json));
        start = end;
    }
    bodies
}

/// Writes records `0..count` as NDJSON for the CLI: one object per line with the id property
/// and the other properties as columns.
pub fn write_ndjson(path: &Path, prefix: &str, count: u64) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut line = String::with_capacity(256);
    for i in 0..count {
        line.clear();
        let _ = write!(line, "{{\"{ID_PROPERTY}\":\"{}\"", record_id(prefix, i));
        for (name, value) in record_properties(prefix, i) {
            let _ = write!(line, ",\"{name}\":\"{value}\"");
        }
        line.push_str("}\n");
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_hold_at_most_a_batch_each() {
        let bodies = raw_bodies("p", 250);
        assert_eq!(bodies.len(), 3);
        let last: serde_json::Value = serde_json::from_slice(&bodies[2]).expect("valid json");
        assert_eq!(last["inputs"].as_array().map(Vec::len), Some(50));
        assert_eq!(last["inputs"][0]["id"], "p-00000200");
    }

    #[test]
    fn raw_bodies_are_the_clients_bytes() {
        let bodies = raw_bodies("p", 1);
        let text = std::str::from_utf8(&bodies[0]).expect("utf-8");
        let properties: Vec<String> = record_properties("p", 0)
            .iter()
            .map(|(k, v)| format!("\"{k}\":\"{v}\""))
            .collect();
        assert_eq!(
            text,
            format!(
                "{{\"inputs\":[{{\"id\":\"p-00000000\",\"idProperty\":\"{ID_PROPERTY}\",\
                 \"objectWriteTraceId\":\"hsc-0badcafe-0\",\"properties\":{{{}}}}}]}}",
                properties.join(",")
            )
        );
    }

    #[test]
    fn ndjson_lines_parse() {
        let dir = std::env::temp_dir().join(format!("hubspot-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("r.ndjson");
        write_ndjson(&path, "n", 3).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2][ID_PROPERTY], "n-00000002");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
