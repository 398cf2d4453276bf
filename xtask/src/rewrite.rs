//! The rewrites the spec needs before progenitor 0.15 can generate from it.
//!
//! The spec in `openapi/` stays faithful to what HubSpot publishes; these rewrites are applied
//! to an in-memory copy only. Each one exists because of a specific limit of progenitor and is
//! checked to be lossless: it refuses to run when its preconditions do not hold, rather than
//! silently producing a client that decodes less than the spec describes.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::spec_json::{members, required};

/// A rewrite that was applied, for the record printed by `cargo xtask generate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Which rewrite.
    pub rule: &'static str,
    /// Where it was applied (operation id).
    pub operation: String,
}

/// Applies every rewrite to `spec`, returning what was done.
pub fn apply_all(spec: &mut Value) -> Result<Vec<Applied>> {
    let mut applied = Vec::new();
    let schemas = spec
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no `paths` object")?;
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let name = format!("{} {path}", method.to_uppercase());
            if merge_success_responses(responses, &schemas)
                .with_context(|| format!("in operation {name}"))?
            {
                applied.push(Applied {
                    rule: MERGE_SUCCESS,
                    operation: name.clone(),
                });
            }
            if range_lone_success(responses) {
                applied.push(Applied {
                    rule: RANGE_LONE_SUCCESS,
                    operation: name.clone(),
                });
            }
            if json_default_response(responses) {
                applied.push(Applied {
                    rule: JSON_DEFAULT,
                    operation: name.clone(),
                });
            }
        }
    }
    Ok(applied)
}

/// Name of the rewrite done by [`merge_success_responses`].
pub const MERGE_SUCCESS: &str = "200 and 207 merged into one 2XX response typed by the 207 schema";
/// Name of the rewrite done by [`range_lone_success`].
pub const RANGE_LONE_SUCCESS: &str =
    "the only 2xx response read as a 2XX range so that `default` stays the error type";
/// Name of the rewrite done by [`json_default_response`].
pub const JSON_DEFAULT: &str = "default response content type `*/*` read as `application/json`";

/// progenitor 0.15 requires every success response of an operation (2xx codes and `default`)
/// to have one type, and panics otherwise. HubSpot's 200 and 207 bodies have different schemas,
/// and the 207 schema is the 200 schema plus the optional `errors` and `numErrors`.
///
/// The rewrite replaces the two responses by one `2XX` response typed by the 207 schema, so
/// both bodies decode into a type that has `errors`: a 207 never loses its errors, and a
/// 2026-09 style 200 that carries `errors` keeps them too. progenitor drops `default` from the
/// success side when a `2XX` range is present, which leaves `default` as the error type.
///
/// It checks that the 207 schema really is a superset: every property of the 200 schema is in
/// the 207 schema with the same definition, and the 207 schema requires nothing the 200 schema
/// does not. Returns whether it changed anything.
pub fn merge_success_responses(
    responses: &mut Map<String, Value>,
    schemas: &Value,
) -> Result<bool> {
    let (Some(ok), Some(partial)) = (responses.get("200"), responses.get("207")) else {
        return Ok(false);
    };
    let ok_ref = json_schema_ref(ok).context("response 200 has no application/json schema")?;
    let partial_ref =
        json_schema_ref(partial).context("response 207 has no application/json schema")?;
    if ok_ref != partial_ref {
        let ok_schema = resolve(schemas, &ok_ref)?;
        let partial_schema = resolve(schemas, &partial_ref)?;
        check_superset(ok_schema, partial_schema)
            .with_context(|| format!("{partial_ref} does not cover {ok_ref}"))?;
    }
    let mut merged = partial.clone();
    let ok_description = ok
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let partial_description = partial
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    merged["description"] =
        Value::String(format!("200: {ok_description} 207: {partial_description}"));
    responses.remove("200");
    responses.remove("207");
    responses.insert("2XX".to_owned(), merged);
    Ok(true)
}

/// progenitor 0.15 counts `default` among an operation's success types unless a `2XX` range is
/// present. HubSpot's 2026-09 shape has one success response (a 200 whose body carries
/// `errors`) beside a `default` error of another type, which makes progenitor panic. When the
/// only 2xx response is a single status code and a `default` exists, the code is read as the
/// `2XX` range: the same body type, and `default` stays on the error side. Returns whether it
/// changed anything.
pub fn range_lone_success(responses: &mut Map<String, Value>) -> bool {
    if !responses.contains_key("default") || responses.contains_key("2XX") {
        return false;
    }
    let mut successes = responses.keys().filter(|code| code.starts_with('2'));
    let (Some(only), None) = (successes.next(), successes.next()) else {
        return false;
    };
    let only = only.clone();
    match responses.remove(&only) {
        Some(response) => {
            responses.insert("2XX".to_owned(), response);
            true
        }
        None => false,
    }
}

