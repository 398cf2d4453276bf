//! `--dry-run`: reads and checks the whole input with no token and no network, and tells what
//! a real run would send and how long the plan's quota makes it take.
//!
//! Duplicate detection keeps a 64-bit hash, a line number and a count per distinct id (about
//! 40 bytes each), the one thing here that grows with the input.

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};

use hubspot_crm::property_schema::PropertySchema;
use hubspot_crm::property_schema::Rule;

use crate::checks::{RecordChecks, RowProblem, looks_like_email, malformed_row};
use crate::cli::PlanArg;
use crate::input::{InputError, InputProblem, InputRecord};
use crate::plan::{Cost, HumanDuration, cost};
use crate::state::StatePreview;

/// How many example lines each finding lists.
const EXAMPLES: usize = 5;

/// A finding with a count and the first few places it occurs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How many records have it.
    pub count: u64,
    /// The first few, described with their line.
    pub examples: Vec<String>,
}

impl Finding {
    fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example());
        }
    }
}

/// What the dry run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunReport {
    /// The input's name.
    pub input: String,
    /// Records read, malformed rows included.
    pub records: u64,
    /// Rows the parser could not read as records: reported failed (`MALFORMED_ROW`), not sent.
    pub malformed_rows: Finding,
    /// Where and why reading stopped before the end (more than `--max-bad-rows`).
    pub stopped: Option<String>,
    /// Records with no id: they would be reported failed and not sent.
    pub missing_ids: Finding,
    /// Records with a property outside `--properties`: reported failed, not sent.
    pub unknown_properties: Finding,
    /// Records whose id repeats an earlier record's: both are sent, the later one wins.
    pub duplicate_ids: Finding,
    /// Ids that do not look like email addresses, when the id property is `email`.
    pub odd_emails: Finding,
    /// Records with a value the `--property-schema` refuses: reported failed, not sent.
    pub refused_values: ValueFindings,
    /// With `--state`: records the state holds unchanged (not sent); `None` without a state.
    pub unchanged: Option<u64>,
    /// With `--state`: whether the state file existed (a new one holds nothing yet).
    pub state_exists: bool,
    /// What sending the valid records costs.
    pub cost: Cost,
    /// The plan the cost is computed for.
    pub plan: PlanArg,
}

impl DryRunReport {
    /// Whether every record would be sent (findings that only warn do not count).
    pub fn all_sendable(&self) -> bool {
        self.malformed_rows.count == 0
            && self.stopped.is_none()
            && self.missing_ids.count == 0
            && self.unknown_properties.count == 0
            && self.refused_values.records == 0
    }
}

/// What the property definitions say about the records' values.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ValueFindings {
    /// Records with at least one refused value (each is reported failed, not sent).
    pub records: u64,
    /// Refused values by property and rule, each with the first few lines.
    pub by_rule: BTreeMap<(String, Rule), Finding>,
    /// Records sent with values changed so HubSpot takes them (labels, whitespace).
    pub normalized: Finding,
}

impl ValueFindings {
    /// Checks every value of `record`; false when one is refused.
    pub fn check(&mut self, schema: &PropertySchema, record: &InputRecord) -> bool {
        let mut refused = false;
        let mut changes = Vec::new();
        for (name, value) in &record.properties {
            match schema.check_value(name, value) {
                Ok(checked) => changes.extend(checked.normalized),
                Err(problem) => {
                    refused = true;
                    self.by_rule
                        .entry((problem.property.clone(), problem.rule))
                        .or_default()
                        .add(|| format!("line {}: {}", record.line, problem.message));
                }
            }
        }
        if refused {
            self.records += 1;
        } else if !changes.is_empty() {
            self.normalized.add(|| {
                let changes: Vec<String> = changes.iter().map(ToString::to_string).collect();
                format!("line {}: {}", record.line, changes.join("; "))
            });
        }
        !refused
    }
}

