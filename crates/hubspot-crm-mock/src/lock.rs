//! Locking the server's shared state.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Lock a mutex, carrying on with the data if a panicking thread poisoned it: every update
/// of the server's shared state (counters, request log, rate-limit counts, store) is made in
/// one step under the lock, so the data stays consistent.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
