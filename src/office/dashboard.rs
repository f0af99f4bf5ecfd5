//! What the dashboard shows besides its tiles: counts only, each one SQL
//! `COUNT` over a partial index (src/db/counts.rs), nothing decrypted.

use crate::error::Result;
use crate::office::Office;
use crate::office::actor::{Actor, Permission};

impl Office {
    /// How many cards wait in the actor's print queue (all of them, not
    /// only the first page): a count, not audited (it names nobody). For
    /// city-wide print staff a SQL `COUNT`; for a site's user the queued
    /// cards whose sealed route names the site (the site is sealed: this
    /// reads the queued cards' keys and opens only the routes not opened
    /// before; it costs the queue, never the city's cards).
    pub fn print_queue_count(&self, actor: &Actor) -> Result<u64> {
        actor.require(Permission::PrintCards)?;
        let n = match actor.site {
            None => self.db().read(crate::db::counts::print_queue)?,
            Some(_) => self.db().read(|c| {
                let queued =
                    self.on_the_way(c, actor, &[crate::office::cards::PickupStep::Queued])?;
                Ok(i64::try_from(queued.len()).unwrap_or(i64::MAX))
            })?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
