//! Daily upkeep of the office.

use crate::error::Result;
use crate::office::Office;
use crate::office::publish::PublishedList;

/// What [`Office::maintenance`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Photos deleted because their retention ended.
    pub photos_deleted: usize,
    /// Ended sessions and old throttle rows deleted.
    pub sessions_purged: usize,
    /// The re-signed revocation list.
    pub revocations: PublishedList,
    /// SQLite: the WAL was checkpointed and truncated; PostgreSQL: the
    /// tables with personal data were vacuumed.
    pub scrubbed: bool,
}

impl Office {
    /// Daily upkeep: deletes photos whose retention has passed, ended
    /// sessions and old throttle rows, and re-signs the revocation list
    /// when the stored one is out of date or older than
    /// [`crate::office::publish::REVOCATION_LIST_MAX_AGE`] (the files in the
    /// data directory are rewritten from the stored list either way).
    /// Then it scrubs: on SQLite a WAL checkpoint (`TRUNCATE`), on
    /// PostgreSQL a plain `VACUUM` of the tables with sealed personal data
    /// (docs/operations.md, "Erased data").
    pub fn maintenance(&self) -> Result<Maintenance> {
        let photos_deleted = self.purge_photos()?;
        let sessions_purged = self.purge_sessions()?;
        let revocations = self.refresh_revocations()?;
        let vacuumed = match self.db().vacuum_personal_tables() {
            Ok(()) => true,
            Err(e) => {
                eprintln!(
                    "warning: VACUUM of residents and cards failed: {}",
                    e.code()
                );
                false
            }
        };
        let scrubbed = self.db().checkpoint()? && vacuumed;
        Ok(Maintenance {
            photos_deleted,
            sessions_purged,
            revocations,
            scrubbed,
        })
    }

    /// After an erasure has committed: on SQLite, checkpoint and truncate
    /// the WAL, whose old frames still hold the erased record, photo and QR
    /// texts (`secure_delete` has overwritten them in the pages written
    /// now). The erasure itself has succeeded either way; when readers keep
    /// the checkpoint from completing, the next erasure or the daily
    /// maintenance completes it. PostgreSQL: nothing here (a `VACUUM` per
    /// erasure would cost a scan of the tables; the daily maintenance runs
    /// it).
    pub(crate) fn scrub_after_erasure(&self) {
        match self.db().checkpoint() {
            Ok(true) => {}
            Ok(false) => eprintln!(
                "warning: after an erasure the SQLite WAL could not be checkpointed yet \
                 (busy readers); the next erasure or maintenance run retries"
            ),
            Err(e) => eprintln!(
                "warning: after an erasure the SQLite WAL could not be checkpointed: {}",
                e.code()
            ),
        }
    }
}
