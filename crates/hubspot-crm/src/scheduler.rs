//! Which read inputs go into the next request: batches of at most 100, and the duplicate rule
//! (stated in the crate docs, "Duplicates").

use std::borrow::Borrow;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::input::UpsertInput;
use crate::plan::INPUTS_PER_REQUEST;

/// The identity of a record for the duplicate rule: its id property (if any) and id, both
/// lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RecordKey {
    id_property: Option<String>,
    id: String,
}

impl RecordKey {
    fn of(input: &UpsertInput) -> Self {
        RecordKey {
            id_property: input.as_api().id_property.as_deref().map(str::to_lowercase),
            id: input.id().to_lowercase(),
        }
    }
}

/// An input with its duplicate-rule key, in one allocation shared (`Arc`) by the queue, the
/// running request, the engine's copy of it and the busy sets, so none of these copies it.
///
/// Equality and hashing are those of the key alone (lower-cased id property and id), so a
/// set of entries is a set of keys.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) input: UpsertInput,
    key: RecordKey,
}

impl Entry {
    pub(crate) fn new(input: UpsertInput) -> Self {
        Entry {
            key: RecordKey::of(&input),
            input,
        }
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

/// One input on its way through the engine.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) position: u64,
    pub(crate) entry: Arc<Entry>,
    /// How many requests carried this input so far.
    pub(crate) sends: u32,
}

impl Item {
    /// An input read at `position`.
    pub(crate) fn new(position: u64, input: UpsertInput) -> Self {
        Item {
            position,
            entry: Arc::new(Entry::new(input)),
            sends: 0,
        }
    }

    pub(crate) fn input(&self) -> &UpsertInput {
        &self.entry.input
    }

    pub(crate) fn trace_id(&self) -> &str {
        self.input()
            .as_api()
            .object_write_trace_id
            .as_deref()
            .unwrap_or_default()
    }
}

/// An input in a set keyed by its trace id.
#[derive(Clone, Debug)]
struct ByTrace(Arc<Entry>);

impl ByTrace {
    fn trace(&self) -> &str {
        self.0
            .input
            .as_api()
            .object_write_trace_id
            .as_deref()
            .unwrap_or_default()
    }
}

impl PartialEq for ByTrace {
    fn eq(&self, other: &Self) -> bool {
        self.trace() == other.trace()
    }
}

impl Eq for ByTrace {}

impl Hash for ByTrace {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that lookups by `&str` (through `Borrow`) find it.
        self.trace().hash(state);
    }
}

impl Borrow<str> for ByTrace {
    fn borrow(&self) -> &str {
        self.trace()
    }
}

/// Inputs read but not yet sent, and the keys of inputs sent but not yet final.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    waiting: VecDeque<Item>,
    busy_keys: HashSet<Arc<Entry>>,
    busy_traces: HashSet<ByTrace>,
}

impl Scheduler {
    /// Queues a newly read input.
    pub(crate) fn push(&mut self, item: Item) {
        self.waiting.push_back(item);
    }

    /// Inputs waiting to be sent.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Which waiting inputs (by index, in order) could go out now, up to `INPUTS_PER_REQUEST`: pass it
    /// to [`Scheduler::take`] unchanged, before the queue changes.
    pub(crate) fn plan(&self) -> Vec<usize> {
        let mut taken = Vec::with_capacity(INPUTS_PER_REQUEST.min(self.waiting.len()));
        let mut keys: HashSet<&Entry> = HashSet::with_capacity(taken.capacity());
        let mut traces: HashSet<&str> = HashSet::with_capacity(taken.capacity());
        let mut blocked: HashSet<&Entry> = HashSet::new();
        for (i, item) in self.waiting.iter().enumerate() {
            if taken.len() == INPUTS_PER_REQUEST {
                break;
            }
            let key: &Entry = &item.entry;
            let free = !self.busy_keys.contains(key)
                && !blocked.contains(key)
                && !keys.contains(key)
                && !self.busy_traces.contains(item.trace_id())
                && !traces.contains(item.trace_id());
            if free {
                keys.insert(key);
                traces.insert(item.trace_id());
                taken.push(i);
            } else {
                blocked.insert(key);
            }
        }
        taken
    }

    /// Takes the next batch (possibly empty) and marks its keys busy.
    #[cfg(test)]
    pub(crate) fn next_batch(&mut self) -> Vec<Item> {
        let plan = self.plan();
        self.take(plan)
    }

