//! Sites: the city counters, pop-up sites and partner organisations that
//! one deployment serves (issue 11, DESIGN.md §1 rule 10).
//!
//! Where a resident enrolled can imply their status (a partner organisation
//! that serves undocumented people), so a site's name and kind are as
//! sensitive as a resident's name: each is stored only sealed with the data
//! key ([`Purpose::Site`]), padded to one length so that the sealed bytes do
//! not tell a long name from a short one. The database holds a site's
//! random id, the sealed bytes, and when it was created and closed: nothing
//! that says which site is a partner.
//!
//! Users belong to one site, or are city-wide (`users.site_id` NULL: admins,
//! auditors, central print staff). A card's links to sites live in its
//! sealed [`Route`](super::cards::route::Route).
//!
//! A database from before sites gets one site at the next start, named
//! after the office, a city counter, with every clerk and supervisor
//! ([`Office::ensure_sites`]): no manual step.

use crate::db;
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission, Role};
use crate::office::audit::{self, AuditAction};
use crate::vault::{Purpose, random_id};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `office_meta`: the site that cards from before sites belong to.
const DEFAULT_SITE: &str = "default_site";
/// Every sealed site record is padded to this many bytes.
const SEALED_LEN: usize = 512;
/// Most characters in a site's name.
pub const MAX_NAME_CHARS: usize = 100;

/// What kind of place a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A city office counter (Bürgerbüro).
    Counter,
    /// A pop-up site (a shelter, a library, for a few days).
    PopUp,
    /// A partner organisation that residents trust (an advice centre).
    Partner,
}

impl SiteKind {
    /// Every kind.
    pub const ALL: [SiteKind; 3] = [SiteKind::Counter, SiteKind::PopUp, SiteKind::Partner];

    /// The code: `counter`, `pop_up`, `partner`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Counter => "counter",
            SiteKind::PopUp => "pop_up",
            SiteKind::Partner => "partner",
        }
    }

    /// The kind of a code.
    pub fn parse(code: &str) -> Result<SiteKind> {
        SiteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == code.trim())
            .ok_or_else(|| Error::invalid("kind", Rule::Choice))
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A site, unsealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Its random id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SiteKind,
    /// Closed: no new work, its users cannot log in, not offered for pick-up.
    pub closed: bool,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    name: String,
    kind: SiteKind,
}

/// A site's name: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control
/// or invisible characters.
pub fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", Rule::Required));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid("name", Rule::TooLong));
    }
    if name.chars().any(|c| {
        c.is_control()
            || citycard_credential::names::is_default_ignorable(c)
            || c == '\u{2028}'
            || c == '\u{2029}'
    }) {
        return Err(Error::invalid("name", Rule::Characters));
    }
    Ok(name.to_owned())
}

/// A site id as typed or sent (decimal digits; empty: none). Ids are
/// strings in the API and forms: they can exceed JavaScript's exact
/// integers.
pub fn parse_site_id(field: &'static str, text: Option<&str>) -> Result<Option<i64>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| Error::invalid(field, Rule::Choice)),
    }
}

/// Pads a JSON document with spaces to `len` bytes (JSON allows trailing
/// whitespace), so that sealed records of one purpose have one length.
pub(crate) fn pad_json(mut json: Vec<u8>, len: usize) -> Result<Vec<u8>> {
    if json.len() > len {
        return Err(Error::Integrity(
            "a record is longer than its padded length",
        ));
    }
    json.resize(len, b' ');
    Ok(json)
}

