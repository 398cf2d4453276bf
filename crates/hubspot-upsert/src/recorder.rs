//! The recorder: turns each record's outcome into a report line, a tally and a journal entry,
//! and commits report then journal durably.
//!
//! An outcome is *final* when rerunning could not change it: created, updated, or refused for
//! the record's own content. Final outcomes are reported and journaled. The others (never
//! sent, or failed because the whole run was refused: credentials, daily quota) are left out
//! of the journal so a resumed run sends those records again; with a journal they are also
//! left out of the report, so that no record is reported twice.

use hubspot_crm::{
    ApiVersion, FailureCause, NotAttemptedReason, OutcomeKind, RecordOutcome, UpsertedRecord,
};

use crate::checks::Refusal;
use crate::error::FatalError;
use crate::feed::Origin;
use crate::journal::Journal;
use crate::progress::Tally;
use crate::ranges::RangeSet;
use crate::report::{Outcome, ReportLine, ReportWriter};

/// How many failures the final summary lists.
const LISTED_FAILURES: usize = 5;

/// One record's end, in the report's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// Where the record came from.
    pub origin: Origin,
    /// Its report line.
    pub line: ReportLine,
    /// Whether rerunning could not change it.
    pub is_final: bool,
    /// The cause, when this ending means the whole run was refused.
    pub run_refused: Option<String>,
}

impl Ending {
    /// The ending of a record the client handled.
    pub fn from_client<V: ApiVersion>(origin: Origin, outcome: RecordOutcome<V>) -> Ending {
        let mut line = ReportLine {
            line: origin.line,
            id: Some(outcome.id),
            outcome: Outcome::NotAttempted,
            record_id: None,
            created_at: None,
            updated_at: None,
            error_category: None,
            error_message: None,
            error_codes: Vec::new(),
        };
        let mut is_final = true;
        let mut run_refused = None;
        match outcome.kind {
            OutcomeKind::Created { record_id, record } => {
                line.outcome = Outcome::Created;
                line.record_id = Some(record_id);
                line.created_at = Some(record.created_at());
                line.updated_at = Some(record.updated_at());
            }
            OutcomeKind::Updated { record_id, record } => {
                line.outcome = Outcome::Updated;
                line.record_id = Some(record_id);
                line.created_at = Some(record.created_at());
                line.updated_at = Some(record.updated_at());
            }
            OutcomeKind::Failed {
                cause,
                message,
                error,
                ..
            } => {
                if let Some(error) = error {
                    line.error_codes = error.codes().map(str::to_string).collect();
                }
                // Causes that concern the whole run rather than the record: a rerun sends it.
                let run_wide = match cause {
                    FailureCause::Auth => Some("the access token was refused"),
                    FailureCause::DailyLimit => Some("HubSpot's daily request limit is spent"),
                    _ => None,
                };
                if let Some(what) = run_wide {
                    is_final = false;
                    run_refused = Some(format!("{what}: {message}"));
                }
                line.outcome = Outcome::Failed;
                line.error_category = Some(cause.code().into_owned());
                line.error_message = Some(message);
            }
            OutcomeKind::Unchanged { record_id } => {
                line.outcome = Outcome::Unchanged;
                line.record_id = Some(record_id);
            }
            OutcomeKind::NotAttempted { reason } => {
                is_final = false;
                match &reason {
                    NotAttemptedReason::Cancelled => {}
                    other => run_refused = Some(other.to_string()),
                }
                line.error_message = Some(reason.to_string());
            }
        }
        Ending {
            origin,
            line,
            is_final,
            run_refused,
        }
    }

    /// The ending of a record refused by the checks before sending.
    pub fn refused(origin: Origin, id: Option<String>, refusal: Refusal) -> Ending {
        Ending {
            line: ReportLine {
                line: origin.line,
                id,
                outcome: Outcome::Failed,
                record_id: None,
                created_at: None,
                updated_at: None,
                error_category: Some(refusal.problem.code().to_string()),
                error_message: Some(refusal.message),
                error_codes: Vec::new(),
            },
            origin,
            is_final: true,
            run_refused: None,
        }
    }

    /// The ending of a record sent but abandoned without an outcome (a second Ctrl-C).
    pub fn abandoned(origin: Origin) -> Ending {
        Ending {
            line: ReportLine {
                line: origin.line,
                id: Some(origin.id.clone()),
                outcome: Outcome::NotAttempted,
                record_id: None,
                created_at: None,
                updated_at: None,
                error_category: None,
                error_message: Some("abandoned when the run was interrupted".into()),
                error_codes: Vec::new(),
            },
            origin,
            is_final: false,
            run_refused: None,
        }
    }
}