/// HubSpot declares its error response as `*/*`, which progenitor types as raw bytes. HubSpot
/// sends JSON in practice, so the content type is read as `application/json` to get a typed
/// error. Returns whether it changed anything.
pub fn json_default_response(responses: &mut Map<String, Value>) -> bool {
    let Some(content) = responses
        .get_mut("default")
        .and_then(|r| r.get_mut("content"))
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    if content.contains_key("application/json") {
        return false;
    }
    match content.remove("*/*") {
        Some(media) => {
            content.insert("application/json".to_owned(), media);
            true
        }
        None => false,
    }
}

fn json_schema_ref(response: &Value) -> Option<String> {
    response
        .pointer("/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn resolve<'a>(schemas: &'a Value, reference: &str) -> Result<&'a Value> {
    let Some(name) = reference.strip_prefix("#/components/schemas/") else {
        bail!("unsupported reference {reference}");
    };
    schemas
        .get(name)
        .with_context(|| format!("schema {name} is referenced but not defined"))
}

fn check_superset(narrow: &Value, wide: &Value) -> Result<()> {
    let narrow_props = members(narrow, "properties");
    let wide_props = members(wide, "properties");
    for (name, definition) in narrow_props {
        match wide_props.get(name) {
            None => bail!("property `{name}` is missing"),
            Some(other) if other != definition => bail!("property `{name}` differs"),
            Some(_) => {}
        }
    }
    let narrow_required = required(narrow);
    for name in required(wide) {
        if !narrow_required.contains(&name) {
            bail!("property `{name}` is required only in the wider schema");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Value {
        json!({
            "Ok": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "Partial": {"type": "object", "required": ["a"], "properties": {
                "a": {"type": "string"}, "errors": {"type": "array", "items": {}}}},
            "Bad": {"type": "object", "required": ["a", "errors"], "properties": {
                "a": {"type": "string"}, "errors": {"type": "array", "items": {}}}},
        })
    }

    fn response(schema: &str) -> Value {
        json!({"description": schema, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
    }

    #[test]
    fn merges_200_and_207_into_2xx_typed_by_the_wider_schema() {
        let mut responses = json!({"200": response("Ok"), "207": response("Partial")});
        let map = responses.as_object_mut().unwrap();
        assert!(merge_success_responses(map, &schemas()).unwrap());
        assert_eq!(map.keys().collect::<Vec<_>>(), vec!["2XX"]);
        assert_eq!(
            json_schema_ref(&map["2XX"]).as_deref(),
            Some("#/components/schemas/Partial")
        );
    }

    #[test]
    fn refuses_a_merge_that_would_not_decode_a_200_body() {
        let mut responses = json!({"200": response("Ok"), "207": response("Bad")});
        let err =
            merge_success_responses(responses.as_object_mut().unwrap(), &schemas()).unwrap_err();
        assert!(format!("{err:#}").contains("`errors` is required only in the wider schema"));
    }

    #[test]
    fn reads_a_lone_200_beside_default_as_2xx() {
        let mut responses = json!({"200": response("Ok"), "default": response("Bad")});
        let map = responses.as_object_mut().unwrap();
        assert!(range_lone_success(map));
        let mut codes: Vec<_> = map.keys().cloned().collect();
        codes.sort();
        assert_eq!(codes, vec!["2XX", "default"]);
        assert!(!range_lone_success(map), "a second pass changes nothing");

        let mut two =
            json!({"200": response("Ok"), "201": response("Ok"), "default": response("Bad")});
        assert!(!range_lone_success(two.as_object_mut().unwrap()));
        let mut no_default = json!({"200": response("Ok")});
        assert!(!range_lone_success(no_default.as_object_mut().unwrap()));
    }

    #[test]
    fn reads_a_wildcard_default_response_as_json() {
        let mut responses =
            json!({"default": {"description": "e", "content": {"*/*": {"schema": {}}}}});
        let map = responses.as_object_mut().unwrap();
        assert!(json_default_response(map));
        assert!(map["default"]["content"].get("application/json").is_some());
        assert!(!json_default_response(map));
    }
}
