//! The parent side of a mock server run in its own process (this binary's `serve-mock`).
//!
//! Running the mock in another process keeps its CPU time out of the client's `getrusage`
//! figures, and its one-thread runtime keeps it on one core at a time ([`MockSetup::cpu`]
//! also says which). The child prints `ready <url>`,
//! answers each `stats` line on its stdin with one JSON line, and exits when stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};

/// How the mock process is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct MockSetup {
    /// Added to every upsert response.
    pub latency: Duration,
    /// Rolling window `(max requests, window)`; `None` for no limit.
    pub rate_limit: Option<(u32, Duration)>,
    /// The CPU the mock process pins itself to; `None` to leave it where the kernel likes.
    pub cpu: Option<usize>,
}

impl MockSetup {
    /// Command-line arguments for `serve-mock`.
    pub fn to_args(self) -> Vec<String> {
        let mut args = vec![
            "serve-mock".to_owned(),
            "--latency-ms".to_owned(),
            self.latency.as_millis().to_string(),
        ];
        if let Some((max, window)) = self.rate_limit {
            args.push("--rate-limit".to_owned());
            args.push(format!("{max}/{}", window.as_millis()));
        }
        if let Some(cpu) = self.cpu {
            args.push("--cpu".to_owned());
            args.push(cpu.to_string());
        }
        args
    }
}

/// What the mock process reports about itself.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct MockStats {
    /// CPU time of the mock process so far, in microseconds.
    pub cpu_us: u64,
    /// Upsert requests received.
    pub requests: u64,
    /// Requests answered 200 or 207.
    pub ok_requests: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
}

impl MockStats {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &MockStats) -> MockStats {
        MockStats {
            cpu_us: self.cpu_us.saturating_sub(earlier.cpu_us),
            requests: self.requests.saturating_sub(earlier.requests),
            ok_requests: self.ok_requests.saturating_sub(earlier.ok_requests),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            created: self.created.saturating_sub(earlier.created),
            updated: self.updated.saturating_sub(earlier.updated),
        }
    }

    /// Records written (created or updated).
    pub fn written(&self) -> u64 {
        self.created + self.updated
    }
}

/// A running mock process; killed when dropped.
pub struct MockProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    base_url: String,
}

impl MockProcess {
    /// Starts `exe serve-mock ...` and waits for its `ready` line.
    pub fn spawn(exe: &Path, setup: MockSetup) -> anyhow::Result<MockProcess> {
        let mut child = Command::new(exe)
            .args(setup.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting the mock process {}", exe.display()))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("mock stdin missing"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("mock stdout missing"))?;
        let mut process = MockProcess {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            base_url: String::new(),
        };
        let line = process.read_line()?;
        match line.strip_prefix("ready ") {
            Some(url) => process.base_url = url.trim().to_owned(),
            None => bail!("mock process said {line:?} instead of `ready <url>`"),
        }
        Ok(process)
    }

    /// The mock's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The batch upsert URL for `object_type`.
    pub fn upsert_url(&self, object_type: &str) -> String {
        upsert_url(&self.base_url, object_type)
    }

    /// Asks the mock for its CPU time and counters.
    pub fn stats(&mut self) -> anyhow::Result<MockStats> {
        writeln!(self.stdin, "stats").context("writing to the mock process")?;
        self.stdin.flush().context("writing to the mock process")?;
        let line = self.read_line()?;
        serde_json::from_str(&line).with_context(|| format!("mock stats line {line:?}"))
    }

    fn read_line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .context("reading from the mock process")?;
        if n == 0 {
            bail!("the mock process exited");
        }
        Ok(line)
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The batch upsert URL for `object_type` of the mock at `base_url` (no trailing `/`).
pub fn upsert_url(base_url: &str, object_type: &str) -> String {
    format!("{base_url}/crm/objects/2026-03/{object_type}/batch/upsert")
}