/// Writes endings to the report and journal and keeps the tally.
pub struct Recorder {
    report: Option<ReportWriter>,
    journal: Option<Journal>,
    /// Final records since the last commit.
    pending: RangeSet,
    /// The counts so far.
    pub tally: Tally,
    /// The first few failures, for the summary.
    pub failures: Vec<String>,
    /// Why the run was refused as a whole, if it was.
    pub run_refused: Option<String>,
}

impl Recorder {
    /// A recorder writing to these (either may be absent).
    pub fn new(report: Option<ReportWriter>, journal: Option<Journal>, skipped: u64) -> Recorder {
        Recorder {
            report,
            journal,
            pending: RangeSet::new(),
            tally: Tally {
                skipped,
                ..Tally::default()
            },
            failures: Vec::new(),
            run_refused: None,
        }
    }

    /// Records one ending.
    pub fn record(&mut self, ending: Ending) -> Result<(), FatalError> {
        let line = &ending.line;
        match (line.outcome, ending.is_final) {
            (Outcome::Created, _) => self.tally.created += 1,
            (Outcome::Updated, _) => self.tally.updated += 1,
            (Outcome::Unchanged, _) => self.tally.unchanged += 1,
            (Outcome::Failed, true) => self.tally.failed += 1,
            (Outcome::Failed, false) | (Outcome::NotAttempted, _) => {
                self.tally.not_attempted += 1;
            }
        }
        if ending.is_final {
            self.tally.done += 1;
        }
        if line.outcome == Outcome::Failed
            && ending.is_final
            && self.failures.len() < LISTED_FAILURES
        {
            self.failures.push(format!(
                "line {} ({}): {}: {}",
                line.line,
                line.id.as_deref().unwrap_or("no id"),
                line.error_category.as_deref().unwrap_or("ERROR"),
                line.error_message.as_deref().unwrap_or("")
            ));
        }
        if self.run_refused.is_none() {
            self.run_refused = ending.run_refused.clone();
        }
        let keep_in_report = ending.is_final || self.journal.is_none();
        if let (Some(report), true) = (self.report.as_mut(), keep_in_report) {
            report.write(&ending.line)?;
        }
        if ending.is_final {
            self.pending.insert(ending.origin.index);
        }
        Ok(())
    }

