//! A card's route: the site where it was enrolled, the site where the
//! resident picks it up, and the clerk who attested. Where a resident
//! enrolled can imply their status, so the route is sealed with the data
//! key like a name ([`Purpose::CardRoute`], bound to the card number) and
//! padded to one length: no plaintext column links a card to a site, and
//! the sealed bytes of a card enrolled by a clerk with a long user name
//! look like any other (DESIGN.md §1 rule 10; docs/threat-model.md).
//!
//! A card from before sites has no route: it was enrolled at the first
//! site ([`Office::default_site`]) by the clerk in its plaintext
//! `attested_by` column. New cards leave that column empty.

use crate::db::DbConnection;
use crate::db::cards::CardRow;
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::Actor;
use crate::office::sites::{Site, SiteKind, pad_json};
use crate::vault::Purpose;
use serde::{Deserialize, Serialize};

/// Every sealed route is padded to this many bytes (a user name is at most
/// 64 characters of up to 4 bytes).
const SEALED_LEN: usize = 384;

/// Where a card comes from and goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The site where the resident enrolled (or renewed, or replaced).
    pub enrolled_at: i64,
    /// The site where the resident picks the card up.
    pub pickup: i64,
    /// The clerk who attested.
    pub attested_by: String,
}

impl Office {
    /// Seals a card's route (public for `examples/scale_seed.rs`).
    pub fn seal_route(&self, card_number: i64, route: &Route) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(route)
            .map_err(|_| Error::Integrity("a route could not be encoded"))?;
        self.vault().seal(
            Purpose::CardRoute,
            card_number,
            &pad_json(json, SEALED_LEN)?,
        )
    }

    /// Opens a sealed route.
    pub(crate) fn open_route(&self, card_number: i64, sealed: &[u8]) -> Result<Route> {
        let plain = self
            .vault()
            .unseal(Purpose::CardRoute, card_number, sealed)?;
        serde_json::from_slice(&plain)
            .map_err(|_| Error::Integrity("a sealed route is not readable"))
    }

    /// The pick-up site of a card with a sealed route: remembered, or its
    /// route opened and the site remembered (`pickup_sites.rs`).
    pub(crate) fn pickup_site_opened(&self, card_number: i64, sealed: &[u8]) -> Result<i64> {
        if let Some(site) = self.remembered_pickups().get(card_number) {
            return Ok(site);
        }
        let site = self.open_route(card_number, sealed)?.pickup;
        self.remembered_pickups().remember(card_number, site);
        Ok(site)
    }

    /// A card's route; a card from before sites belongs to the first site.
    pub(crate) fn route_of(&self, c: &mut DbConnection, row: &CardRow) -> Result<Route> {
        match &row.sealed_route {
            Some(s) => self.open_route(row.card_number, s),
            None => {
                let site = self.default_site(c)?.unwrap_or(0);
                Ok(Route {
                    enrolled_at: site,
                    pickup: site,
                    attested_by: row.attested_by.clone(),
                })
            }
        }
    }

    /// The route of a new card issued by `actor`: enrolled at the actor's
    /// site (a city-wide user: at the chosen pick-up site, else the first
    /// site), picked up where the resident chose. A pick-up site must be
    /// open, and a partner organisation only for its own enrolments.
    pub(crate) fn new_route(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        pickup: Option<i64>,
    ) -> Result<Route> {
        let fallback = self.default_site(c)?;
        let enrolled_at = actor
            .site
            .or(pickup)
            .or(fallback)
            .ok_or(Error::Integrity("the office has no site"))?;
        let pickup = pickup.unwrap_or(enrolled_at);
        if pickup != enrolled_at {
            let row = crate::db::sites::by_id(c, pickup)?
                .ok_or_else(|| Error::invalid("pickup_site", crate::error::Rule::Choice))?;
            let site: Site = self.site_of_row(&row)?;
            if site.closed || (site.kind == SiteKind::Partner && actor.site != Some(site.id)) {
                return Err(Error::invalid("pickup_site", crate::error::Rule::Choice));
            }
        }
        if let Some(own) = actor.site {
            self.check_site_open(c, Some(own))?;
        }
        Ok(Route {
            enrolled_at,
            pickup,
            attested_by: actor.username.clone(),
        })
    }

    /// Whether the actor works at the card's pick-up site (city-wide users
    /// work everywhere).
    pub(crate) fn at_pickup_site(actor: &Actor, route: &Route) -> bool {
        actor.site.is_none_or(|s| s == route.pickup)
    }

    /// Refuses a site user acting on a card of another site: neither
    /// enrolled nor picked up at theirs (supervisors act within their site).
    pub(crate) fn require_card_site(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        row: &CardRow,
    ) -> Result<()> {
        let Some(own) = actor.site else {
            return Ok(());
        };
        let route = self.route_of(c, row)?;
        if route.enrolled_at == own || route.pickup == own {
            Ok(())
        } else {
            Err(Error::OtherSite)
        }
    }

    /// A card's route while it is held: `None` for an erased card (its
    /// route went with the resident; a card from before sites has none
    /// either, but names its clerk).
    pub(crate) fn held_route(&self, c: &mut DbConnection, row: &CardRow) -> Result<Option<Route>> {
        if row.sealed_route.is_none() && row.attested_by.is_empty() {
            return Ok(None);
        }
        self.route_of(c, row).map(Some)
    }

    /// A site's name and whether `viewer` may see it: always for a city
    /// counter or pop-up site, for a partner organisation only from
    /// inside (naming it elsewhere would imply the resident's status).
    /// `None`: no such site.
    fn site_seen_by(
        &self,
        c: &mut DbConnection,
        viewer: &Actor,
        id: i64,
    ) -> Result<Option<(String, bool)>> {
        let Some(row) = crate::db::sites::by_id(c, id)? else {
            return Ok(None);
        };
        let site = self.site_of_row(&row)?;
        let visible = site.kind != SiteKind::Partner || viewer.site == Some(site.id);
        Ok(Some((site.name, visible)))
    }

    /// Where and by whom a card was attested, as `viewer` may see it: the
    /// site's name and the clerk where the site may be named
    /// ([`Office::site_seen_by`]); nothing ("another site") otherwise.
    pub(crate) fn attestation_seen_by(
        &self,
        c: &mut DbConnection,
        viewer: &Actor,
        route: Option<&Route>,
    ) -> Result<(Option<String>, Option<String>)> {
        let Some(route) = route else {
            return Ok((None, None));
        };
        let by = Some(route.attested_by.clone()).filter(|a| !a.is_empty());
        Ok(match self.site_seen_by(c, viewer, route.enrolled_at)? {
            None => (None, by),
            Some((name, true)) => (Some(name), by),
            Some((_, false)) => (None, None),
        })
    }

    /// Where a card is on its way, as `viewer` may see it (the pick-up
    /// site named as in [`Office::attestation_seen_by`]).
    pub(crate) fn pickup_seen_by(
        &self,
        c: &mut DbConnection,
        viewer: &Actor,
        row: &CardRow,
        route: Option<&Route>,
    ) -> Result<Option<super::model::PickupInfo>> {
        let (Some(step), Some(route)) = (
            row.pickup_state
                .as_deref()
                .and_then(super::PickupStep::parse),
            route,
        ) else {
            return Ok(None);
        };
        let site = self
            .site_seen_by(c, viewer, route.pickup)?
            .and_then(|(name, visible)| visible.then_some(name));
        Ok(Some(super::model::PickupInfo {
            step,
            site,
            here: Office::at_pickup_site(viewer, route),
        }))
    }
}
