//! `citycard maintenance …`: the daily upkeep (photos, sessions, the
//! deletion schedule, the revocation list) run by hand or from cron, and
//! what the deletion schedule will erase soon. The server runs the same
//! upkeep at start and daily.

use super::admin::ConfigArgs;
use anyhow::Result;
use citycard::office::actor::Actor;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Run the daily upkeep now: delete photos and sessions whose time has
    /// come, erase residents the deletion schedule says are due
    /// (docs/privacy.md), revoke the cards not collected within
    /// `pickup.collect_within_days`, re-sign the revocation list when due.
    Run(MaintenanceArgs),
    /// Count the residents the deletion schedule erases within 30 days.
    Due(MaintenanceArgs),
}

#[derive(Debug, Args)]
pub struct MaintenanceArgs {
    #[command(flatten)]
    config: ConfigArgs,
}

impl MaintenanceCommand {
    pub fn run(self) -> Result<()> {
        match self {
            MaintenanceCommand::Run(a) => {
                let office = a.config.office()?;
                let m = office.maintenance()?;
                outln!(
                    "photos deleted: {}\nsession rows purged: {}\n\
                     residents erased (last card ended): {}\n\
                     residents erased (never printed): {}\n\
                     cards not collected, revoked: {}\n\
                     revocation list: {} ({} numbers, next update {})",
                    m.photos_deleted,
                    m.sessions_purged,
                    m.erased.cards_ended,
                    m.erased.never_printed,
                    m.not_collected,
                    if m.revocations.signed {
                        "re-signed"
                    } else {
                        "current"
                    },
                    m.revocations.revoked,
                    m.revocations.next_update
                )?;
            }
            MaintenanceCommand::Due(a) => {
                let office = a.config.office()?;
                let due = office.deletion_due(&Actor::command_line(office.office_name()))?;
                outln!(
                    "due for erasure within 30 days: {} (last card ended), {} (never printed)",
                    due.cards_ended,
                    due.never_printed
                )?;
            }
        }
        Ok(())
    }
}
