//! The live run: opens input, report and journal, connects, then drives the client's bulk run
//! while recording outcomes, showing progress and watching for Ctrl-C.

use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use std::sync::Arc;

use hubspot_crm::property_schema::PropertySchema;
use hubspot_crm::sync_state::{SqliteSyncState, SyncOptions};
use hubspot_crm::{
    ApiVersion, BulkRun, FailureCause, ObjectType, OutcomeKind, RecordOutcome, V2026_03, V2026_09,
};

use crate::checks::{RecordChecks, Refusal};
use crate::cli::{ApiVersionArg, RunArgs, Target};
use crate::connection::{self, Connection};
use crate::error::FatalError;
use crate::exit::Exit;
use crate::feed::{self, Feed, FeedEvent, Origin};
use crate::input::{self, InputError, InputRecord, InputSource, RecordReader};
use crate::journal::{Journal, JournalHeader, ResumeState};
use crate::plan::HumanDuration;
use crate::progress::{LOG_EVERY, ProgressDisplay};
use crate::recorder::{Ending, Recorder};
use crate::report::ReportWriter;

/// After Ctrl-C, how long requests in flight may take to finish before they are abandoned.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// Everything opened before connecting: input, report, journal.
struct Prepared {
    source: InputSource,
    object_type: ObjectType,
    reader: RecordReader,
    resume: ResumeState,
    recorder: Recorder,
    checks: RecordChecks,
    schema: Option<Arc<PropertySchema>>,
    /// The `--state` file, open and locked.
    state: Option<SqliteSyncState>,
    total: Option<u64>,
}

/// What the property schema did in the live run, for the summary.
#[derive(Debug, Default)]
struct ValueTally {
    /// Records the client refused before sending (`PROPERTY_CHECK`).
    refused: u64,
    /// Records sent with values normalized.
    normalized: u64,
}

/// Runs the upsert and returns how the process should exit.
pub fn run(args: &RunArgs, target: &Target) -> Result<Exit, FatalError> {
    let prepared = prepare(args, target)?;
    // One thread for the client and the recorder; the feed reads and parses on its own. At
    // HubSpot's ceiling the client needs a few percent of a core, and a second worker adds
    // CPU per record in wake-ups and cache misses across threads (BENCHMARKS.md, peers
    // scenario: the current-thread runtime).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Client(format!("cannot start the async runtime: {e}")))?;
    // The version is a type of the client and its outcomes: the run is the same code for each.
    match args.api_version {
        ApiVersionArg::V2026_09 => runtime.block_on(drive::<V2026_09>(args, target, prepared)),
        ApiVersionArg::V2026_03 => runtime.block_on(drive::<V2026_03>(args, target, prepared)),
    }
}

fn prepare(args: &RunArgs, target: &Target) -> Result<Prepared, FatalError> {
    let object_type: ObjectType = target
        .object_type
        .parse()
        .map_err(|e| FatalError::Usage(format!("--object-type `{}`: {e}", target.object_type)))?;
    let source = InputSource::from_arg(&target.input);
    let options = crate::read_options(args, target);
    // Opened before anything is written, read or sent: a state that cannot be used stops the
    // run here, leaving the report as it was.
    let state = match &args.state {
        Some(path) => Some(crate::state::open(
            path,
            &crate::state::scope(args, target, &object_type),
        )?),
        None => None,
    };
    let header = JournalHeader::new(
        &source.to_string(),
        object_type.as_str(),
        &target.id_property,
    );
    let (journal, resume) = match &args.resume {
        Some(path) => {
            let (journal, state) = Journal::open(path, &header)?;
            (Some(journal), state)
        }
        None => (None, ResumeState::default()),
    };
    let report = match (&args.report, journal.is_some(), resume.report_bytes) {
        (Some(path), true, Some(bytes)) => Some(ReportWriter::resume(path, bytes)?),
        (Some(path), _, _) => Some(ReportWriter::create(path)?),
        (None, _, _) => None,
    };
    let reader = input::open(&source, &options)?;
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let total = if show_bar || !args.quiet {
        reader
            .known_total()
            .or_else(|| input::count_records(&source, reader.format()))
    } else {
        None
    };
    let skipped = resume.done.count();
    if skipped > 0 {
        tracing::info!(
            skipped,
            "resuming: records the journal lists as done are skipped"
        );
    }
    Ok(Prepared {
        checks: RecordChecks::new(&options.id_column, args.properties.as_deref()),
        schema: crate::load_property_schema(args)?.map(Arc::new),
        state,
        source,
        object_type,
        reader,
        recorder: Recorder::new(report, journal, skipped),
        total: total.map(|t| t.saturating_sub(skipped)),
        resume,
    })
}

/// What ended the loop early, if anything.
#[derive(Debug, Default)]
struct Stops {
    input_error: Option<InputError>,
    interrupted: bool,
    abandoned: bool,
}

