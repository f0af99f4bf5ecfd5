//! Daily upkeep of the office, and the deletion schedule (Löschkonzept,
//! `docs/privacy.md`) that it runs.

use crate::config::Retention;
use crate::db::cards::{from_i64, of_resident as resident_cards};
use crate::db::residents::{DueBecause, RetentionCutoffs, due_for_erasure};
use crate::error::Result;
use crate::office::Office;
use crate::office::actor::{Actor, Permission, Role};
use crate::office::publish::PublishedList;
use time::{Duration, PrimitiveDateTime};

/// Residents erased per batch of the deletion schedule. Each erasure is its
/// own short transaction, so issuing never waits for more than one.
pub const RETENTION_BATCH: i64 = 100;

/// Batches per maintenance run at most (the rest follows the next day).
pub const RETENTION_MAX_BATCHES: usize = 100;

/// The reason code of a scheduled erasure in the audit log.
pub const RETENTION_EXPIRED: &str = "retention_expired";

/// The days ahead the dashboard counts what falls due.
pub const DUE_WITHIN_DAYS: i64 = 30;

/// What [`Office::maintenance`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Photos deleted because their retention ended.
    pub photos_deleted: usize,
    /// Ended sessions and old throttle rows deleted.
    pub sessions_purged: usize,
    /// Residents erased by the deletion schedule.
    pub erased: ScheduledErasures,
    /// Cards not collected in time, revoked ([`Office::expire_uncollected`]).
    pub not_collected: usize,
    /// The re-signed revocation list.
    pub revocations: PublishedList,
    /// SQLite: the WAL was checkpointed and truncated; PostgreSQL: the
    /// tables with personal data were vacuumed.
    pub scrubbed: bool,
}

/// Residents erased (or due) by the deletion schedule, by rule: counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduledErasures {
    /// Their last card expired or was revoked `retention.resident_months` ago.
    pub cards_ended: usize,
    /// No card of theirs was printed within `retention.unprinted_days`.
    pub never_printed: usize,
}

/// The deletion schedule's cut-offs at `at`. A resident is kept at least
/// until the renewal window of their last card has closed, whatever
/// `retention.resident_months` says (the setting's range makes that so for
/// the default window; this makes it so for any).
pub fn retention_cutoffs(
    retention: &Retention,
    renewal_days_after: u16,
    at: PrimitiveDateTime,
) -> RetentionCutoffs {
    let months_ago = months_before(at, retention.resident_months);
    let window_closed = at - Duration::days(i64::from(renewal_days_after) + 1);
    let ended = months_ago.min(window_closed);
    RetentionCutoffs {
        ended_before: ended.date(),
        revoked_before: ended,
        unprinted_before: at - Duration::days(i64::from(retention.unprinted_days)),
    }
}

/// The same time `months` calendar months earlier (the 31st becomes the
/// month's last day).
fn months_before(at: PrimitiveDateTime, months: u16) -> PrimitiveDateTime {
    let total = at.year() * 12 + i32::from(u8::from(at.month())) - 1 - i32::from(months);
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = u8::try_from(month0 + 1)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .unwrap_or(time::Month::January);
    let day = at.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day)
        .map(|d| PrimitiveDateTime::new(d, at.time()))
        .unwrap_or(PrimitiveDateTime::MIN)
}

/// Who sees the deletion schedule's counts: supervisors (who erase),
/// auditors and admins (who answer for the schedule). Counts only.
pub fn may_see_deletion_due(role: Role) -> bool {
    role.allows(Permission::EraseResidents)
        || role.allows(Permission::ReadAudit)
        || role.allows(Permission::ManageUsers)
}