/// Reads every record and checks it. Malformed rows are listed; reading stops where a real
/// run's would (more than `--max-bad-rows`), and a fatal input error is returned.
pub fn dry_run(
    input: &str,
    records: impl Iterator<Item = Result<InputRecord, InputError>>,
    checks: &RecordChecks,
    schema: Option<&PropertySchema>,
    id_property: &str,
    plan: PlanArg,
    mut state: Option<&mut StatePreview>,
) -> Result<DryRunReport, InputError> {
    // Email ids are matched without regard to case by HubSpot.
    let fold_case = id_property.eq_ignore_ascii_case("email");
    let mut seen: HashMap<u64, (u64, u32)> = HashMap::new();
    let mut max_repeats = 0u64;
    let mut total = 0u64;
    let mut sendable = 0u64;
    let mut malformed_rows = Finding::default();
    let mut stopped = None;
    let mut missing_ids = Finding::default();
    let mut unknown_properties = Finding::default();
    let mut duplicate_ids = Finding::default();
    let mut odd_emails = Finding::default();
    let mut refused_values = ValueFindings::default();
    let mut unchanged = 0u64;

    for record in records {
        let record = match record.map_err(malformed_row) {
            Ok(record) => record,
            Err(Ok((row, refusal))) => {
                total += 1;
                malformed_rows.add(|| format!("line {}: {}", row.line, refusal.message));
                continue;
            }
            Err(Err(err)) if matches!(err.problem, InputProblem::TooManyBadRows { .. }) => {
                stopped = Some(err.to_string());
                break;
            }
            Err(Err(err)) => return Err(err),
        };
        total += 1;
        if let Err(refusal) = checks.check(&record) {
            let finding = if refusal.problem == RowProblem::MissingId {
                &mut missing_ids
            } else {
                &mut unknown_properties
            };
            finding.add(|| format!("line {}: {}", record.line, refusal.message));
            continue;
        }
        if let Some(schema) = schema
            && !refused_values.check(schema, &record)
        {
            continue;
        }
        if let Some(state) = state.as_deref_mut()
            && state.unchanged(&record)
        {
            unchanged += 1;
            continue;
        }
        sendable += 1;
        let Some(id) = record.id.as_deref() else {
            continue;
        };
        if fold_case && !looks_like_email(id) {
            odd_emails.add(|| format!("line {}: `{id}`", record.line));
        }
        let mut hasher = DefaultHasher::new();
        if fold_case {
            id.to_lowercase().hash(&mut hasher);
        } else {
            id.hash(&mut hasher);
        }
        match seen.entry(hasher.finish()) {
            Entry::Vacant(slot) => {
                slot.insert((record.line, 1));
                max_repeats = max_repeats.max(1);
            }
            Entry::Occupied(mut slot) => {
                let (first_line, count) = slot.get_mut();
                *count += 1;
                max_repeats = max_repeats.max(u64::from(*count));
                let first_line = *first_line;
                duplicate_ids
                    .add(|| format!("line {}: `{id}` repeats line {first_line}", record.line));
            }
        }
    }
    Ok(DryRunReport {
        input: input.to_string(),
        records: total,
        malformed_rows,
        stopped,
        missing_ids,
        unknown_properties,
        duplicate_ids,
        odd_emails,
        refused_values,
        state_exists: state.as_ref().is_some_and(|s| s.exists()),
        unchanged: state.map(|_| unchanged),
        cost: cost(sendable, max_repeats, plan),
        plan,
    })
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Dry run of {}: nothing was sent.", self.input)?;
        writeln!(f, "  records read:        {}", self.records)?;
        writeln!(f, "  records to send:     {}", self.cost.records)?;
        match self.unchanged {
            Some(n) if self.state_exists => {
                writeln!(
                    f,
                    "  unchanged (the state holds their values; not sent): {n}"
                )?;
            }
            Some(_) => writeln!(
                f,
                "  unchanged:           0 (the state file does not exist yet: every record is sent once)"
            )?,
            None => {}
        }
        write_finding(f, "malformed rows (not sent)", &self.malformed_rows)?;
        if let Some(stopped) = &self.stopped {
            writeln!(f, "  {stopped}")?;
        }
        write_finding(f, "missing id (not sent)", &self.missing_ids)?;
        write_finding(f, "unknown property (not sent)", &self.unknown_properties)?;
        let values = &self.refused_values;
        if values.records > 0 {
            writeln!(
                f,
                "  refused by the property schema (not sent): {} records",
                values.records
            )?;
            for ((property, rule), finding) in &values.by_rule {
                write_finding(f, &format!("  {rule} `{property}`"), finding)?;
            }
        }
        write_finding(
            f,
            "values normalized by the property schema (sent fixed)",
            &values.normalized,
        )?;
        let findings = [
            ("duplicate id (later wins)", &self.duplicate_ids),
            (
                "not an email address (HubSpot will likely refuse)",
                &self.odd_emails,
            ),
        ];
        for (label, finding) in findings {
            write_finding(f, label, finding)?;
        }
        writeln!(
            f,
            "  requests:            {} (up to {} records each)",
            self.cost.requests,
            self.plan.limits().inputs_per_request
        )?;
        let per_window = u64::from(self.plan.limits().requests_per_window);
        if self.cost.requests <= per_window {
            write!(
                f,
                "  time under quota:    none: the window of the {} plan ({per_window} requests per 10 s) takes them at once when nothing else uses the token; the run lasts as long as HubSpot takes to answer them, --concurrency at a time",
                self.plan.name(),
            )?;
        } else {
            write!(
                f,
                "  time under quota:    at least {} on the {} plan ({per_window} requests at once into an empty window, then {per_window} per 10 s less a little headroom), plus HubSpot's response time",
                HumanDuration(self.cost.quota_time),
                self.plan.name(),
            )?;
        }
        if let Some(limit) = self.cost.over_daily_limit {
            write!(
                f,
                "\n  warning: {} requests exceed the plan's {limit} per day; the run would stop when the quota is spent and resume the next day with --resume",
                self.cost.requests
            )?;
        }
        Ok(())
    }
}