async fn drive<V: ApiVersion>(
    args: &RunArgs,
    target: &Target,
    prepared: Prepared,
) -> Result<Exit, FatalError> {
    let Prepared {
        source,
        object_type,
        reader,
        resume,
        mut recorder,
        checks,
        schema,
        state,
        total,
    } = prepared;
    let Connection { client, mock } = connection::connect::<V>(args).await?;
    let display = ProgressDisplay::new(
        args.quiet,
        std::io::stderr().is_terminal(),
        total,
        args.plan.into(),
    );
    let started = Instant::now();

    let Feed {
        mut inputs,
        mut events,
        in_flight,
        stopper: stop,
    } = feed::start(reader, resume.done, checks, target.id_property.clone());
    let input_stream = futures::stream::poll_fn(move |cx| inputs.poll_recv(cx));
    // With a property schema the client checks each record before batching it; with a state
    // it compares each with what HubSpot accepted before, and records what HubSpot accepts.
    let mut run: Option<BulkRun<V>> = Some(match (state, schema) {
        (Some(state), schema) => {
            let mut sync = SyncOptions::new(state, target.id_property.as_str()).full(args.full);
            if let Some(account) = &args.account {
                sync = sync.account(account.as_str());
            }
            if let Some(schema) = schema {
                sync = sync.property_schema(schema);
            }
            client.bulk_upsert_synced(object_type.clone(), sync, input_stream)?
        }
        (None, Some(schema)) => {
            client.bulk_upsert_with_schema(object_type.clone(), schema, input_stream)
        }
        (None, None) => client.bulk_upsert(object_type.clone(), input_stream),
    });
    let mut values = ValueTally::default();
    let progress = run.as_ref().map(BulkRun::progress);
    let cancel = run.as_ref().map(BulkRun::cancel_handle);

    let mut stops = Stops::default();
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    let mut grace: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + LOG_EVERY, LOG_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut events_open = true;

    // After Ctrl-C the reading thread may sit in a blocking read of stdin: once the client is
    // done, stop waiting for it and take what it already queued.
    while run.is_some() || (events_open && !stops.interrupted) {
        tokio::select! {
            outcome = next_outcome(&mut run) => match outcome {
                Some(outcome) => record_outcome(&mut recorder, &in_flight, &mut values, outcome)?,
                None => run = None,
            },
            event = events.recv(), if events_open => match event {
                Some(FeedEvent::Refused { record, refusal }) => {
                    record_refusal(&mut recorder, record, refusal)?;
                }
                Some(FeedEvent::Failed(err)) => {
                    // With a state, the run must not end as if the input were whole (the
                    // state would count the unread records as gone): cancel it, and the
                    // records read but not sent are sent again by the next run.
                    if args.state.is_some()
                        && let Some(cancel) = &cancel
                    {
                        cancel.cancel();
                    }
                    stop.stop();
                    stops.input_error = Some(err);
                }
                None => events_open = false,
            },
            _ = &mut interrupt, if !stops.abandoned => {
                if stops.interrupted {
                    display.note("Second Ctrl-C: abandoning requests in flight.");
                    stops.abandoned = true;
                    break;
                }
                stops.interrupted = true;
                stop.stop();
                if let Some(cancel) = &cancel {
                    cancel.cancel();
                }
                display.note(&format!(
                    "Ctrl-C: stopped reading; finishing requests in flight (at most {}s, Ctrl-C again to abandon them).",
                    INTERRUPT_GRACE.as_secs()
                ));
                grace = Some(Box::pin(tokio::time::sleep(INTERRUPT_GRACE)));
                interrupt = Box::pin(tokio::signal::ctrl_c());
            },
            _ = async { if let Some(g) = grace.as_mut() { g.await } }, if grace.is_some() => {
                display.note("Requests in flight did not finish in time: abandoning them.");
                stops.abandoned = true;
                break;
            },
            _ = ticker.tick(), if display.wants_log_lines() => display.log_line(&recorder.tally),
        }
        // Take every outcome already waiting, then commit once for the lot: about one commit
        // per finished batch.
        while let Some(Some(outcome)) = run.as_mut().and_then(|r| r.next().now_or_never()) {
            record_outcome(&mut recorder, &in_flight, &mut values, outcome)?;
        }
        if let Some(progress) = &progress {
            let p = progress.borrow();
            recorder.tally.pacer_wait = p.pacer_wait;
            recorder.tally.requests = p.requests;
        }
        display.update(&recorder.tally);
        recorder.commit()?;
        if stops.interrupted && in_flight.is_empty() {
            // Nothing sent is waiting for an answer: no reason to wait for the client.
            break;
        }
    }
    let not_in_input = progress.as_ref().map_or(0, |p| p.borrow().not_in_input);
    // Dropping the run stops the client; records it never answered for are not done.
    drop(run);
    stop.stop();
    while let Ok(event) = events.try_recv() {
        match event {
            FeedEvent::Refused { record, refusal } => {
                record_refusal(&mut recorder, record, refusal)?;
            }
            FeedEvent::Failed(err) => stops.input_error = Some(err),
        }
    }
    for origin in in_flight.drain() {
        recorder.record(Ending::abandoned(origin))?;
    }
    recorder.commit()?;
    display.finish();
    if let Some(mock) = mock {
        mock.shutdown().await;
    }

    print_summary(
        args,
        target,
        &source,
        &recorder,
        &values,
        not_in_input,
        started.elapsed(),
    )?;
    if let Some(err) = stops.input_error {
        return Err(err.into());
    }
    if let Some(cause) = recorder.run_refused.take() {
        let hint = if args.resume.is_some() {
            " Rerun with the same --resume once fixed; finished records will be skipped."
        } else if args.state.is_some() {
            " Rerun with the same --state once fixed; records HubSpot accepted will be skipped."
        } else {
            ""
        };
        return Err(FatalError::Client(format!(
            "the run stopped: {}.{hint}",
            cause.trim_end_matches('.')
        )));
    }
    Ok(if stops.interrupted || stops.abandoned {
        Exit::Interrupted
    } else if recorder.tally.failed > 0 {
        Exit::SomeFailed
    } else {
        Exit::Success
    })
}

