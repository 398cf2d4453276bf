//! Scenario 6, regeneration: wall time of `cargo xtask generate` on a warm build (one
//! untimed run first builds xtask if needed and warms the page cache).

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;

use super::Ctx;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "regeneration";

/// Runs the scenario (skipped when the mode asks for no repetitions).
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let reps = ctx.params.regen_reps;
    if reps == 0 {
        ctx.report
            .note("regeneration: skipped in this mode (it measures cargo, not the harness)");
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    ctx.report.setup(
        SCENARIO,
        format!(
            "`cargo xtask generate` in {}, after one untimed warm-up run; includes cargo's \
             freshness check of the xtask binary; {reps} repetitions",
            ctx.workspace.display()
        ),
    );
    let mut seconds = Vec::new();
    for rep in 0..=reps {
        let start = Instant::now();
        let output = Command::new(&cargo)
            .args(["xtask", "generate"])
            .current_dir(&ctx.workspace)
            .stdin(Stdio::null())
            .output()
            .context("running cargo xtask generate")?;
        let elapsed = start.elapsed().as_secs_f64();
        let ok = output.status.success();
        ctx.report.check(
            SCENARIO,
            "cargo xtask generate succeeded",
            ok,
            format!(
                "run {rep}: {}; {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
        );
        if rep > 0 {
            seconds.push(elapsed);
        }
    }
    ctx.report.figure(Figure::new(
        SCENARIO,
        "`cargo xtask generate` wall time, warm",
        "s",
        seconds,
        Target::None,
    ));
    Ok(())
}
