//! The feed: a thread that reads the input, skips records the journal lists as done, checks
//! each record, and hands valid ones to the client through a bounded channel (so reading
//! waits when HubSpot is the bottleneck and memory stays flat). A malformed row goes to the
//! run loop as a refused record (`MALFORMED_ROW`), like a record that fails the checks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hubspot_crm::UpsertInput;
use tokio::sync::mpsc;

use crate::checks::{RecordChecks, Refusal, malformed_row};
use crate::input::{InputError, InputRecord};
use crate::ranges::RangeSet;

/// Inputs buffered between the reading thread and the client.
const INPUT_QUEUE: usize = 256;
/// Events buffered between the reading thread and the run loop.
const EVENT_QUEUE: usize = 256;

/// Where a record sent to the client came from, to name it in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The record's index in the input.
    pub index: u64,
    /// The line it starts on.
    pub line: u64,
    /// Its id.
    pub id: String,
}

/// Records handed to the client and not yet back, by their position in the client's stream.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<Mutex<HashMap<u64, Origin>>>);

impl InFlight {
    fn insert(&self, position: u64, origin: Origin) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(position, origin);
    }

    /// Takes the origin of the record at `position` in the client's stream.
    pub fn take(&self, position: u64) -> Option<Origin> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&position)
    }

    /// Whether every record handed to the client has its outcome.
    pub fn is_empty(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Takes every origin left, in input order (records whose outcome never came).
    pub fn drain(&self) -> Vec<Origin> {
        let mut left: Vec<Origin> = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, o)| o)
            .collect();
        left.sort_by_key(|o| o.index);
        left
    }
}

/// What the reading thread tells the run loop besides the inputs themselves.
#[derive(Debug)]
pub enum FeedEvent {
    /// A record refused by the checks, never sent.
    Refused {
        /// The record.
        record: InputRecord,
        /// Why.
        refusal: Refusal,
    },
    /// The input is malformed; reading stopped here.
    Failed(InputError),
}

/// The running feed.
pub struct Feed {
    /// Valid records, for the client.
    pub inputs: mpsc::Receiver<UpsertInput>,
    /// Refusals and input errors, for the run loop.
    pub events: mpsc::Receiver<FeedEvent>,
    /// Records sent to the client and not yet back.
    pub in_flight: InFlight,
    /// Stops the reading.
    pub stopper: Stopper,
}

/// Tells the reading thread to stop.
#[derive(Debug, Clone, Default)]
pub struct Stopper(Arc<AtomicBool>);

