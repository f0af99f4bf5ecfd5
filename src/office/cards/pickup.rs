//! Pick-up: how a printed card reaches its resident (issue 11).
//!
//! Each new card has a pick-up site, chosen at enrolment, and moves through
//! steps, each one click for a clerk of the right site, audited, and on
//! that site's list:
//!
//! ```text
//! queued ──print at the pick-up site──────────────▶ ready ──▶ handed_over
//!    └───print centrally──▶ printed ──▶ sent ──▶ ready
//!                                         sent / ready ──(not collected in time)──▶ not_collected ──▶ destroyed
//! ```
//!
//! - `queued`: on the print queue of its pick-up site (and of city-wide
//!   print staff).
//! - `printed`: printed centrally; city-wide print staff send it.
//! - `sent`: on its way; the pick-up site confirms it arrived (`ready`).
//! - `ready`: waiting at the pick-up site. At hand-over the clerk compares
//!   the person with the card's photo and confirms; a photo still stored
//!   is deleted then.
//! - `not_collected`: not collected within `pickup.collect_within_days`:
//!   the daily maintenance revokes the card (`not_collected`) and deletes
//!   its photo; the site destroys the card and confirms (`destroyed`).
//!
//! The step is the card's one plaintext pick-up fact, the same for every
//! kind of site; which site is in the sealed route. The lists of each
//! site's cards are in [`super::pickup_list`].

use super::route::Route;
use crate::db;
use crate::db::cards::{from_i64, load as load_card};
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use citycard_credential::CardNumber;
use std::fmt;
use time::PrimitiveDateTime;

/// A step on a card's way to its resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PickupStep {
    /// Waiting to be printed.
    Queued,
    /// Printed centrally, to be sent to the pick-up site.
    Printed,
    /// Sent to the pick-up site.
    Sent,
    /// At the pick-up site, waiting for the resident.
    Ready,
    /// Handed over to the resident.
    HandedOver,
    /// Not collected in time: revoked, to be destroyed.
    NotCollected,
    /// Destroyed after it was not collected.
    Destroyed,
}

