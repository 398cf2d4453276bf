//! Resource usage from the kernel: this process's CPU time, and a child's peak RSS.

use std::io;
use std::process::{Child, Command};
use std::time::Duration;

/// CPU time (user + system) spent so far by every thread of this process.
pub fn process_cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return Duration::ZERO;
    }
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// How a child process ended, with the resources it used.
#[derive(Debug, Clone, Copy)]
pub struct ChildUsage {
    /// Exit code, or `None` when a signal ended it.
    pub exit_code: Option<i32>,
    /// Peak resident set size of the child, in bytes.
    pub peak_rss_bytes: u64,
    /// CPU time (user + system) the child used.
    pub cpu_time: Duration,
}

/// Waits for `child` with `wait4`, which reports that child's own peak RSS (unlike
/// `RUSAGE_CHILDREN`, which would mix in the mock processes this harness also starts).
///
/// The child is reaped here, so do not call [`Child::wait`] on it afterwards.
pub fn wait_with_usage(child: &Child) -> io::Result<ChildUsage> {
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| io::Error::other("child pid does not fit pid_t"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: `wait4` writes only into the status and the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let exit_code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    // Linux reports ru_maxrss in KiB.
    let peak_rss_bytes = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok(ChildUsage {
        exit_code,
        peak_rss_bytes,
        cpu_time: timeval(usage.ru_utime) + timeval(usage.ru_stime),
    })
}

/// `hubspot-bench measure-rss OUT_FILE PROGRAM [ARGS...]`: runs the program with this
/// process's stdio and environment, then writes `exit_code peak_rss_bytes cpu_us` to OUT_FILE
/// (exit code -1 when a signal ended it).
///
/// Why a helper process: Linux's `ru_maxrss` of a child counts the memory of the process that
/// forked it, up to the `exec`. Spawned straight from the harness, which holds tens of MiB of
/// prepared records by then, the CLI would inherit the harness's peak. This helper is a few
/// MiB, far below anything the CLI reaches.
pub fn measure_main(args: &[String]) -> anyhow::Result<()> {
    let [out, program, rest @ ..] = args else {
        anyhow::bail!("usage: hubspot-bench measure-rss OUT_FILE PROGRAM [ARGS...]");
    };
    let child = Command::new(program)
        .args(rest)
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {program}: {e}"))?;
    let usage = wait_with_usage(&child)?;
    std::fs::write(
        out,
        format!(
            "{} {} {}\n",
            usage.exit_code.unwrap_or(-1),
            usage.peak_rss_bytes,
            usage.cpu_time.as_micros()
        ),
    )?;
    Ok(())
}

/// Reads what [`measure_main`] wrote.
pub fn read_measurement(text: &str) -> Option<ChildUsage> {
    let mut parts = text.split_whitespace();
    let exit: i32 = parts.next()?.parse().ok()?;
    let peak_rss_bytes = parts.next()?.parse().ok()?;
    let cpu_us: u64 = parts.next()?.parse().ok()?;
    Some(ChildUsage {
        exit_code: (exit >= 0).then_some(exit),
        peak_rss_bytes,
        cpu_time: Duration::from_micros(cpu_us),
    })
}
