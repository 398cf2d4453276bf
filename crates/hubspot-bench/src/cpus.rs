//! The core split of the throughput scenarios: the mock process on one CPU, the harness (the
//! client and the raw loop alike) on the others, set with `sched_setaffinity`.
//!
//! Without it the kernel places the mock's one thread and the harness's runtime threads as it
//! likes, and whenever a harness thread lands on the mock's core the mock slows and the
//! figure measures the scheduler. With fewer than two CPUs nothing is pinned and the set-up
//! line says so.

use std::io;

/// Which CPUs the mock and the harness use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSplit {
    /// The one CPU the mock process is pinned to.
    pub mock: usize,
    /// The CPUs the harness process is pinned to while a pinned scenario runs.
    pub harness: Vec<usize>,
}

impl CpuSplit {
    /// Plans the split from the CPUs this process may run on: the mock on the last one, the
    /// harness on the rest; `None` with fewer than two.
    pub fn plan(allowed: &[usize]) -> Option<CpuSplit> {
        let (&mock, harness) = allowed.split_last()?;
        if harness.is_empty() {
            return None;
        }
        Some(CpuSplit {
            mock,
            harness: harness.to_vec(),
        })
    }
}

/// Says what a scenario's pinning is, for its set-up line.
pub fn describe(split: Option<&CpuSplit>, allowed: &[usize]) -> String {
    match split {
        Some(split) => format!(
            "mock process pinned to CPU {}, harness process (client and raw loop alike, {} tokio \
             worker thread{}) pinned to CPU {}",
            split.mock,
            split.harness.len(),
            if split.harness.len() == 1 { "" } else { "s" },
            join(&split.harness)
        ),
        None => format!(
            "nothing pinned: only {} CPU available, the mock and the harness share it",
            allowed.len()
        ),
    }
}

fn join(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The CPUs the calling thread may run on (its affinity mask).
pub fn allowed() -> io::Result<Vec<usize>> {
    // SAFETY: `sched_getaffinity` writes at most `size_of::<cpu_set_t>()` bytes into the
    // zeroed set we own; CPU_ISSET only reads it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    Ok((0..max)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Restricts the calling thread to `cpus`. Threads it starts afterwards (a tokio runtime's
/// workers, a child process) inherit the mask; threads that already exist keep theirs.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    // SAFETY: CPU_ZERO/CPU_SET write into the set we own (CPU_SET ignores CPUs past its
    // size); `sched_setaffinity` only reads it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_ZERO(&mut set) };
    for &cpu in cpus {
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cpus_split_one_each() {
        let split = CpuSplit::plan(&[0, 1]);
        assert_eq!(
            split,
            Some(CpuSplit {
                mock: 1,
                harness: vec![0]
            })
        );
        let text = describe(split.as_ref(), &[0, 1]);
        assert!(text.contains("mock process pinned to CPU 1"), "{text}");
        assert!(text.contains("1 tokio worker thread)"), "{text}");
    }

    #[test]
    fn one_cpu_pins_nothing() {
        assert_eq!(CpuSplit::plan(&[3]), None);
        assert_eq!(CpuSplit::plan(&[]), None);
        assert!(describe(None, &[3]).starts_with("nothing pinned: only 1 CPU"));
    }

    #[test]
    fn the_mask_reads_back() {
        let allowed = allowed().expect("sched_getaffinity");
        assert!(!allowed.is_empty());
        // Pinning a fresh thread to what it already has changes nothing for the others.
        let first = allowed[0];
        std::thread::spawn(move || {
            pin_current_thread(&[first]).expect("sched_setaffinity");
            assert_eq!(super::allowed().expect("sched_getaffinity"), vec![first]);
        })
        .join()
        .expect("thread");
    }
}