/// The next outcome, or `None` when the run has ended; pending forever once it has.
async fn next_outcome<V: ApiVersion>(run: &mut Option<BulkRun<V>>) -> Option<RecordOutcome<V>> {
    match run.as_mut() {
        Some(r) => r.next().await,
        None => std::future::pending().await,
    }
}

fn record_refusal(
    recorder: &mut Recorder,
    record: InputRecord,
    refusal: Refusal,
) -> Result<(), FatalError> {
    let origin = Origin {
        index: record.index,
        line: record.line,
        id: String::new(),
    };
    recorder.record(Ending::refused(origin, record.id, refusal))
}

fn record_outcome<V: ApiVersion>(
    recorder: &mut Recorder,
    in_flight: &feed::InFlight,
    values: &mut ValueTally,
    outcome: RecordOutcome<V>,
) -> Result<(), FatalError> {
    match &outcome.kind {
        OutcomeKind::Failed {
            cause: FailureCause::PropertyCheck,
            ..
        } => values.refused += 1,
        kind if kind.is_success() && !outcome.normalized.is_empty() => values.normalized += 1,
        _ => {}
    }
    let origin = in_flight.take(outcome.position).unwrap_or_else(|| {
        // The client reported a position it was never given: keep the outcome, unplaced.
        tracing::warn!(
            position = outcome.position,
            "outcome for an unknown input position"
        );
        Origin {
            index: u64::MAX,
            line: 0,
            id: outcome.id.clone(),
        }
    });
    recorder.record(Ending::from_client(origin, outcome))
}

fn print_summary(
    args: &RunArgs,
    target: &Target,
    source: &InputSource,
    recorder: &Recorder,
    values: &ValueTally,
    not_in_input: u64,
    elapsed: Duration,
) -> Result<(), FatalError> {
    let mut out = std::io::stdout().lock();
    let tally = &recorder.tally;
    let target_name = if args.mock {
        format!("{} (embedded mock)", target.object_type)
    } else {
        target.object_type.clone()
    };
    writeln!(
        out,
        "{source} -> {target_name} by {}: {} records in {}: {tally}",
        target.id_property,
        tally.done + tally.not_attempted,
        HumanDuration(elapsed)
    )
    .map_err(FatalError::Stdout)?;
    if args.property_schema.is_some() {
        writeln!(
            out,
            "Property schema: {} records refused before sending (no request spent), {} sent with values normalized (option labels as values, whitespace trimmed).",
            values.refused, values.normalized
        )
        .map_err(FatalError::Stdout)?;
    }
    if let Some(path) = &args.state {
        writeln!(
            out,
            "State {}: {} unchanged (not sent); {not_in_input} in the state, not in this input{}",
            path.display(),
            tally.unchanged,
            if not_in_input > 0 {
                format!(
                    " (list them: hubspot-upsert gone --state {})",
                    path.display()
                )
            } else {
                String::new()
            }
        )
        .map_err(FatalError::Stdout)?;
    }
    if !recorder.failures.is_empty() {
        writeln!(out, "First failures:").map_err(FatalError::Stdout)?;
        for failure in &recorder.failures {
            writeln!(out, "  {failure}").map_err(FatalError::Stdout)?;
        }
    }
    match &args.report {
        Some(path) => writeln!(out, "Report: {}", path.display()),
        None if tally.failed > 0 => writeln!(
            out,
            "Rerun with --report FILE for one line per record, failures included."
        ),
        None => Ok(()),
    }
    .map_err(FatalError::Stdout)?;
    Ok(())
}
