//! What the dashboard shows besides its tiles: counts only, each one SQL
//! `COUNT` over a partial index (src/db/counts.rs), nothing decrypted.

use crate::error::Result;
use crate::office::Office;
use crate::office::actor::{Actor, Permission};

impl Office {
    /// How many cards wait in the print queue (all of them, not only the
    /// first page): a count, not audited (it names nobody).
    pub fn print_queue_count(&self, actor: &Actor) -> Result<u64> {
        actor.require(Permission::PrintCards)?;
        let n = self.db().read(crate::db::counts::print_queue)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
