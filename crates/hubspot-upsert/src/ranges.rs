//! A set of record indices kept as sorted, disjoint, half-open ranges: the resume journal's
//! unit. Outcomes arrive nearly in order, so the set stays a handful of ranges however many
//! records it holds.

use serde::{Deserialize, Serialize};

/// Sorted, disjoint, non-adjacent half-open ranges `[start, end)` of record indices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl RangeSet {
    /// An empty set.
    pub fn new() -> RangeSet {
        RangeSet::default()
    }

    /// Whether the set holds no index.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// How many indices the set holds.
    pub fn count(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| e - s).sum()
    }

    /// The ranges, in order.
    #[cfg(test)]
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// Whether `index` is in the set.
    pub fn contains(&self, index: u64) -> bool {
        // The first range whose end is past `index` is the only one that can hold it.
        let i = self.ranges.partition_point(|&(_, end)| end <= index);
        self.ranges.get(i).is_some_and(|&(start, _)| start <= index)
    }

    /// Adds one index (`u64::MAX` cannot be held and is ignored).
    pub fn insert(&mut self, index: u64) {
        self.insert_range(index, index.saturating_add(1));
    }

    /// Adds the half-open range `[start, end)`; empty ranges are ignored.
    pub fn insert_range(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        // Ranges that overlap or touch [start, end) are merged into one.
        let first = self.ranges.partition_point(|&(_, e)| e < start);
        let last = self.ranges.partition_point(|&(s, _)| s <= end);
        if first == last {
            self.ranges.insert(first, (start, end));
            return;
        }
        let merged = (
            start.min(self.ranges[first].0),
            end.max(self.ranges[last - 1].1),
        );
        self.ranges.splice(first..last, [merged]);
    }

    /// Adds every index of `other`.
    pub fn extend(&mut self, other: &RangeSet) {
        for &(s, e) in &other.ranges {
            self.insert_range(s, e);
        }
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.ranges.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_inserts_merge_into_one_range() {
        let mut set = RangeSet::new();
        for i in [3, 1, 0, 2, 5, 4] {
            set.insert(i);
        }
        assert_eq!(set.ranges(), &[(0, 6)]);
        assert_eq!(set.count(), 6);
    }

    #[test]
    fn gaps_stay_apart_and_contains_respects_them() {
        let mut set = RangeSet::new();
        set.insert_range(10, 20);
        set.insert_range(0, 5);
        set.insert(7);
        assert_eq!(set.ranges(), &[(0, 5), (7, 8), (10, 20)]);
        assert!(set.contains(0) && set.contains(4) && set.contains(7) && set.contains(19));
        assert!(!set.contains(5) && !set.contains(6) && !set.contains(8) && !set.contains(20));
    }

    #[test]
    fn a_range_spanning_several_merges_them() {
        let mut set = RangeSet::new();
        set.insert_range(0, 2);
        set.insert_range(4, 6);
        set.insert_range(8, 9);
        set.insert_range(1, 8);
        assert_eq!(set.ranges(), &[(0, 9)]);
        set.insert_range(3, 3);
        assert_eq!(set.count(), 9);
    }

    #[test]
    fn extend_unions_two_sets() {
        let mut a = RangeSet::new();
        a.insert_range(0, 3);
        let mut b = RangeSet::new();
        b.insert_range(3, 5);
        b.insert_range(9, 10);
        a.extend(&b);
        assert_eq!(a.ranges(), &[(0, 5), (9, 10)]);
        assert_eq!(serde_json::to_string(&a).expect("json"), "[[0,5],[9,10]]");
    }
}
