//! `hubspot-upsert schema input|report`: the JSON Schemas of an NDJSON input line and of a
//! report line, generated from the types the program itself reads and writes.

use crate::cli::SchemaKind;
use crate::input::NdjsonLine;
use crate::report::ReportLine;

/// The schema as pretty-printed JSON.
pub fn schema_json(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Input => schemars::schema_for!(NdjsonLine),
        SchemaKind::Report => schemars::schema_for!(ReportLine),
    };
    // A schema is plain JSON data; serialising it cannot fail, but fall back to `{}` rather
    // than panic should that ever change.
    serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn schema(kind: SchemaKind) -> Value {
        serde_json::from_str(&schema_json(kind)).expect("schema is JSON")
    }

    #[test]
    fn input_schema_offers_both_line_forms_with_string_values() {
        let s = schema(SchemaKind::Input);
        let forms = s["anyOf"].as_array().expect("two forms");
        assert_eq!(forms.len(), 2);
        assert_eq!(
            forms[0]["required"],
            serde_json::json!(["id", "properties"])
        );
        assert_eq!(
            forms[0]["properties"]["properties"]["additionalProperties"]["type"],
            "string"
        );
        assert_eq!(forms[1]["additionalProperties"]["type"], "string");
    }

    #[test]
    fn report_schema_names_fields_and_outcomes() {
        let s = schema(SchemaKind::Report);
        assert_eq!(s["title"], "ReportLine");
        let required: Vec<&str> = s["required"]
            .as_array()
            .expect("required list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(required, vec!["line", "outcome"]);
        assert_eq!(
            s["properties"]["id"]["type"],
            serde_json::json!(["string", "null"])
        );
        let text = s.to_string();
        for outcome in ["created", "updated", "failed", "not_attempted"] {
            assert!(text.contains(outcome), "{outcome} missing from {text}");
        }
    }
}