impl Stopper {
    /// Stops reading; records already read still go out.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Starts the reading thread over `records`.
pub fn start<I>(records: I, done: RangeSet, checks: RecordChecks, id_property: String) -> Feed
where
    I: Iterator<Item = Result<InputRecord, InputError>> + Send + 'static,
{
    let (input_tx, inputs) = mpsc::channel(INPUT_QUEUE);
    let (event_tx, events) = mpsc::channel(EVENT_QUEUE);
    let in_flight = InFlight::default();
    let stop = Stopper::default();
    let feed = Feed {
        inputs,
        events,
        in_flight: in_flight.clone(),
        stopper: stop.clone(),
    };
    std::thread::spawn(move || {
        let mut position = 0u64;
        for record in records {
            if stop.stopped() {
                break;
            }
            let record = match record.map_err(malformed_row) {
                Ok(r) => r,
                Err(Ok((row, refusal))) => {
                    if done.contains(row.index) {
                        continue;
                    }
                    let event = FeedEvent::Refused {
                        record: row,
                        refusal,
                    };
                    if event_tx.blocking_send(event).is_err() {
                        break;
                    }
                    continue;
                }
                Err(Err(fatal)) => {
                    if event_tx.blocking_send(FeedEvent::Failed(fatal)).is_ok() {
                        // The input ends short of its end. The record channel stays open until
                        // the run has seen the failure (it stops the feed), so that the client
                        // never takes a cut-short input for a whole one: a sync state counts
                        // the records a whole input no longer holds.
                        while !stop.stopped() && !event_tx.is_closed() {
                            std::thread::sleep(std::time::Duration::from_millis(2));
                        }
                    }
                    break;
                }
            };
            if done.contains(record.index) {
                continue;
            }
            if let Err(refusal) = checks.check(&record) {
                if event_tx
                    .blocking_send(FeedEvent::Refused { record, refusal })
                    .is_err()
                {
                    break;
                }
                continue;
            }
            let Some(id) = record.id else {
                continue; // Unreachable: the checks refuse records without an id.
            };
            in_flight.insert(
                position,
                Origin {
                    index: record.index,
                    line: record.line,
                    id: id.clone(),
                },
            );
            let input = UpsertInput::new(id)
                .id_property(id_property.as_str())
                .properties(record.properties);
            if input_tx.blocking_send(input).is_err() {
                in_flight.take(position);
                break;
            }
            position += 1;
        }
        tracing::debug!(sent = position, "input read");
    });
    feed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{InputProblem, InputRecord};

    fn record(index: u64, id: Option<&str>) -> Result<InputRecord, InputError> {
        Ok(InputRecord {
            index,
            line: index + 2,
            id: id.map(str::to_string),
            properties: vec![("firstname".into(), format!("n{index}"))],
        })
    }

    #[tokio::test]
    async fn sends_valid_records_skips_done_ones_and_reports_refusals() {
        let ragged = |index: u64| {
            Err(InputError::row(
                "t.csv",
                index,
                index + 2,
                InputProblem::Ragged {
                    found: 1,
                    expected: 2,
                },
            ))
        };
        let records = vec![
            record(0, Some("a@x.io")),
            record(1, Some("b@x.io")),
            record(2, None),
            ragged(3),
            ragged(4),
            record(5, Some("d@x.io")),
            Err(InputError::new("t.csv", Some(7), InputProblem::NoRecords)),
            record(7, Some("never@x.io")),
        ];
        let mut done = RangeSet::new();
        done.insert(1);
        done.insert(4);
        let mut feed = start(
            records.into_iter(),
            done,
            RecordChecks::new("email", None),
            "email".into(),
        );
        let refused = feed.events.recv().await.expect("a refusal");
        assert!(
            matches!(&refused, FeedEvent::Refused { record, .. } if record.index == 2),
            "{refused:?}"
        );
        // The malformed row not done yet is refused in its place; the done one is skipped.
        let malformed = feed.events.recv().await.expect("a malformed row");
        match malformed {
            FeedEvent::Refused { record, refusal } => {
                assert_eq!((record.index, record.line), (3, 5));
                assert_eq!(refusal.problem, crate::checks::RowProblem::MalformedRow);
                assert_eq!(refusal.message, "the row has 1 fields but the header has 2");
            }
            other => panic!("expected the malformed row, got {other:?}"),
        }
        let failed = feed.events.recv().await.expect("the input error");
        assert!(matches!(failed, FeedEvent::Failed(e) if e.line == Some(7)));
        // The records channel stays open until the run has seen the failure and stops the feed.
        let mut ids = Vec::new();
        while let Ok(input) = feed.inputs.try_recv() {
            ids.push(input.id().to_string());
        }
        assert_eq!(ids, vec!["a@x.io", "d@x.io"]);
        assert!(!feed.inputs.is_closed());
        feed.stopper.stop();
        assert!(feed.inputs.recv().await.is_none());
        assert!(feed.events.recv().await.is_none());
        let origin = |index: u64, id: &str| Origin {
            index,
            line: index + 2,
            id: id.to_string(),
        };
        assert_eq!(feed.in_flight.take(1), Some(origin(5, "d@x.io")));
        assert_eq!(feed.in_flight.drain(), vec![origin(0, "a@x.io")]);
    }
}