impl Office {
    /// Daily upkeep: deletes photos whose retention has passed, ended
    /// sessions and old throttle rows, runs the deletion schedule
    /// ([`Office::run_deletion_schedule`]), revokes the cards not collected
    /// in time ([`Office::expire_uncollected`]), and re-signs the revocation list
    /// when the stored one is out of date or older than
    /// [`crate::office::publish::REVOCATION_LIST_MAX_AGE`] (the files in the
    /// data directory are rewritten from the stored list either way).
    /// Then it scrubs: on SQLite a WAL checkpoint (`TRUNCATE`), on
    /// PostgreSQL a plain `VACUUM` of the tables with sealed personal data
    /// (docs/operations.md, "Erased data").
    pub fn maintenance(&self) -> Result<Maintenance> {
        let photos_deleted = self.purge_photos()?;
        let sessions_purged = self.purge_sessions()?;
        let erased = self.run_deletion_schedule()?;
        let not_collected = self.expire_uncollected()?;
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
            erased,
            not_collected,
            revocations,
            scrubbed,
        })
    }

    /// The deletion schedule: erases, with [`Office::erase`]'s own
    /// erasure, every resident whose last card expired or was revoked
    /// `retention.resident_months` ago (and whose renewal window has
    /// closed), and every enrolment whose card was never printed within
    /// `retention.unprinted_days`. In batches of [`RETENTION_BATCH`], each
    /// erasure its own transaction that checks again that the resident is
    /// still due (a renewal may have come in between). Each is audited as
    /// `resident_erased` by `deletion-schedule` with
    /// `reason=retention_expired` and the rule; no personal data.
    pub fn run_deletion_schedule(&self) -> Result<ScheduledErasures> {
        let actor = Actor::deletion_schedule(self.office_name());
        let mut done = ScheduledErasures::default();
        for why in [DueBecause::CardsEnded, DueBecause::NeverPrinted] {
            for _ in 0..RETENTION_MAX_BATCHES {
                let cut = self.retention_cutoffs_at(self.now());
                let batch = self
                    .db()
                    .read(|c| due_for_erasure(c, why, cut, None, RETENTION_BATCH))?;
                let mut erased = 0;
                for rid in &batch {
                    if self.erase_if_due(&actor, *rid, why, cut)? {
                        erased += 1;
                    }
                }
                match why {
                    DueBecause::CardsEnded => done.cards_ended += erased,
                    DueBecause::NeverPrinted => done.never_printed += erased,
                }
                if batch.len() < usize::try_from(RETENTION_BATCH).unwrap_or(usize::MAX)
                    || erased == 0
                {
                    break;
                }
            }
        }
        if done.cards_ended + done.never_printed > 0 {
            // SQLite: the erased pages leave the write-ahead log now.
            self.scrub_after_erasure();
        }
        Ok(done)
    }

    /// Erases one resident in its own transaction if still due.
    fn erase_if_due(
        &self,
        actor: &Actor,
        rid: i64,
        why: DueBecause,
        cut: RetentionCutoffs,
    ) -> Result<bool> {
        self.db().write(|c| {
            if due_for_erasure(c, why, cut, Some(rid), 1)?.is_empty() {
                return Ok(false);
            }
            let Some(newest) = resident_cards(c, rid)?.into_iter().next() else {
                return Ok(false);
            };
            let rule = match why {
                DueBecause::CardsEnded => "cards_ended",
                DueBecause::NeverPrinted => "never_printed",
            };
            self.erase_in(
                c,
                actor,
                rid,
                from_i64(newest.card_number)?,
                &format!("reason={RETENTION_EXPIRED} rule={rule}"),
            )?;
            Ok(true)
        })
    }

    /// What the deletion schedule will have erased [`DUE_WITHIN_DAYS`]
    /// days from now (those due already included): counts only, for the
    /// dashboard (supervisors).
    pub fn deletion_due(&self, actor: &Actor) -> Result<ScheduledErasures> {
        if !may_see_deletion_due(actor.role) {
            // The error names the permission closest to it.
            actor.require(Permission::EraseResidents)?;
        }
        let cut = self.retention_cutoffs_at(self.now() + Duration::days(DUE_WITHIN_DAYS));
        // Exact SQL counts over partial indexes (src/db/counts.rs): no cap,
        // and a cost that grows with what falls due, not with the city.
        let count = |c: &mut crate::db::DbConnection, why| -> Result<usize> {
            let n = crate::db::counts::due_for_erasure(c, why, cut)?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        self.db().read(|c| {
            Ok(ScheduledErasures {
                cards_ended: count(c, DueBecause::CardsEnded)?,
                never_printed: count(c, DueBecause::NeverPrinted)?,
            })
        })
    }

    fn retention_cutoffs_at(&self, at: PrimitiveDateTime) -> RetentionCutoffs {
        let c = self.config();
        retention_cutoffs(&c.retention, c.renewal.days_after, at)
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cutoffs_keep_the_renewal_window() {
        let at = datetime!(2029-03-31 12:00);
        assert_eq!(months_before(at, 1), datetime!(2029-02-28 12:00));
        assert_eq!(months_before(at, 24), datetime!(2027-03-31 12:00));
        let r = Retention {
            resident_months: 24,
            unprinted_days: 90,
        };
        let c = retention_cutoffs(&r, 180, at);
        assert_eq!(c.ended_before, time::macros::date!(2027 - 03 - 31));
        assert_eq!(c.unprinted_before, datetime!(2028-12-31 12:00));
        // A shorter retention than the renewal window: the window wins.
        let short = Retention {
            resident_months: 1,
            unprinted_days: 90,
        };
        let c = retention_cutoffs(&short, 180, at);
        assert_eq!(c.revoked_before, at - Duration::days(181));
    }
}
