//! [`Properties`]: the property names and values of one [`UpsertInput`](crate::UpsertInput),
//! in the order they were set, held in one text buffer.
//!
//! # Why not a `HashMap<String, String>`
//! A map of strings costs two allocations per property and frees them one by one when the
//! input is done; at 100 records per request and a dozen properties each, that was most of
//! the allocator traffic of a bulk run, and glibc's allocator pays for it again in
//! `malloc_consolidate` whenever a request body or a response is allocated (BENCHMARKS.md,
//! client overhead). Here every name and value is appended to one `String` and located by a
//! span, so an input's properties cost two allocations whatever their number. Insertion order
//! also makes request bodies deterministic: the same inputs always give the same bytes.

use std::fmt::{self, Display, Write as _};

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Above this many properties, duplicate names are found by sorting, not by scanning.
const SCAN_LIMIT: usize = 16;

/// The properties of an input: name → value, in the order each name was first set. Setting a
/// name again replaces its value in place, as a map would.
///
/// ```
/// use hubspot_crm::UpsertInput;
/// let input = UpsertInput::new("ada@example.com")
///     .property("firstname", "Ada")
///     .property("age", 36)
///     .property("firstname", "Augusta");
/// let props = input.get_properties();
/// assert_eq!(props.get("firstname"), Some("Augusta"));
/// assert_eq!(props.iter().collect::<Vec<_>>(), [("firstname", "Augusta"), ("age", "36")]);
/// ```
#[derive(Clone, Default)]
pub struct Properties {
    /// Names and values, appended; a replaced value's old text stays unused.
    text: String,
    /// One per property, in order.
    spans: Vec<Span>,
}

/// Where one property's name and value are in [`Properties::text`]: the name is
/// `text[name..value]` and the value `text[value..end]`.
#[derive(Clone, Copy, Debug)]
struct Span {
    name: usize,
    value: usize,
    end: usize,
}

impl Properties {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Whether `name` is set.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The (name, value) pairs in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text,
            spans: self.spans.iter(),
        }
    }

    /// Sets `name` to `value`'s text, replacing an earlier value of the same name in place.
    pub fn insert(&mut self, name: &str, value: impl Display) {
        let at = self.spans.iter().position(|s| self.name_of(s) == name);
        let span = self.append(name, value);
        match at {
            Some(i) => self.spans[i] = span,
            None => self.spans.push(span),
        }
    }

    /// Sets every pair, in order; a name given twice keeps its first place and its last value.
    pub fn extend<K, V>(&mut self, pairs: impl IntoIterator<Item = (K, V)>)
    where
        K: AsRef<str>,
        V: Display,
    {
        let before = self.spans.len();
        let pairs = pairs.into_iter();
        self.spans.reserve(pairs.size_hint().0);
        for (name, value) in pairs {
            let span = self.append(name.as_ref(), value);
            self.spans.push(span);
        }
        if self.spans.len() > before {
            self.dedup();
        }
    }

    /// Appends `name` and `value`'s text to the buffer, returning where they are.
    fn append(&mut self, name: &str, value: impl Display) -> Span {
        let start = self.text.len();
        self.text.push_str(name);
        let value_start = self.text.len();
        // Writing into a `String` cannot fail; a `Display` that reports an error anyway
        // leaves what it wrote, as `to_string` would have panicked instead.
        let _ = write!(self.text, "{value}");
        Span {
            name: start,
            value: value_start,
            end: self.text.len(),
        }
    }

    fn name_of(&self, span: &Span) -> &str {
        &self.text[span.name..span.value]
    }

    /// Folds repeated names into the first span of each name, carrying the last value.
    fn dedup(&mut self) {
        let n = self.spans.len();
        // `keep[i]` is false for a span whose name appeared earlier; on the stack when small.
        let mut keep_small = [true; SCAN_LIMIT];
        let mut keep_large = Vec::new();
        let keep: &mut [bool] = if n <= SCAN_LIMIT {
            &mut keep_small[..n]
        } else {
            keep_large.resize(n, true);
            &mut keep_large
        };
        if n <= SCAN_LIMIT {
            for j in 1..n {
                let name = self.name_of(&self.spans[j]);
                if let Some(i) = (0..j).find(|&i| keep[i] && self.name_of(&self.spans[i]) == name) {
                    keep[j] = false;
                    let last = self.spans[j];
                    self.spans[i].name = last.name;
                    self.spans[i].value = last.value;
                    self.spans[i].end = last.end;
                }
            }
        } else {
            // Sorted by name, then position: each run of equal names starts with its first
            // place and ends with its last value.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| {
                self.name_of(&self.spans[a])
                    .cmp(self.name_of(&self.spans[b]))
                    .then(a.cmp(&b))
            });
            let mut run_start = 0;
            for k in 1..=n {
                let same = k < n
                    && self.name_of(&self.spans[order[k]])
                        == self.name_of(&self.spans[order[run_start]]);
                if same {
                    continue;
                }
                let first = order[run_start];
                let last = order[k - 1];
                if first != last {
                    self.spans[first] = self.spans[last];
                    for &dup in &order[run_start + 1..k] {
                        keep[dup] = false;
                    }
                }
                run_start = k;
            }
        }
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut i = 0;
        self.spans.retain(|_| {
            let kept = keep[i];
            i += 1;
            kept
        });
    }
}

