//! Which operation of one spec is which operation of another, across a version bump.
//!
//! HubSpot puts the API version in its paths (`/crm/v3/objects/...`,
//! `/crm/objects/2026-03/...`) and builds its `operationId`s from those paths
//! (`post-/crm/objects/2026-03/{objectType}/batch/upsert_/crm/objects/2025-09/...`), so from one
//! version to the next neither the path nor the `operationId` of an operation stays the same.
//! Two operations are the same operation when:
//!
//! 1. their `operationId`s are equal (the generated method's name: this project's own specs), or
//! 2. their method and path are equal, or
//! 3. their method matches and their paths match once the version segments are set aside
//!    (`/crm/objects/2026-03/{objectType}` and `/crm/v3/objects/{objectType}` both read as
//!    `/crm/objects/{objectType}`),
//!
//! tried in that order, each on the operations the earlier rules left unpaired; rules 2 and 3
//! pair only when exactly one operation on each side fits.

use std::collections::BTreeMap;

/// Whether a path segment names an API version: a date version (`2026-03`, `2026-09-15`,
/// `2026-09-beta`) or a numbered one (`v3`, `v4beta`).
pub fn is_version_segment(segment: &str) -> bool {
    is_date_version(segment) || is_numbered_version(segment)
}

/// `YYYY-MM`, `YYYY-MM-DD`, either optionally followed by `-` and a lowercase word.
fn is_date_version(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7)) {
        return false;
    }
    let mut rest = &segment[7..];
    if rest.len() >= 3 && rest.as_bytes()[0] == b'-' && digits(8..10) {
        rest = &rest[3..];
    }
    rest.is_empty()
        || rest
            .strip_prefix('-')
            .is_some_and(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
}

/// `v` and digits, optionally followed by lowercase letters and digits (`v3`, `v4beta1`).
fn is_numbered_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let number = rest.bytes().take_while(u8::is_ascii_digit).count();
    number > 0
        && rest[number..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The version segments of a path (or of any `/`-separated text, such as HubSpot's
/// `operationId`s), in order.
pub fn versions(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| is_version_segment(s)).collect()
}

/// `path` without its version segments: what stays the same across a version bump.
pub fn unversioned(path: &str) -> String {
    path.split('/')
        .filter(|s| !is_version_segment(s))
        .collect::<Vec<_>>()
        .join("/")
}

/// The version a path moved between, when two paths differ in their version segments only:
/// (`2026-03`, `2026-09`) for `/crm/objects/2026-03/x` and `/crm/objects/2026-09/x`.
pub fn version_move(old_path: &str, new_path: &str) -> Option<(String, String)> {
    if old_path == new_path || unversioned(old_path) != unversioned(new_path) {
        return None;
    }
    let (old, new) = (versions(old_path), versions(new_path));
    if old == new {
        return None;
    }
    Some((old.join(", "), new.join(", ")))
}

/// One operation as the pairing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The `operationId`, or `METHOD /path` without one.
    pub id: &'a str,
    /// The HTTP method, lowercase.
    pub method: &'a str,
    /// The path as the spec writes it.
    pub path: &'a str,
}

