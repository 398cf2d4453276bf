//! Small readers of an OpenAPI document held as a `serde_json::Value`, shared by the
//! generation rewrites, the spec diff and the upstream check.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
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

/// Follows a local `$ref` to a parameter, request body or response; other values are returned
/// as they are.
pub fn deref<'s>(spec: &'s Value, value: &'s Value) -> Result<&'s Value> {
    let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
        return Ok(value);
    };
    let Some(pointer) = reference.strip_prefix('#') else {
        bail!("reference `{reference}` points outside the document, which is not supported");
    };
    spec.pointer(pointer)
        .with_context(|| format!("reference `{reference}` points to nothing"))
}

/// An operation's responses by status code, with `$ref`s resolved.
pub fn responses<'s>(spec: &'s Value, operation: &'s Value) -> Result<BTreeMap<String, &'s Value>> {
    let mut found = BTreeMap::new();
    for (code, response) in members(operation, "responses") {
        found.insert(code.clone(), deref(spec, response)?);
    }
    Ok(found)
}

/// An operation's parameters (those of its path item included, its own winning), by location
/// and name, with `$ref`s resolved; `endpoint` names the operation in errors.
pub fn parameters<'s>(
    spec: &'s Value,
    path_item: &'s Value,
    operation: &'s Value,
    endpoint: &str,
) -> Result<BTreeMap<(String, String), &'s Value>> {
    let mut found = BTreeMap::new();
    for list in [path_item.get("parameters"), operation.get("parameters")] {
        let Some(list) = list else { continue };
        let Some(list) = list.as_array() else {
            bail!("`parameters` of {endpoint} is not an array");
        };
        for parameter in list {
            let parameter = deref(spec, parameter)?;
            let field = |key: &str| {
                parameter
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .with_context(|| format!("a parameter of {endpoint} has no `{key}`"))
            };
            found.insert((field("in")?, field("name")?), parameter);
        }
    }
    Ok(found)
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