    /// Makes everything recorded so far durable: the report is flushed and synced, then the
    /// journal gets the finished records and the report's length.
    pub fn commit(&mut self) -> Result<(), FatalError> {
        let report_bytes = match self.report.as_mut() {
            Some(report) => Some(report.commit()?),
            None => None,
        };
        if let Some(journal) = self.journal.as_mut()
            && !self.pending.is_empty()
        {
            journal.commit(&self.pending, report_bytes)?;
        }
        self.pending.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::RowProblem;
    use crate::journal::{JournalHeader, ResumeState};
    use hubspot_crm::api::v2026_09::types::SimplePublicUpsertObject;

    fn outcome(position: u64, kind: OutcomeKind) -> RecordOutcome {
        RecordOutcome {
            position,
            id: format!("p{position}@x.io"),
            id_property: Some("email".into()),
            trace_id: position.to_string(),
            kind,
            normalized: Vec::new(),
        }
    }

    fn origin(index: u64) -> Origin {
        Origin {
            index,
            line: index + 2,
            id: format!("p{index}@x.io"),
        }
    }

    fn failed(cause: FailureCause) -> OutcomeKind {
        OutcomeKind::Failed {
            cause,
            message: "no".into(),
            correlation_id: None,
            retried: false,
            error: None,
        }
    }

    /// HubSpot's result for record `id`, created 2026-03-01 and updated a minute later.
    fn record(id: &str, new: bool) -> Box<SimplePublicUpsertObject> {
        Box::new(
            serde_json::from_value(serde_json::json!({
                "archived": false,
                "createdAt": "2026-03-01T10:00:00.000Z",
                "updatedAt": "2026-03-01T10:01:00.000Z",
                "id": id,
                "new": new,
                "properties": {"email": "p@x.io"},
            }))
            .expect("a generated result"),
        )
    }

    #[test]
    fn client_outcomes_map_to_report_lines() {
        let created = Ending::from_client(
            origin(0),
            outcome(
                0,
                OutcomeKind::Created {
                    record_id: "101".into(),
                    record: record("101", true),
                },
            ),
        );
        assert_eq!(created.line.outcome, Outcome::Created);
        assert_eq!(created.line.record_id.as_deref(), Some("101"));
        assert_eq!(
            created.line.created_at.map(|t| t.to_rfc3339()),
            Some("2026-03-01T10:00:00+00:00".to_string())
        );
        assert_eq!(
            created.line.updated_at.map(|t| t.to_rfc3339()),
            Some("2026-03-01T10:01:00+00:00".to_string())
        );
        assert!(created.is_final);
        let invalid = Ending::from_client(
            origin(1),
            outcome(
                1,
                failed(FailureCause::HubSpot {
                    category: "VALIDATION_ERROR".into(),
                }),
            ),
        );
        assert!(invalid.is_final && invalid.run_refused.is_none());
        assert_eq!(
            invalid.line.error_category.as_deref(),
            Some("VALIDATION_ERROR")
        );
        let auth = Ending::from_client(origin(2), outcome(2, failed(FailureCause::Auth)));
        assert!(!auth.is_final);
        assert_eq!(
            auth.run_refused.as_deref(),
            Some("the access token was refused: no")
        );
        let cancelled = Ending::from_client(
            origin(3),
            outcome(
                3,
                OutcomeKind::NotAttempted {
                    reason: NotAttemptedReason::Cancelled,
                },
            ),
        );
        assert!(!cancelled.is_final && cancelled.run_refused.is_none());
        assert_eq!(cancelled.line.outcome, Outcome::NotAttempted);
    }

    #[test]
    fn hubspot_error_codes_reach_the_report_line() {
        let error: hubspot_crm::api::v2026_09::types::StandardError =
            serde_json::from_value(serde_json::json!({
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "Property values were not valid",
                "context": {"objectWriteTraceId": ["4"]},
                "errors": [
                    {"code": "INVALID_EMAIL", "message": "bad email"},
                    {"message": "no code here"},
                    {"code": "INVALID_INTEGER", "message": "bad number"},
                ],
            }))
            .expect("a generated StandardError");
        let kind = OutcomeKind::Failed {
            cause: FailureCause::HubSpot {
                category: "VALIDATION_ERROR".into(),
            },
            message: "Property values were not valid".into(),
            correlation_id: None,
            retried: false,
            error: Some(Box::new(hubspot_crm::HubSpotError::Input(error))),
        };
        let ending = Ending::from_client(origin(4), outcome(4, kind));
        assert_eq!(ending.line.outcome, Outcome::Failed);
        assert_eq!(
            ending.line.error_codes,
            ["INVALID_EMAIL", "INVALID_INTEGER"]
        );
        assert!(ending.line.created_at.is_none() && ending.line.updated_at.is_none());
    }

    #[test]
    fn with_a_journal_only_final_endings_are_reported_and_journaled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let report_path = dir.path().join("r.ndjson");
        let journal_path = dir.path().join("j");
        let header = JournalHeader::new("in.csv", "contacts", "email");
        let (journal, _) = Journal::open(&journal_path, &header).expect("journal");
        let report = ReportWriter::create(&report_path).expect("report");
        let mut recorder = Recorder::new(Some(report), Some(journal), 0);
        recorder
            .record(Ending::from_client(
                origin(0),
                outcome(
                    0,
                    OutcomeKind::Updated {
                        record_id: "7".into(),
                        record: record("7", false),
                    },
                ),
            ))
            .expect("record");
        recorder
            .record(Ending::from_client(
                origin(1),
                outcome(
                    1,
                    OutcomeKind::NotAttempted {
                        reason: NotAttemptedReason::Cancelled,
                    },
                ),
            ))
            .expect("record");
        recorder
            .record(Ending::refused(
                origin(2),
                None,
                Refusal {
                    problem: RowProblem::MissingId,
                    message: "no id".into(),
                },
            ))
            .expect("record");
        recorder.commit().expect("commit");
        assert_eq!(recorder.tally.updated, 1);
        assert_eq!(recorder.tally.failed, 1);
        assert_eq!(recorder.tally.not_attempted, 1);
        assert_eq!(recorder.tally.done, 2);
        let report = std::fs::read_to_string(&report_path).expect("read");
        let lines: Vec<u64> = report
            .lines()
            .map(|l| serde_json::from_str::<ReportLine>(l).expect("line").line)
            .collect();
        assert_eq!(lines, vec![2, 4]);
        drop(recorder);
        let (_, state) = Journal::open(&journal_path, &header).expect("reopen");
        let mut expected = RangeSet::new();
        expected.insert(0);
        expected.insert(2);
        assert_eq!(
            state,
            ResumeState {
                done: expected,
                report_bytes: Some(report.len() as u64)
            }
        );
    }

    #[test]
    fn without_a_journal_every_ending_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.ndjson");
        let mut recorder =
            Recorder::new(Some(ReportWriter::create(&path).expect("report")), None, 0);
        recorder
            .record(Ending::abandoned(origin(5)))
            .expect("record");
        recorder.commit().expect("commit");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"outcome\":\"not_attempted\""), "{text}");
        assert_eq!(recorder.tally.not_attempted, 1);
    }
}