/// Pairs the operations of two specs by the rules of this module. Each returned pair holds
/// indexes into `old` and `new`; an operation found on one side only is paired with `None`.
/// Every index appears exactly once.
pub fn pair(old: &[Key<'_>], new: &[Key<'_>]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut old_free: Vec<bool> = vec![true; old.len()];
    let mut new_free: Vec<bool> = vec![true; new.len()];
    let mut pairs = Vec::new();
    // 1. The same operationId.
    for (i, o) in old.iter().enumerate() {
        if let Some(j) = (0..new.len()).find(|&j| new_free[j] && new[j].id == o.id) {
            old_free[i] = false;
            new_free[j] = false;
            pairs.push((Some(i), Some(j)));
        }
    }
    // 2. The same method and path; 3. the same method and path once versions are set aside.
    let exact = |k: &Key<'_>| (k.method.to_owned(), k.path.to_owned());
    let loose = |k: &Key<'_>| (k.method.to_owned(), unversioned(k.path));
    for key in [&exact as &dyn Fn(&Key<'_>) -> (String, String), &loose] {
        let group = |keys: &[Key<'_>], free: &[bool]| {
            let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
            for (index, k) in keys.iter().enumerate().filter(|(i, _)| free[*i]) {
                by_key.entry(key(k)).or_default().push(index);
            }
            by_key
        };
        let old_groups = group(old, &old_free);
        let new_groups = group(new, &new_free);
        for (k, olds) in &old_groups {
            if let ([i], Some([j])) = (olds.as_slice(), new_groups.get(k).map(Vec::as_slice)) {
                old_free[*i] = false;
                new_free[*j] = false;
                pairs.push((Some(*i), Some(*j)));
            }
        }
    }
    pairs.extend(
        (0..old.len())
            .filter(|&i| old_free[i])
            .map(|i| (Some(i), None)),
    );
    pairs.extend(
        (0..new.len())
            .filter(|&j| new_free[j])
            .map(|j| (None, Some(j))),
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_segments_are_dates_and_numbered_versions() {
        for yes in [
            "2026-03",
            "2026-09",
            "2026-09-15",
            "2026-09-beta",
            "v3",
            "v4beta1",
        ] {
            assert!(is_version_segment(yes), "{yes}");
        }
        for no in [
            "",
            "crm",
            "objects",
            "{objectType}",
            "v",
            "vx",
            "2026",
            "2026-3",
            "2026-03x",
            "2026-03-",
            "2026-03-Beta",
            "batch",
            "upsert_",
        ] {
            assert!(!is_version_segment(no), "{no}");
        }
    }

    #[test]
    fn paths_and_ids_are_read_without_their_versions() {
        assert_eq!(
            unversioned("/crm/objects/2026-03/{objectType}/batch/upsert"),
            "/crm/objects/{objectType}/batch/upsert"
        );
        assert_eq!(
            unversioned("/crm/v3/objects/{objectType}/batch/upsert"),
            "/crm/objects/{objectType}/batch/upsert"
        );
        assert_eq!(
            unversioned(
                "post-/crm/objects/2026-09/{t}/batch/upsert_/crm/objects/2026-03/{t}/batch/upsert"
            ),
            unversioned(
                "post-/crm/objects/2026-03/{t}/batch/upsert_/crm/objects/2025-09/{t}/batch/upsert"
            ),
        );
        assert_eq!(
            version_move("/crm/objects/2026-03/{t}", "/crm/objects/2026-09/{t}"),
            Some(("2026-03".to_owned(), "2026-09".to_owned()))
        );
        assert_eq!(
            version_move("/crm/v3/objects/{t}", "/crm/objects/2026-03/{t}"),
            Some(("v3".to_owned(), "2026-03".to_owned()))
        );
        assert_eq!(version_move("/a/2026-03/x", "/a/2026-09/y"), None);
        assert_eq!(version_move("/a/x", "/a/x"), None);
    }

    fn key<'a>(id: &'a str, method: &'a str, path: &'a str) -> Key<'a> {
        Key { id, method, path }
    }

    #[test]
    fn pairs_by_id_then_by_path_then_by_unversioned_path() {
        let old = [
            key(
                "batch_upsert",
                "post",
                "/crm/objects/2026-03/{t}/batch/upsert",
            ),
            key(
                "get-/crm/objects/2026-03/{t}",
                "get",
                "/crm/objects/2026-03/{t}",
            ),
            key(
                "post-/crm/objects/2026-03/{t}",
                "post",
                "/crm/objects/2026-03/{t}",
            ),
            key("old_name", "delete", "/things/{id}"),
            key("gone", "get", "/gone"),
        ];
        let new = [
            key("new_name", "delete", "/things/{id}"),
            key(
                "post-/crm/objects/2026-09/{t}",
                "post",
                "/crm/objects/2026-09/{t}",
            ),
            key(
                "get-/crm/objects/2026-09/{t}",
                "get",
                "/crm/objects/2026-09/{t}",
            ),
            key(
                "batch_upsert",
                "post",
                "/crm/objects/2026-09/{t}/batch/upsert",
            ),
            key("fresh", "get", "/fresh"),
        ];
        let mut pairs = pair(&old, &new);
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                (None, Some(4)),
                (Some(0), Some(3)),
                (Some(1), Some(2)),
                (Some(2), Some(1)),
                (Some(3), Some(0)),
                (Some(4), None),
            ]
        );
    }

    #[test]
    fn an_ambiguous_unversioned_path_pairs_nothing() {
        // A document holding the same operation under two versions: which one moved is unknown.
        let old = [
            key("a", "get", "/crm/v3/objects/{t}"),
            key("b", "get", "/crm/objects/2026-03/{t}"),
        ];
        let new = [key("c", "get", "/crm/objects/2026-09/{t}")];
        let mut pairs = pair(&old, &new);
        pairs.sort();
        assert_eq!(
            pairs,
            vec![(None, Some(0)), (Some(0), None), (Some(1), None)]
        );
    }
}