    /// Takes the inputs `plan` (from [`Scheduler::plan`], queue unchanged since) names and
    /// marks their keys busy.
    pub(crate) fn take(&mut self, plan: Vec<usize>) -> Vec<Item> {
        let mut batch = Vec::with_capacity(plan.len());
        // A plan that starts at the front and has no gaps is the usual case: drain it at once.
        if plan.last().is_some_and(|last| *last + 1 == plan.len()) {
            batch.extend(self.waiting.drain(..plan.len()));
        } else {
            for (removed, i) in plan.into_iter().enumerate() {
                if let Some(item) = self.waiting.remove(i - removed) {
                    batch.push(item);
                }
            }
        }
        self.busy_keys.reserve(batch.len());
        self.busy_traces.reserve(batch.len());
        for item in &batch {
            self.busy_keys.insert(item.entry.clone());
            self.busy_traces.insert(ByTrace(item.entry.clone()));
        }
        batch
    }

    /// An input sent earlier has its final outcome: later inputs with its key may go.
    pub(crate) fn release(&mut self, item: &Item) {
        self.busy_keys.remove(&*item.entry);
        self.busy_traces.remove(item.trace_id());
    }

    /// Removes every waiting input (cancellation, abort).
    pub(crate) fn drain_waiting(&mut self) -> Vec<Item> {
        self.waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(position: u64, id: &str) -> Item {
        let input = UpsertInput::new(id)
            .id_property("email")
            .trace_id(format!("t{position}"));
        Item::new(position, input)
    }

    #[test]
    fn record_keys_compare_as_lower_cased_pairs() {
        let key = |id: &str, prop: Option<&str>| {
            let mut input = UpsertInput::new(id);
            if let Some(p) = prop {
                input = input.id_property(p);
            }
            Entry::new(input)
        };
        let pairs = [
            ("A@X", Some("Email")),
            ("a@x", Some("email")),
            ("c", Some("ab")),
            ("bc", Some("a")),
            ("x", Some("")),
            ("x", None),
            ("ÀÉ\u{3a3}", Some("Name")),
            ("àé\u{3c3}", Some("name")),
            ("\u{212a}", None),
            ("k", None),
        ];
        for (id_a, prop_a) in pairs {
            for (id_b, prop_b) in pairs {
                let expected = prop_a.map(str::to_lowercase) == prop_b.map(str::to_lowercase)
                    && id_a.to_lowercase() == id_b.to_lowercase();
                assert_eq!(
                    key(id_a, prop_a) == key(id_b, prop_b),
                    expected,
                    "{id_a:?}/{prop_a:?} against {id_b:?}/{prop_b:?}"
                );
            }
        }
    }

    #[test]
    fn batches_hold_at_most_100() {
        let mut s = Scheduler::default();
        for i in 0..250 {
            s.push(item(i, &format!("u{i}")));
        }
        assert_eq!(s.next_batch().len(), 100);
        assert_eq!(s.next_batch().len(), 100);
        assert_eq!(s.next_batch().len(), 50);
        assert!(s.next_batch().is_empty());
    }

    #[test]
    fn duplicates_wait_for_the_earlier_to_finish_and_keep_order() {
        let mut s = Scheduler::default();
        s.push(item(0, "a@x"));
        s.push(item(1, "b@x"));
        s.push(item(2, "A@X"));
        s.push(item(3, "a@x"));
        s.push(item(4, "c@x"));
        let first = s.next_batch();
        let positions: Vec<u64> = first.iter().map(|i| i.position).collect();
        assert_eq!(positions, vec![0, 1, 4]);
        // While 0 is in flight, neither 2 nor 3 may go.
        assert!(s.next_batch().is_empty());
        s.release(&first[0]);
        let second = s.next_batch();
        assert_eq!(
            second.iter().map(|i| i.position).collect::<Vec<_>>(),
            vec![2]
        );
        s.release(&second[0]);
        assert_eq!(
            s.next_batch()
                .iter()
                .map(|i| i.position)
                .collect::<Vec<_>>(),
            vec![3]
        );
    }

    #[test]
    fn shared_trace_ids_are_kept_apart() {
        let mut s = Scheduler::default();
        let a = Item::new(0, item(0, "a").input().clone().trace_id("same"));
        let b = Item::new(1, item(1, "b").input().clone().trace_id("same"));
        s.push(a);
        s.push(b);
        assert_eq!(s.next_batch().len(), 1);
    }
}