/// The (name, value) pairs of [`Properties`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    text: &'a str,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.spans.next()?;
        Some((&self.text[s.name..s.value], &self.text[s.value..s.end]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<K: AsRef<str>, V: Display> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut props = Properties::new();
        props.extend(pairs);
        props
    }
}

/// Equal when the same names have the same values in the same order.
impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Properties {}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A JSON object of strings, in order.
impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(props: &Properties) -> Vec<(String, String)> {
        props
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keeps_insertion_order_and_replaces_in_place() {
        let mut p = Properties::new();
        p.insert("b", 1);
        p.insert("a", "x");
        p.insert("b", 2.5);
        assert_eq!(p.len(), 2);
        assert_eq!(
            pairs(&p),
            [("b".into(), "2.5".into()), ("a".into(), "x".into())]
        );
        assert_eq!(p.get("b"), Some("2.5"));
        assert_eq!(p.get("c"), None);
        assert!(p.contains("a"));
    }

    #[test]
    fn empty_names_and_values_are_kept_apart() {
        let p: Properties = [("", ""), ("a", ""), ("", "z")].into_iter().collect();
        assert_eq!(
            pairs(&p),
            [("".into(), "z".into()), ("a".into(), "".into())]
        );
    }

    #[test]
    fn serializes_as_an_ordered_json_object() {
        let p: Properties = [("z", "1"), ("a", "say \"hi\"")].into_iter().collect();
        assert_eq!(
            serde_json::to_string(&p).expect("serializes"),
            r#"{"z":"1","a":"say \"hi\""}"#
        );
        assert_eq!(format!("{p:?}"), r#"{"z": "1", "a": "say \"hi\""}"#);
    }

    proptest::proptest! {
        /// Whatever the names (many repeats, more than the scan limit or fewer), the result is
        /// what a map keeping first places and last values would hold.
        #[test]
        fn extend_matches_a_first_place_last_value_map(
            names in proptest::collection::vec(0u8..40, 0..60),
            split in 0usize..60,
        ) {
            let pairs_in: Vec<(String, String)> = names
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("p{n}"), format!("v{i}")))
                .collect();
            let mut expected: Vec<(String, String)> = Vec::new();
            for (n, v) in &pairs_in {
                match expected.iter_mut().find(|(e, _)| e == n) {
                    Some(slot) => slot.1 = v.clone(),
                    None => expected.push((n.clone(), v.clone())),
                }
            }
            // Half through `extend`, half one by one, to mix both paths.
            let split = split.min(pairs_in.len());
            let mut p = Properties::new();
            p.extend(pairs_in[..split].iter().map(|(n, v)| (n.as_str(), v.as_str())));
            for (n, v) in &pairs_in[split..] {
                p.insert(n, v);
            }
            proptest::prop_assert_eq!(pairs(&p), expected);
        }
    }
}