impl PickupStep {
    /// Every step.
    pub const ALL: [PickupStep; 7] = [
        PickupStep::Queued,
        PickupStep::Printed,
        PickupStep::Sent,
        PickupStep::Ready,
        PickupStep::HandedOver,
        PickupStep::NotCollected,
        PickupStep::Destroyed,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            PickupStep::Queued => "queued",
            PickupStep::Printed => "printed",
            PickupStep::Sent => "sent",
            PickupStep::Ready => "ready",
            PickupStep::HandedOver => "handed_over",
            PickupStep::NotCollected => "not_collected",
            PickupStep::Destroyed => "destroyed",
        }
    }

    /// The step of a stored code.
    pub fn parse(s: &str) -> Option<PickupStep> {
        PickupStep::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for PickupStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The month (`YYYY-MM`) of a time, for the per-site figures.
pub(crate) fn month_of(t: PrimitiveDateTime) -> String {
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

impl Office {
    /// One step of a card's way, by a clerk of the right site.
    fn pickup_step(
        &self,
        actor: &Actor,
        card: CardNumber,
        from: PickupStep,
        to: PickupStep,
        action: AuditAction,
        city_wide_only: bool,
    ) -> Result<Route> {
        actor.require(Permission::HandOverCards)?;
        self.db().write(|c| {
            self.check_site_open(c, actor.site)?;
            let row = load_card(c, card)?;
            let route = self.route_of(c, &row)?;
            if city_wide_only && actor.site.is_some() {
                return Err(Error::OtherSite);
            }
            if !Office::at_pickup_site(actor, &route) {
                return Err(Error::OtherSite);
            }
            if row.pickup_state.as_deref() != Some(from.as_str()) {
                return Err(Error::InvalidState("the card is not at that step"));
            }
            if to != PickupStep::Destroyed && !row.is_active() {
                return Err(Error::InvalidState("the card is revoked"));
            }
            let now = self.now();
            if !db::sites::move_step(c, row.card_number, &[from.as_str()], to.as_str(), now)? {
                return Err(Error::InvalidState("the card is not at that step"));
            }
            let mut events = Vec::new();
            if to == PickupStep::HandedOver {
                if let Some(rid) = row.resident_id {
                    db::residents::delete_photo(c, rid)?;
                }
                events.push(db::sites::SiteEvent {
                    site: route.pickup,
                    month: month_of(now),
                    event: "handed_over",
                });
            }
            audit::append_counting(
                c,
                &actor.who(),
                &actor.office,
                action,
                Some(card),
                "",
                &events,
            )?;
            Ok(route)
        })
    }

    /// A card printed centrally was sent to its pick-up site (city-wide
    /// print staff).
    pub fn mark_sent(&self, actor: &Actor, card: CardNumber) -> Result<()> {
        self.pickup_step(
            actor,
            card,
            PickupStep::Printed,
            PickupStep::Sent,
            AuditAction::CardSent,
            true,
        )
        .map(drop)
    }

    /// A card sent to the actor's site arrived there.
    pub fn mark_received(&self, actor: &Actor, card: CardNumber) -> Result<()> {
        self.pickup_step(
            actor,
            card,
            PickupStep::Sent,
            PickupStep::Ready,
            AuditAction::CardReceived,
            false,
        )
        .map(drop)
    }

    /// The resident collected the card: the clerk compared the person with
    /// the card's photo (`compared`) and hands it over.
    pub fn hand_over(&self, actor: &Actor, card: CardNumber, compared: bool) -> Result<()> {
        if !compared {
            return Err(Error::invalid("compared", Rule::Required));
        }
        self.pickup_step(
            actor,
            card,
            PickupStep::Ready,
            PickupStep::HandedOver,
            AuditAction::CardHandedOver,
            false,
        )
        .map(drop)
    }

    /// A card that was not collected was destroyed at the pick-up site.
    pub fn mark_destroyed(&self, actor: &Actor, card: CardNumber) -> Result<()> {
        self.pickup_step(
            actor,
            card,
            PickupStep::NotCollected,
            PickupStep::Destroyed,
            AuditAction::CardDestroyed,
            false,
        )
        .map(drop)
    }

    /// The daily maintenance: cards sent or ready longer than
    /// `pickup.collect_within_days` are revoked as `not_collected`, their
    /// photos deleted, and put on their site's list to destroy. Returns how
    /// many.
    pub fn expire_uncollected(&self) -> Result<usize> {
        let days = self.config().pickup.collect_within_days;
        let now = self.now();
        let cutoff = now - time::Duration::days(i64::from(days));
        let system = Actor::pickup_schedule(self.office_name());
        let due: Vec<i64> = self.db().read(|c| {
            Ok(db::sites::on_the_way(c, &["sent", "ready"])?
                .into_iter()
                .filter(|(_, _, since, _)| since.is_some_and(|s| s < cutoff))
                .map(|(n, ..)| n)
                .collect())
        })?;
        let mut done = 0;
        for n in due {
            let revoked = self.db().write(|c| {
                let row = load_card(c, from_i64(n)?)?;
                if !matches!(row.pickup_state.as_deref(), Some("sent" | "ready"))
                    || row.pickup_state_at.is_none_or(|s| s >= cutoff)
                {
                    return Ok(false);
                }
                let route = self.route_of(c, &row)?;
                db::sites::move_step(c, n, &["sent", "ready"], "not_collected", now)?;
                db::cards::revoke_if_active(c, n, "not_collected", now)?;
                if let Some(rid) = row.resident_id {
                    db::residents::delete_photo(c, rid)?;
                }
                audit::append_counting(
                    c,
                    &system.who(),
                    &system.office,
                    AuditAction::CardRevoked,
                    Some(from_i64(n)?),
                    "reason=not_collected",
                    &[db::sites::SiteEvent {
                        site: route.pickup,
                        month: month_of(now),
                        event: "not_collected",
                    }],
                )?;
                Ok(true)
            })?;
            if revoked {
                done += 1;
            }
        }
        if done > 0 {
            drop(self.publish_after_change());
        }
        Ok(done)
    }
}
