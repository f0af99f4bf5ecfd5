//! The last check of the whole audit chain in this process, so that the
//! audit page checks only the entries written since (issue 12: a view
//! must not cost the whole log).
//!
//! What a view then proves: the entries up to the remembered one were
//! intact when they were checked, and that entry is still there with the
//! same hash, which the entries after it chain to. An entry before it that
//! was altered after it was checked is found by the next check of the
//! whole chain: the page's button, `citycard audit verify`, or a
//! checkpoint checked. The page says when the last one ran.

use super::ChainReport;
use std::sync::Mutex;
use time::PrimitiveDateTime;

/// Where the chain was last found intact, and when the whole of it was
/// last checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeCheck {
    /// The last entry found intact: its sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: Vec<u8>,
    /// How many entries up to it.
    pub entries: u64,
    /// When the whole chain was last checked (UTC).
    pub at: PrimitiveDateTime,
}

/// The office's memory of [`WholeCheck`].
#[derive(Debug, Default)]
pub(crate) struct LastCheck {
    last: Mutex<Option<WholeCheck>>,
}

impl LastCheck {
    /// The last check, if the chain was checked whole in this process.
    pub(crate) fn get(&self) -> Option<WholeCheck> {
        self.lock().clone()
    }

    /// After a check of the whole chain at `at`: remembered if intact,
    /// forgotten if broken.
    pub(crate) fn whole_checked(&self, report: &ChainReport, at: PrimitiveDateTime) {
        *self.lock() = Self::intact(report, at);
    }

    /// After a check of the entries since the last whole check: the
    /// remembered end moves on, the time of the whole check stays; a
    /// broken report forgets it.
    pub(crate) fn checked_since(&self, report: &ChainReport) {
        let mut last = self.lock();
        *last = last
            .as_ref()
            .and_then(|before| Self::intact(report, before.at));
    }

    fn intact(report: &ChainReport, at: PrimitiveDateTime) -> Option<WholeCheck> {
        if report.first_broken.is_some() {
            return None;
        }
        let (seq, hash) = report.last.clone()?;
        Some(WholeCheck {
            seq,
            hash,
            entries: report.entries,
            at,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<WholeCheck>> {
        // A plain value: a panic cannot leave it half-written.
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
