//! The pick-up list (issue 11), a page at a time (issue 12): the cards on
//! their way that a site's user works on, each step's count, and one card
//! of it for the hand-over page. Which site a card goes to is sealed in its
//! route, so a list reads the keys of the cards on their way (partial index
//! `cards_in_pickup`) and their pick-up sites as opened once per process
//! (`pickup_sites.rs`); only the page's
//! cards and residents are read and decrypted. The steps themselves are in
//! [`super::pickup`].

use super::model::CardSummary;
use super::pickup::PickupStep;
use crate::db::cards::load as load_card;
use crate::db::residents::load as load_resident;
use crate::db::{self, DbConnection};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use citycard_credential::CardNumber;
use std::fmt;
use time::PrimitiveDateTime;

/// Most cards on a page of the pick-up list.
pub const PICKUP_LIST_LIMIT: usize = 500;

/// Cards of each step on the pick-up page (and on a page of one step).
pub const PICKUP_PAGE: usize = 50;

/// One card on a site's pick-up list.
#[derive(Clone)]
pub struct PickupEntry {
    /// The card.
    pub summary: CardSummary,
    /// Its step.
    pub step: PickupStep,
    /// Since when (UTC).
    pub since: Option<PrimitiveDateTime>,
    /// The pick-up site (its id; the UI names it for city-wide staff).
    pub pickup_site: i64,
    /// Given names (to find the card in the drawer).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
}

impl fmt::Debug for PickupEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PickupEntry")
            .field("summary", &self.summary)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

/// A card on its way: number, step, since when, pick-up site.
pub(crate) type OnTheWay = (i64, PickupStep, Option<PrimitiveDateTime>, i64);

/// Where a page of the pick-up list starts: after the card that ended the
/// page before, in the list's order (since when, then number). Written
/// `MICROS.NUMBER` in a link (the time in microseconds since 1970, or the
/// lowest value for a card with no time); the card need not be on the list
/// any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PickupCursor {
    since: i64,
    number: i64,
}

impl PickupCursor {
    fn of(w: &OnTheWay) -> PickupCursor {
        PickupCursor {
            since: w.2.map_or(i64::MIN, |t| {
                i64::try_from(t.assume_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
            }),
            number: w.0,
        }
    }

    /// Reads a cursor as [`fmt::Display`] writes it.
    pub fn parse(s: &str) -> Option<PickupCursor> {
        let (since, number) = s.rsplit_once('.')?;
        Some(PickupCursor {
            since: since.parse().ok()?,
            number: number.parse().ok()?,
        })
    }
}

impl fmt::Display for PickupCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.since, self.number)
    }
}

/// Which page of the pick-up list.
#[derive(Debug, Clone, Copy)]
pub struct PickupQuery {
    /// Only this step (else every step of the actor's list).
    pub step: Option<PickupStep>,
    /// The cards after this one.
    pub after: Option<PickupCursor>,
    /// At most this many (1 to [`PICKUP_LIST_LIMIT`]).
    pub limit: usize,
}

/// A page of the pick-up list.
#[derive(Debug, Clone)]
pub struct PickupPage {
    /// The page's cards, oldest first (for [`Office::pickup_overview`]: the
    /// first of each step, step by step).
    pub entries: Vec<PickupEntry>,
    /// How many cards are at each step of the list: all of them, not only
    /// the page's.
    pub counts: Vec<(PickupStep, usize)>,
    /// Where the page after starts, when more cards follow.
    pub next: Option<PickupCursor>,
}

impl PickupPage {
    /// How many cards are at `step` on the whole list.
    pub fn count(&self, step: PickupStep) -> usize {
        self.counts
            .iter()
            .find(|(s, _)| *s == step)
            .map_or(0, |(_, n)| *n)
    }
}

