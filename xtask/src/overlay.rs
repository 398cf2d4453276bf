//! The tolerant reading: an [OpenAPI Overlay 1.0] document applied to the spec before
//! generation.
//!
//! The spec in `openapi/` states HubSpot's published schema. Where HubSpot sends more than it
//! publishes (a `null` property value, an error without `links`, a `status` added later, a 429
//! body with fields of its own), the client must still decode the answer. Each such
//! deviation is one action of the overlay [`OVERLAY_FILE`], with a JSONPath (RFC 9535) target
//! and a description giving the reason, so that a reviewer reads "what HubSpot publishes" and
//! "how we read it" apart.
//!
//! Applying an action whose target matches nothing is an error: a renamed schema or field
//! in a new spec must not silently drop part of the tolerant reading.
//!
//! [OpenAPI Overlay 1.0]: https://spec.openapis.org/overlay/v1.0.0.html

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// The overlay, relative to the workspace root. It carries no API version in its name: it
/// applies to whichever dated spec `openapi/` holds, and a version bump keeps it.
pub const OVERLAY_FILE: &str = "openapi/crm-objects-batch-upsert.overlay.json";

/// A parsed overlay document.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the overlay's own version, not the API's.
    pub version: String,
    /// The actions, in the order they are applied.
    pub actions: Vec<Action>,
}

/// One action of an overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The JSONPath expression, as written.
    pub target: String,
    /// Why the action exists.
    pub description: String,
    /// What the action does to every node its target selects.
    pub change: Change,
    path: JsonPath,
}

/// What an action does to the nodes its target selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Merge this value into each selected node (objects merge key by key, recursively;
    /// a selected array gets the value appended).
    Update(Value),
    /// Remove each selected node from its parent.
    Remove,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Update(value) => write!(f, "update {value}"),
            Change::Remove => f.write_str("remove"),
        }
    }
}

/// An action that was applied, for the record printed by `cargo xtask generate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The action's target.
    pub target: String,
    /// The action's description.
    pub description: String,
    /// The JSON pointers of the nodes it changed.
    pub matched: Vec<String>,
}

impl Overlay {
    /// Parses the overlay document `text`, read from `source`.
    pub fn parse(source: &str, text: &str) -> Result<Overlay> {
        let value: Value =
            serde_json::from_str(text).with_context(|| format!("{source} is not valid JSON"))?;
        Overlay::from_value(&value).with_context(|| format!("{source} is not a usable overlay"))
    }

