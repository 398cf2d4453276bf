//! Small readers of an OpenAPI document held as a `serde_json::Value`, shared by the
//! generation rewrites and the spec diff.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde_json::{Map, Value};

static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

/// The object under `key` of `value`, or an empty one when it is missing or not an object.
pub fn members<'a>(value: &'a Value, key: &str) -> &'a Map<String, Value> {
    value.get(key).and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// The object at the JSON `pointer` in `value`, or an empty one.
pub fn members_at<'a>(value: &'a Value, pointer: &str) -> &'a Map<String, Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or(&EMPTY)
}

/// The property names a schema lists as `required`.
pub fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_or_wrong_shapes_read_as_empty() {
        let schema = json!({"properties": {"a": {}}, "required": ["a", 3], "content": []});
        assert_eq!(members(&schema, "properties").len(), 1);
        assert!(members(&schema, "content").is_empty());
        assert!(members(&schema, "absent").is_empty());
        assert_eq!(members_at(&schema, "/properties").len(), 1);
        assert_eq!(required(&schema), BTreeSet::from(["a".to_owned()]));
        assert!(required(&json!({})).is_empty());
    }
}