impl Office {
    /// The cards on their way in `steps` that the actor's site may see
    /// (picked up there, or all for city-wide users), oldest first (since
    /// when, then number). Reads the cards' keys; a route is opened only
    /// the first time its card is listed ([`PickupSites`]).
    ///
    /// [`PickupSites`]: super::pickup_sites::PickupSites
    pub(crate) fn on_the_way(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        steps: &[PickupStep],
    ) -> Result<Vec<OnTheWay>> {
        let codes: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
        let keys = db::sites::on_the_way(c, &codes)?;
        let numbers: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let sites = self.remembered_pickups().get_many(&numbers);
        let missing: Vec<i64> = keys
            .iter()
            .zip(&sites)
            .filter(|((_, _, _, sealed), known)| *sealed && known.is_none())
            .map(|(k, _)| k.0)
            .collect();
        let mut opened = std::collections::HashMap::with_capacity(missing.len());
        for (n, sealed) in db::sites::sealed_routes(c, &missing)? {
            opened.insert(n, self.pickup_site_opened(n, &sealed)?);
        }
        // Cards from before sites, and erased ones, have no route: the
        // first site's, read once.
        let first_site = if keys.iter().any(|k| !k.3) {
            self.default_site(c)?.unwrap_or(0)
        } else {
            0
        };
        let mut out = Vec::new();
        for ((n, step, since, sealed), known) in keys.into_iter().zip(sites) {
            let site = match (sealed, known) {
                (false, _) => first_site,
                (true, Some(site)) => site,
                (true, None) => match opened.get(&n) {
                    Some(site) => *site,
                    // Its route went meanwhile (erased): no longer listed.
                    None => continue,
                },
            };
            if actor.site.is_some_and(|own| own != site) {
                continue;
            }
            let Some(step) = PickupStep::parse(&step) else {
                continue;
            };
            out.push((n, step, since, site));
        }
        out.sort_by_key(PickupCursor::of);
        Ok(out)
    }

    /// How many cards wait at a site (queued, on their way or ready).
    pub(crate) fn cards_waiting_at(&self, site: i64) -> Result<usize> {
        let probe = Actor::site_probe(self.office_name(), site);
        self.db().read(|c| {
            Ok(self
                .on_the_way(
                    c,
                    &probe,
                    &[
                        PickupStep::Queued,
                        PickupStep::Printed,
                        PickupStep::Sent,
                        PickupStep::Ready,
                    ],
                )?
                .len())
        })
    }

    /// The steps of the actor's pick-up list: to send (city-wide staff),
    /// arriving, ready, not collected.
    pub fn pickup_steps(actor: &Actor) -> Vec<PickupStep> {
        let mut steps = vec![
            PickupStep::Sent,
            PickupStep::Ready,
            PickupStep::NotCollected,
        ];
        if actor.site.is_none() {
            steps.insert(0, PickupStep::Printed);
        }
        steps
    }

    /// A page of the actor's site's pick-up list: cards to send (city-wide
    /// print staff), to receive, to hand over and to destroy, with the
    /// names to find them, oldest first (recorded as `pickup_list_viewed
    /// count=N`, N the page's cards). Only the page's residents are
    /// decrypted.
    pub fn pickup_page(&self, actor: &Actor, query: PickupQuery) -> Result<PickupPage> {
        let limit = query.limit.clamp(1, PICKUP_LIST_LIMIT);
        let steps: Vec<PickupStep> = Self::pickup_steps(actor)
            .into_iter()
            .filter(|s| query.step.is_none_or(|only| only == *s))
            .collect();
        self.pickup_view(actor, &steps, |all| {
            let from = query.after.map_or(0, |after| {
                all.partition_point(|w| PickupCursor::of(w) <= after)
            });
            let page: Vec<OnTheWay> = all[from..].iter().take(limit).cloned().collect();
            let next = (from + page.len() < all.len())
                .then(|| page.last().map(PickupCursor::of))
                .flatten();
            (page, next)
        })
    }

    /// The first `per_step` cards of each step of the actor's pick-up list
    /// (the list's first page, step by step), and how many there are at
    /// each. Recorded like [`Office::pickup_page`].
    pub fn pickup_overview(&self, actor: &Actor, per_step: usize) -> Result<PickupPage> {
        let per_step = per_step.clamp(1, PICKUP_LIST_LIMIT);
        let steps = Self::pickup_steps(actor);
        self.pickup_view(actor, &steps, |all| {
            let page = steps
                .iter()
                .flat_map(|s| all.iter().filter(move |w| w.1 == *s).take(per_step))
                .cloned()
                .collect();
            (page, None)
        })
    }