/// A finding's count and examples, when it has any.
fn write_finding(f: &mut fmt::Formatter<'_>, label: &str, finding: &Finding) -> fmt::Result {
    if finding.count == 0 {
        return Ok(());
    }
    writeln!(f, "  {label}: {}", finding.count)?;
    for example in &finding.examples {
        writeln!(f, "      {example}")?;
    }
    if finding.count > finding.examples.len() as u64 {
        writeln!(f, "      ...")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::CsvRecords;

    fn run(csv: &'static str, known: Option<&[String]>) -> DryRunReport {
        let records = CsvRecords::new(csv.as_bytes(), "t.csv", "email", false).expect("header");
        dry_run(
            "t.csv",
            records,
            &RecordChecks::new("email", known),
            None,
            "email",
            PlanArg::Starter,
            None,
        )
        .expect("valid input")
    }

    #[test]
    fn counts_findings_and_cost() {
        let report = run(
            "email,name\na@x.io,A\n,NoId\nB@x.io,B\nb@x.io,B2\nnot-an-email,C\na@x.io,A3\n",
            None,
        );
        assert_eq!(report.records, 6);
        assert_eq!(report.cost.records, 5);
        assert_eq!(report.missing_ids.count, 1);
        assert_eq!(
            report.missing_ids.examples,
            vec!["line 3: no value for the id `email`"]
        );
        assert_eq!(report.duplicate_ids.count, 2);
        assert_eq!(
            report.duplicate_ids.examples,
            vec![
                "line 5: `b@x.io` repeats line 4",
                "line 7: `a@x.io` repeats line 2"
            ]
        );
        assert_eq!(report.odd_emails.count, 1);
        // Ids repeat twice, so at least two requests are needed for five records.
        assert_eq!(report.cost.requests, 2);
        assert!(!report.all_sendable());
    }

    #[test]
    fn unknown_properties_are_counted_when_names_are_known() {
        let known = vec!["name".to_string()];
        let report = run("email,name,shoe\na@x.io,A,42\n", Some(&known));
        assert_eq!(report.unknown_properties.count, 1);
        assert_eq!(report.cost.records, 0);
        let report = run("email,name,shoe\na@x.io,A,\n", Some(&known));
        assert!(
            report.all_sendable(),
            "an empty cell is not sent, so not checked"
        );
    }

    #[test]
    fn the_summary_names_plan_and_figures() {
        let report = run("email,name\na@x.io,A\n", None);
        let text = report.to_string();
        assert!(text.contains("records to send:     1"), "{text}");
        assert!(
            text.contains("requests:            1 (up to 100 records each)"),
            "{text}"
        );
        assert!(
            text.contains(
                "none: the window of the starter plan (100 requests per 10 s) takes them at once"
            ),
            "{text}"
        );
        assert!(report.all_sendable());
    }

    #[test]
    fn a_run_beyond_one_window_is_the_burst_then_the_windows_pace() {
        let mut report = run("email,name\na@x.io,A\n", None);
        // 101 requests on the starter plan: 100 at once, the last when the first leaves the
        // window, 10 s and the margin later.
        report.cost = cost(10_001, 1, PlanArg::Starter);
        let text = report.to_string();
        assert!(
            text.contains(
                "at least 10.2s on the starter plan (100 requests at once into an empty window, then 100 per 10 s less a little headroom)"
            ),
            "{text}"
        );
    }

    #[test]
    fn refused_values_are_listed_by_property_and_rule_with_lines() {
        let schema = PropertySchema::from_json(
            r#"{"results": [
                {"name": "email", "type": "string", "fieldType": "text"},
                {"name": "start", "type": "date", "fieldType": "date"},
                {"name": "stage", "type": "enumeration", "fieldType": "radio",
                 "options": [{"label": "Lead", "value": "lead"}]}
            ]}"#,
        )
        .expect("schema");
        let csv = "email,start,stage\na@x.io,2026-03-01,lead\nb@x.io,2026-02-30,Lead\nc@x.io,2026-03-01,Client\nd@x.io,1772359200000,Nope\ne@x.io, 2026-01-01 ,LEAD\n";
        let records = CsvRecords::new(csv.as_bytes(), "t.csv", "email", false).expect("header");
        let report = dry_run(
            "t.csv",
            records,
            &RecordChecks::new("email", None),
            Some(&schema),
            "email",
            PlanArg::Starter,
            None,
        )
        .expect("valid input");
        assert_eq!(report.records, 5);
        assert_eq!(report.cost.records, 2);
        assert_eq!(report.refused_values.records, 3);
        assert!(!report.all_sendable());
        let text = report.to_string();
        let expected = "  refused by the property schema (not sent): 3 records
    INVALID_OPTION `stage`: 2
      line 4: \"Client\" is not an option (by value or label); options: lead
      line 5: \"Nope\" is not an option (by value or label); options: lead
    INVALID_DATE `start`: 1
      line 3: \"2026-02-30\" is not a day of the calendar
    DATE_NOT_MIDNIGHT `start`: 1
      line 5: 1772359200000 is at 10:00:00.000 UTC, not midnight; a date property takes midnight UTC of its day
  values normalized by the property schema (sent fixed): 1
      line 6: `start`: surrounding whitespace trimmed; `stage`: option label \"LEAD\" sent as its value \"lead\"
";
        assert!(text.contains(expected), "{text}");
    }

    #[test]
    fn malformed_rows_are_listed_and_the_stop_is_where_a_run_would_stop() {
        let csv = "email,name\na@x.io,A\nb@x.io\nc@x.io,C,x\nd@x.io,D\ne@x.io\nf@x.io,F\n";
        let run_with_limit = |limit: u64| {
            let records = CsvRecords::new(csv.as_bytes(), "t.csv", "email", false).expect("header");
            dry_run(
                "t.csv",
                crate::input::BadRowLimit::new(records, limit),
                &RecordChecks::new("email", None),
                None,
                "email",
                PlanArg::Free,
                None,
            )
            .expect("no fatal error")
        };
        let report = run_with_limit(5);
        assert_eq!(report.records, 6);
        assert_eq!(report.cost.records, 3);
        assert_eq!(
            report.malformed_rows.examples,
            vec![
                "line 3: the row has 1 fields but the header has 2",
                "line 4: the row has 3 fields but the header has 2",
                "line 6: the row has 1 fields but the header has 2",
            ]
        );
        assert!(report.stopped.is_none());
        assert!(!report.all_sendable());
        assert!(
            report.to_string().contains(
                "  malformed rows (not sent): 3\n      line 3: the row has 1 fields but the header has 2\n"
            ),
            "{report}"
        );
        let report = run_with_limit(1);
        assert_eq!(report.records, 3, "one good and two malformed rows read");
        assert_eq!(report.malformed_rows.count, 2);
        let text = report.to_string();
        assert!(
            text.contains("  t.csv, line 4: reading stopped here, at malformed row 2 (--max-bad-rows 1); the rows after this line were not read\n"),
            "{text}"
        );
    }

    #[test]
    fn a_fatal_error_stops_the_dry_run() {
        let records = CsvRecords::new("email,name\na,A\n".as_bytes(), "t.csv", "email", false)
            .expect("header")
            .chain(std::iter::once(Err(InputError::new(
                "t.csv",
                Some(3),
                InputProblem::NoRecords,
            ))));
        let err = dry_run(
            "t.csv",
            records,
            &RecordChecks::new("email", None),
            None,
            "email",
            PlanArg::Free,
            None,
        )
        .expect_err("fatal");
        assert_eq!(err.line, Some(3));
    }
}
