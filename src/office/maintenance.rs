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
}

impl Office {
    /// Daily upkeep: deletes photos whose retention has passed, ended
    /// sessions and old throttle rows, and re-signs the revocation list
    /// when the stored one is out of date or older than
    /// [`crate::office::publish::REVOCATION_LIST_MAX_AGE`] (the files in the
    /// data directory are rewritten from the stored list either way).
    pub fn maintenance(&self) -> Result<Maintenance> {
        let photos_deleted = self.purge_photos()?;
        let sessions_purged = self.purge_sessions()?;
        let revocations = self.refresh_revocations()?;
        Ok(Maintenance {
            photos_deleted,
            sessions_purged,
            revocations,
        })
    }
}
