//! "What we changed in how we read it": the overlay side of `cargo xtask diff`.
//!
//! The report's [`Report::changes`](super::Report::changes) compare the two specs as
//! HubSpot publishes them. This module compares the two overlays (actions matched by target)
//! and the two specs as the generator reads them (each through its overlay), and keeps apart
//! what the tolerant reading adds to HubSpot's changes and what it hides from callers.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::Value;

use super::{Change, Kind, compare};
use crate::overlay::{Action, Overlay};

/// An overlay as loaded for a comparison, with the place it came from.
#[derive(Debug, Clone)]
pub struct LoadedOverlay {
    /// A path, or `path at REV`.
    pub source: String,
    /// The parsed overlay.
    pub overlay: Overlay,
}

/// One overlay action added, removed or changed between the two overlays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionChange {
    /// Added, removed or changed.
    pub kind: Kind,
    /// The action's JSONPath target (actions are matched by it).
    pub target: String,
    /// The reason the action gives, and for a changed action what changed.
    pub detail: String,
}

/// The overlay side of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Where the old overlay came from, when there was one.
    pub old_source: Option<String>,
    /// Where the new overlay came from, when there is one.
    pub new_source: Option<String>,
    /// Overlay actions added, removed or changed.
    pub actions: Vec<ActionChange>,
    /// Targets of new overlay actions that match nothing in the new spec: `cargo xtask
    /// generate` refuses such an overlay until the action is fixed.
    pub unmatched: Vec<String>,
    /// Changes a caller of the generated crate sees that are not among HubSpot's, caused by
    /// the overlays (or by HubSpot's changes as the overlay reads them).
    pub effect: Vec<Change>,
    /// Indexes into the report's HubSpot changes that the reading hides from callers: the
    /// generated crate does not change with them.
    pub absorbed: Vec<usize>,
}

impl Reading {
    /// Compares `old` and `new` read through their overlays; `strict` are the changes
    /// between the two specs as published.
    pub fn new(
        old: &Value,
        new: &Value,
        old_overlay: Option<&LoadedOverlay>,
        new_overlay: Option<&LoadedOverlay>,
        strict: &[Change],
    ) -> Result<Reading> {
        let read =
            |spec: &Value, overlay: Option<&LoadedOverlay>| -> Result<(Value, Vec<String>)> {
                let mut spec = spec.clone();
                let unmatched = match overlay {
                    Some(loaded) => loaded
                        .overlay
                        .apply_where_matching(&mut spec)
                        .with_context(|| format!("applying {}", loaded.source))?,
                    None => Vec::new(),
                };
                Ok((spec, unmatched))
            };
        let (old_read, _) = read(old, old_overlay)?;
        let (new_read, unmatched) = read(new, new_overlay)?;
        let seen = compare::compare(&old_read, &new_read)?;
        let effect = seen
            .iter()
            .filter(|change| !strict.contains(change))
            .cloned()
            .collect();
        let absorbed = strict
            .iter()
            .enumerate()
            .filter(|(_, change)| !seen.contains(change))
            .map(|(index, _)| index)
            .collect();
        Ok(Reading {
            old_source: old_overlay.map(|o| o.source.clone()),
            new_source: new_overlay.map(|o| o.source.clone()),
            actions: action_changes(
                old_overlay.map(|o| &o.overlay),
                new_overlay.map(|o| &o.overlay),
            ),
            unmatched,
            effect,
            absorbed,
        })
    }

    /// Whether the overlay side has nothing to report.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
            && self.unmatched.is_empty()
            && self.effect.is_empty()
            && self.absorbed.is_empty()
    }
}

fn by_target(overlay: Option<&Overlay>) -> BTreeMap<String, &Action> {
    overlay
        .map(|o| o.actions.iter().map(|a| (a.target.clone(), a)).collect())
        .unwrap_or_default()
}

fn action_changes(old: Option<&Overlay>, new: Option<&Overlay>) -> Vec<ActionChange> {
    let (old, new) = (by_target(old), by_target(new));
    let mut changes = Vec::new();
    for (target, action) in &old {
        if !new.contains_key(target) {
            changes.push(ActionChange {
                kind: Kind::Removed,
                target: target.clone(),
                detail: format!("{}; it read: {}", action.change, action.description),
            });
        }
    }
    for (target, action) in &new {
        match old.get(target) {
            None => changes.push(ActionChange {
                kind: Kind::Added,
                target: target.clone(),
                detail: format!("{}; because: {}", action.change, action.description),
            }),
            Some(before) if before.change != action.change => changes.push(ActionChange {
                kind: Kind::Changed,
                target: target.clone(),
                detail: format!("{} → {}", before.change, action.change),
            }),
            Some(before) if before.description != action.description => {
                changes.push(ActionChange {
                    kind: Kind::Changed,
                    target: target.clone(),
                    detail: format!("reason reworded: {}", action.description),
                })
            }
            Some(_) => {}
        }
    }
    changes
}
