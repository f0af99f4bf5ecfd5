//! The *epoch* of the writing transaction that work runs in: a number,
//! unique in the process, that changes whenever what the transaction wrote
//! so far may have been undone. It is new at each `BEGIN` and after each
//! rollback (of the whole transaction or of one piece of work's
//! savepoint).
//!
//! What a piece of work learned in its transaction and remembered under
//! the epoch ([`Remembered`]) is believed by later work of the same
//! transaction, and forgotten as soon as the epoch changes. So work
//! handed over in a batch reads the audit head, and checks the keys, once
//! per transaction instead of once each (docs/performance.md, "Issuance").
//! Outside a writing transaction there is no epoch, and nothing is
//! remembered.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The epoch of the work running on this thread (0: none).
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// A new epoch.
pub(in crate::db) fn fresh() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `f` (a piece of work) in `epoch` (0: outside any writing
/// transaction, as a read is even when a write's work starts it).
pub(in crate::db) fn within<T>(epoch: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(epoch)));
    f()
}

/// The epoch of the writing transaction this thread's work runs in.
fn current() -> Option<u64> {
    Some(CURRENT.with(Cell::get)).filter(|&e| e != 0)
}

/// A value learned inside a writing transaction, believed only by work of
/// the same epoch.
pub(crate) struct Remembered<T> {
    slot: Mutex<Option<(u64, T)>>,
}

impl<T: Clone> Remembered<T> {
    /// Nothing remembered.
    pub(crate) const fn new() -> Self {
        Remembered {
            slot: Mutex::new(None),
        }
    }

    /// The value remembered in the current epoch, if any.
    pub(crate) fn get(&self) -> Option<T> {
        let now = current()?;
        match &*self.slot.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((epoch, value)) if *epoch == now => Some(value.clone()),
            _ => None,
        }
    }

    /// Remembers `value` for the current epoch (nothing outside a writing
    /// transaction).
    pub(crate) fn set(&self, value: T) {
        if let Some(now) = current() {
            *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((now, value));
        }
    }
}