    /// Reads an overlay from its JSON value.
    pub fn from_value(value: &Value) -> Result<Overlay> {
        let version = value
            .get("overlay")
            .and_then(Value::as_str)
            .context("it has no `overlay` version string")?;
        if !version.starts_with("1.") {
            bail!("it is Overlay {version}; only Overlay 1.x documents are supported");
        }
        let info = value
            .get("info")
            .and_then(Value::as_object)
            .context("it has no `info` object")?;
        let text = |key: &str| {
            info.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .with_context(|| format!("`info.{key}` is missing or not a string"))
        };
        let (title, version) = (text("title")?, text("version")?);
        let actions = value
            .get("actions")
            .and_then(Value::as_array)
            .context("it has no `actions` array")?;
        if actions.is_empty() {
            bail!("`actions` is empty");
        }
        let actions = actions
            .iter()
            .enumerate()
            .map(|(index, action)| {
                Action::from_value(action).with_context(|| format!("in `actions[{index}]`"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Overlay {
            title,
            version,
            actions,
        })
    }

    /// Applies every action to `document` in order. Fails, naming the action, when one
    /// matches nothing or cannot be applied to what it matches.
    pub fn apply(&self, document: &mut Value) -> Result<Vec<Applied>> {
        self.actions
            .iter()
            .enumerate()
            .map(|(index, action)| {
                action.apply(document).with_context(|| {
                    format!("overlay action {index} (target `{}`) failed", action.target)
                })
            })
            .collect()
    }
}

impl Overlay {
    /// Applies the actions whose target matches something, skipping the others; returns the
    /// targets of the skipped ones. `cargo xtask diff` uses it to show what an overlay does
    /// to a spec it no longer fully fits.
    pub fn apply_where_matching(&self, document: &mut Value) -> Result<Vec<String>> {
        let mut unmatched = Vec::new();
        for action in &self.actions {
            if action.matches(document).is_empty() {
                unmatched.push(action.target.clone());
            } else {
                action
                    .apply(document)
                    .with_context(|| format!("overlay action `{}` failed", action.target))?;
            }
        }
        Ok(unmatched)
    }
}

impl Action {
    fn from_value(value: &Value) -> Result<Action> {
        let object = value.as_object().context("an action must be an object")?;
        for key in object.keys() {
            let known = matches!(key.as_str(), "target" | "description" | "update" | "remove");
            if !known && !key.starts_with("x-") {
                bail!(
                    "unknown field `{key}` (an action has `target`, `description`, `update` or `remove`)"
                );
            }
        }
        let target = object
            .get("target")
            .and_then(Value::as_str)
            .context("`target` is missing or not a string")?;
        let path = JsonPath::parse(target)
            .map_err(|err| anyhow!("`target` is not a JSONPath expression: {err}"))?;
        // The overlay format makes `description` optional; this project requires the reason.
        let description = object
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
            .context("`description` is missing: every action must say why it exists")?;
        let change = match (object.get("update"), object.get("remove")) {
            (Some(_), Some(Value::Bool(true))) => {
                bail!("an action has either `update` or `remove: true`, not both")
            }
            (None, Some(Value::Bool(true))) => Change::Remove,
            (Some(update), None | Some(Value::Bool(false))) => Change::Update(update.clone()),
            (None, None | Some(Value::Bool(false))) => {
                bail!("the action has neither `update` nor `remove: true`")
            }
            (_, Some(other)) => bail!("`remove` must be a boolean, not {other}"),
        };
        Ok(Action {
            target: target.to_owned(),
            description: description.to_owned(),
            change,
            path,
        })
    }

    /// The JSON pointers of the nodes the target selects in `document`, each once, in
    /// document order.
    pub fn matches(&self, document: &Value) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.path
            .query_located(document)
            .locations()
            .map(|location| location.to_json_pointer())
            .filter(|pointer| seen.insert(pointer.clone()))
            .collect()
    }

    fn apply(&self, document: &mut Value) -> Result<Applied> {
        let matched = self.matches(document);
        if matched.is_empty() {
            bail!("the target matches nothing in the spec");
        }
        match &self.change {
            Change::Update(update) => {
                for pointer in &matched {
                    let node = document
                        .pointer_mut(pointer)
                        .with_context(|| format!("{pointer} vanished while applying"))?;
                    match (node, update) {
                        (Value::Object(node), Value::Object(update)) => merge(node, update),
                        (Value::Array(items), value) => items.push(value.clone()),
                        (Value::Object(_), other) => {
                            bail!("{pointer} is an object, so `update` must be one, not {other}")
                        }
                        (other, _) => bail!(
                            "{pointer} is {}, which `update` cannot change (it needs an object or an array)",
                            kind(other)
                        ),
                    }
                }
            }
            Change::Remove => {
                // Array elements go from the highest index down so that the indexes of the
                // ones still to remove stay valid.
                let mut ordered = matched.clone();
                ordered.sort_by(|a, b| b.cmp(a));
                ordered.sort_by_key(|pointer| std::cmp::Reverse(trailing_index(pointer)));
                for pointer in &ordered {
                    remove(document, pointer)?;
                }
            }
        }
        Ok(Applied {
            target: self.target.clone(),
            description: self.description.clone(),
            matched,
        })
    }
}

/// Merges `update` into `node` as Overlay 1.0 describes: keys of nested objects merge
/// recursively, arrays get the update's items appended, anything else is replaced.
fn merge(node: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        match (node.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(value)) => merge(existing, value),
            (Some(Value::Array(existing)), Value::Array(value)) => {
                existing.extend(value.iter().cloned());
            }
            _ => {
                node.insert(key.clone(), value.clone());
            }
        }
    }
}