    /// The cards of `steps` on the actor's list, the page that `pick`
    /// chooses of them with its names, and the counts: read in one read
    /// transaction, then the viewing recorded in a write of its own.
    fn pickup_view(
        &self,
        actor: &Actor,
        steps: &[PickupStep],
        pick: impl FnOnce(&[OnTheWay]) -> (Vec<OnTheWay>, Option<PickupCursor>),
    ) -> Result<PickupPage> {
        actor.require(Permission::HandOverCards)?;
        let today = self.today();
        let page = self.db().read(|c| {
            self.check_site_open(c, actor.site)?;
            let all = self.on_the_way(c, actor, steps)?;
            let counts = steps
                .iter()
                .map(|s| (*s, all.iter().filter(|w| w.1 == *s).count()))
                .collect();
            let (chosen, next) = pick(&all);
            let numbers: Vec<i64> = chosen.iter().map(|w| w.0).collect();
            let mut rows: std::collections::HashMap<i64, _> =
                db::cards::with_residents_any(c, &numbers)?
                    .into_iter()
                    .map(|(card, resident)| (card.card_number, (card, resident)))
                    .collect();
            let mut entries = Vec::with_capacity(chosen.len());
            for (n, step, since, site) in chosen {
                let Some((row, resident)) = rows.remove(&n) else {
                    continue;
                };
                entries.push(self.entry_of(&row, resident.as_ref(), step, since, site, today)?);
            }
            Ok(PickupPage {
                entries,
                counts,
                next,
            })
        })?;
        if !page.entries.is_empty() {
            let detail = format!("count={}", page.entries.len());
            self.db().write(|c| {
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::PickupListViewed,
                    None,
                    &detail,
                )
            })?;
        }
        Ok(page)
    }

    /// One card of the actor's site's pick-up list, by number (the
    /// hand-over page): refused for another site's card (`other_site`),
    /// and for a card not at `step`. Recorded like the list
    /// (`pickup_list_viewed count=1`).
    pub fn pickup_entry(
        &self,
        actor: &Actor,
        card: CardNumber,
        step: PickupStep,
    ) -> Result<PickupEntry> {
        actor.require(Permission::HandOverCards)?;
        let today = self.today();
        self.db().write(|c| {
            self.check_site_open(c, actor.site)?;
            let row = load_card(c, card)?;
            let route = self.route_of(c, &row)?;
            if !Office::at_pickup_site(actor, &route) {
                return Err(Error::OtherSite);
            }
            if row.pickup_state.as_deref() != Some(step.as_str()) {
                return Err(Error::InvalidState("the card is not at that step"));
            }
            let resident = row
                .resident_id
                .map(|rid| load_resident(c, rid))
                .transpose()?;
            let entry = self.entry_of(
                &row,
                resident.as_ref(),
                step,
                row.pickup_state_at,
                route.pickup,
                today,
            )?;
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::PickupListViewed,
                None,
                "count=1",
            )?;
            Ok(entry)
        })
    }

    /// A card as its pick-up list shows it, with the resident's names
    /// (empty once erased).
    fn entry_of(
        &self,
        row: &crate::db::cards::CardRow,
        resident: Option<&crate::db::residents::ResidentRow>,
        step: PickupStep,
        since: Option<PrimitiveDateTime>,
        pickup_site: i64,
        today: citycard_credential::Date,
    ) -> Result<PickupEntry> {
        let personal = match resident {
            Some(r) => self.unseal_personal(r)?,
            None => None,
        };
        Ok(PickupEntry {
            summary: CardSummary::of_row(row, today, personal.is_none())?,
            step,
            since,
            pickup_site,
            given_names: personal
                .as_ref()
                .map(|p| p.given_names.clone())
                .unwrap_or_default(),
            family_name: personal.map(|p| p.family_name.clone()).unwrap_or_default(),
        })
    }
}