impl Office {
    fn seal_site(&self, id: i64, name: &str, kind: SiteKind) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(&Sealed {
            name: name.to_owned(),
            kind,
        })
        .map_err(|_| Error::Integrity("a site could not be encoded"))?;
        self.vault()
            .seal(Purpose::Site, id, &pad_json(json, SEALED_LEN)?)
    }

    pub(crate) fn site_of_row(&self, row: &db::sites::SiteRow) -> Result<Site> {
        let plain = self.vault().unseal(Purpose::Site, row.id, &row.sealed)?;
        let s: Sealed = serde_json::from_slice(&plain)
            .map_err(|_| Error::Integrity("a sealed site is not readable"))?;
        Ok(Site {
            id: row.id,
            name: s.name,
            kind: s.kind,
            closed: row.closed_at.is_some(),
        })
    }

    /// Every site (any signed-in user: the enrolment form offers the open
    /// ones for pick-up; see [`Office::pickup_sites`]).
    pub fn sites(&self) -> Result<Vec<Site>> {
        let rows = self.db().read(db::sites::all)?;
        rows.iter().map(|r| self.site_of_row(r)).collect()
    }

    /// One site, or `NotFound`.
    pub fn site(&self, id: i64) -> Result<Site> {
        let row = self
            .db()
            .read(|c| db::sites::by_id(c, id))?
            .ok_or(Error::NotFound("site"))?;
        self.site_of_row(&row)
    }

    /// The site that cards from before sites belong to. Written once, when
    /// the office gets its first site ([`Office::ensure_sites`]), and never
    /// changed: remembered once read (one round trip less per enrolment).
    pub(crate) fn default_site(&self, c: &mut db::DbConnection) -> Result<Option<i64>> {
        if let Some(id) = self.remembered_default_site().get() {
            return Ok(Some(*id));
        }
        let id = db::meta::get(c, DEFAULT_SITE)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map(i64::from_be_bytes);
        if let Some(id) = id {
            let _ = self.remembered_default_site().set(id);
        }
        Ok(id)
    }

    /// The sites a resident enrolled by `actor` may pick the card up at:
    /// every open city counter and pop-up site, and the actor's own site
    /// (a partner organisation offers itself, and no other partner).
    pub fn pickup_sites(&self, actor: &Actor) -> Result<Vec<Site>> {
        Ok(self
            .sites()?
            .into_iter()
            .filter(|s| !s.closed && (s.kind != SiteKind::Partner || Some(s.id) == actor.site))
            .collect())
    }

    /// Creates a site (admins).
    pub fn create_site(&self, by: &Actor, name: &str, kind: SiteKind) -> Result<Site> {
        by.require(Permission::ManageSites)?;
        let name = validate_name(name)?;
        self.check_unique_name(&name, None)?;
        self.db().write(|c| {
            let mut id = random_id()?;
            while db::sites::by_id(c, id)?.is_some() {
                id = random_id()?;
            }
            let sealed = self.seal_site(id, &name, kind)?;
            db::sites::insert(c, id, &sealed, self.now())?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::SiteCreated,
                None,
                &format!("site={id}"),
            )?;
            Ok(Site {
                id,
                name: name.clone(),
                kind,
                closed: false,
            })
        })
    }

    fn check_unique_name(&self, name: &str, except: Option<i64>) -> Result<()> {
        let folded = crate::vault::fold(name);
        if self
            .sites()?
            .iter()
            .any(|s| Some(s.id) != except && crate::vault::fold(&s.name) == folded)
        {
            return Err(Error::Conflict("a site with this name"));
        }
        Ok(())
    }

    /// Renames a site (admins); its kind stays.
    pub fn rename_site(&self, by: &Actor, id: i64, name: &str) -> Result<Site> {
        by.require(Permission::ManageSites)?;
        let name = validate_name(name)?;
        let mut site = self.site(id)?;
        self.check_unique_name(&name, Some(id))?;
        site.name = name;
        self.db().write(|c| {
            let sealed = self.seal_site(id, &site.name, site.kind)?;
            db::sites::set_sealed(c, id, &sealed)?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::SiteRenamed,
                None,
                &format!("site={id}"),
            )
        })?;
        Ok(site)
    }

    /// Closes a site, or opens it again (admins). A site with cards still
    /// waiting to be printed or picked up there cannot be closed.
    pub fn set_site_closed(&self, by: &Actor, id: i64, closed: bool) -> Result<Site> {
        by.require(Permission::ManageSites)?;
        let mut site = self.site(id)?;
        if closed && self.cards_waiting_at(id)? > 0 {
            return Err(Error::InvalidState(
                "cards are still waiting at this site: hand them over or move them first",
            ));
        }
        self.write_accounts(|c| {
            db::sites::set_closed(c, id, closed.then(|| self.now()))?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                if closed {
                    AuditAction::SiteClosed
                } else {
                    AuditAction::SiteReopened
                },
                None,
                &format!("site={id}"),
            )
        })?;
        site.closed = closed;
        Ok(site)
    }

    /// Puts a user at a site, or makes them city-wide (admins). Admins and
    /// auditors are always city-wide.
    pub fn set_user_site(&self, by: &Actor, username: &str, site: Option<i64>) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        if let Some(id) = site {
            let s = self.site(id)?;
            if s.closed {
                return Err(Error::SiteClosed);
            }
        }
        let name = crate::office::accounts::normalize_username(username)?;
        self.write_accounts(|c| {
            let user = db::users::by_name(c, &name)?.ok_or(Error::NotFound("user"))?;
            let role = user.role()?;
            if site.is_some() && matches!(role, Role::Admin | Role::Auditor) {
                return Err(Error::invalid("site", Rule::Choice));
            }
            db::sites::set_user_site(c, user.id, site)?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::UserSiteSet,
                None,
                &match site {
                    Some(id) => format!("user={} site={id}", user.id),
                    None => format!("user={} site=city", user.id),
                },
            )?;
            Ok(())
        })
    }

    /// Refuses a user whose site is closed (at login and on each request).
    pub(crate) fn check_site_open(
        &self,
        c: &mut db::DbConnection,
        site: Option<i64>,
    ) -> Result<()> {
        if let Some(id) = site
            && db::sites::by_id(c, id)?.is_none_or(|s| s.closed_at.is_some())
        {
            return Err(Error::SiteClosed);
        }
        Ok(())
    }

    /// On every start: a database without sites (new, or from before
    /// sites) gets its first site, a city counter named after the office,
    /// and every clerk and supervisor is put there. Cards from before sites
    /// belong to it ([`Office::default_site`]). For a database that has
    /// users already, this is recorded (`site_created first_site=1
    /// users=N`); a new database's set-up is not.
    pub(crate) fn ensure_sites(&self) -> Result<()> {
        if self.db().read(db::sites::count)? > 0 {
            return Ok(());
        }
        let name = validate_name(self.office_name()).unwrap_or_else(|_| "Office".to_owned());
        self.write_accounts(|c| {
            if db::sites::count(c)? > 0 {
                return Ok(());
            }
            let id = random_id()?;
            let sealed = self.seal_site(id, &name, SiteKind::Counter)?;
            db::sites::insert(c, id, &sealed, self.now())?;
            db::meta::set(c, DEFAULT_SITE, &id.to_be_bytes())?;
            let users = db::users::count(c)?;
            let moved =
                db::sites::assign_users(c, id, &[Role::Clerk.as_str(), Role::Supervisor.as_str()])?;
            // A new database's first site is part of its set-up; a database
            // from before sites records the move.
            if users == 0 {
                return Ok(());
            }
            let cli = Actor::command_line(self.office_name());
            audit::append(
                c,
                &cli.who(),
                &cli.office,
                AuditAction::SiteCreated,
                None,
                &format!("site={id} first_site=1 users={moved}"),
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(
            validate_name("  Bürgerbüro Nord ").ok().as_deref(),
            Some("Bürgerbüro Nord")
        );
        assert!(validate_name("").is_err());
        assert!(validate_name("a\u{200B}b").is_err());
        assert!(validate_name("a\nb").is_err());
        assert!(validate_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(validate_name("مركز المشورة").is_ok());
    }

    #[test]
    fn padding_makes_one_length() {
        let short = pad_json(br#"{"a":1}"#.to_vec(), 64).ok();
        assert_eq!(short.as_ref().map(Vec::len), Some(64));
        assert!(pad_json(vec![b'x'; 65], 64).is_err());
        let v: Option<serde_json::Value> = short.and_then(|s| serde_json::from_slice(&s).ok());
        assert_eq!(v, Some(serde_json::json!({"a": 1})));
    }
}