fn remove(document: &mut Value, pointer: &str) -> Result<()> {
    let Some(split) = pointer.rfind('/') else {
        bail!("the target selects the whole document, which cannot be removed");
    };
    let (parent, last) = (&pointer[..split], &pointer[split + 1..]);
    let key = last.replace("~1", "/").replace("~0", "~");
    let parent = document
        .pointer_mut(parent)
        .with_context(|| format!("the parent of {pointer} vanished while applying"))?;
    match parent {
        Value::Object(map) => {
            map.remove(&key);
        }
        Value::Array(items) => {
            let index: usize = key
                .parse()
                .with_context(|| format!("{pointer} does not end in an array index"))?;
            if index < items.len() {
                items.remove(index);
            }
        }
        other => bail!("the parent of {pointer} is {}", kind(other)),
    }
    Ok(())
}

fn trailing_index(pointer: &str) -> Option<usize> {
    pointer
        .rsplit('/')
        .next()
        .and_then(|last| last.parse().ok())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: Value) -> Result<Overlay> {
        Overlay::from_value(&json!({
            "overlay": "1.0.0",
            "info": {"title": "t", "version": "1"},
            "actions": actions,
        }))
    }

    #[test]
    fn update_merges_recursively_and_remove_deletes() {
        let overlay = overlay(json!([
            {"target": "$.a", "description": "why", "update": {"b": {"c": 2}, "list": [3]}},
            {"target": "$.a.gone", "description": "why", "remove": true},
            {"target": "$.items[?@ > 1]", "description": "why", "remove": true},
        ]))
        .expect("valid overlay");
        let mut document = json!({
            "a": {"b": {"keep": 1}, "gone": true, "list": [1]},
            "items": [1, 2, 3, 1],
        });
        let applied = overlay.apply(&mut document).expect("applies");
        assert_eq!(
            document,
            json!({"a": {"b": {"keep": 1, "c": 2}, "list": [1, 3]}, "items": [1, 1]})
        );
        assert_eq!(applied[2].matched, vec!["/items/1", "/items/2"]);
    }

    #[test]
    fn an_action_matching_nothing_is_an_error_naming_it() {
        let overlay = overlay(json!([
            {"target": "$.missing", "description": "why", "remove": true},
        ]))
        .expect("valid overlay");
        let err = overlay.apply(&mut json!({"a": 1})).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("`$.missing`"), "{text}");
        assert!(text.contains("matches nothing"), "{text}");
    }

    #[test]
    fn malformed_actions_are_refused_with_the_reason() {
        let cases = [
            (
                json!([{"target": "$.a", "remove": true}]),
                "`description` is missing",
            ),
            (
                json!([{"target": "a[", "description": "x", "remove": true}]),
                "not a JSONPath",
            ),
            (
                json!([{"target": "$.a", "description": "x"}]),
                "neither `update`",
            ),
            (
                json!([{"target": "$.a", "description": "x", "update": {}, "remove": true}]),
                "not both",
            ),
            (
                json!([{"target": "$.a", "description": "x", "patch": 1}]),
                "unknown field `patch`",
            ),
            (json!([]), "`actions` is empty"),
        ];
        for (actions, expected) in cases {
            let err = overlay(actions.clone()).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(expected), "{actions}: {text}");
        }
    }

    #[test]
    fn updating_a_string_is_refused() {
        let overlay = overlay(json!([
            {"target": "$.a", "description": "why", "update": {"b": 1}},
        ]))
        .expect("valid overlay");
        let err = overlay.apply(&mut json!({"a": "text"})).unwrap_err();
        assert!(format!("{err:#}").contains("is a string"), "{err:#}");
    }
}
