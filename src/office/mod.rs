//! The issuing office as one handle: configuration, database, the vault of
//! personal-data keys and the signing keys. The web layer keeps one
//! [`Office`] in its app data and calls its (blocking) methods inside
//! `web::block`; the CLI and tests call them directly.
//!
//! The methods live by concept, each `impl Office` block in the file of its
//! concept: [`cards`] (enrol and issue, renew, replace, revoke, erase,
//! printing, search), [`accounts`] (users, passwords, login, sessions, API
//! tokens), [`audit`] (the audit log, chained with `audit.key`), [`publish`] (the
//! revocation list), [`maintenance`] (daily upkeep), [`dev_keys`]
//! (development keys). [`actor`] says who acts and what each role may do. Rows and queries live in [`crate::db`]; no
//! file here touches SQL.

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod cards;
mod dashboard;
pub mod dev_keys;
pub mod figures;
pub mod key_rotation;
pub mod maintenance;
pub mod publish;
mod signing_keys;
pub mod sites;

pub use signing_keys::SigningKeysError;
use signing_keys::load_signing;

use crate::config::Config;
use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::output::{PrintError, Printer, SharedPrinter};
use crate::vault::Vault;
use citycard_credential::trust_list::TrustedKey;
use citycard_credential::{SigningKey, keys as ckeys};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `office_meta`: the check value of the personal-data keys.
pub(crate) const KEY_CHECK: &str = "key_check";

/// The signing keys and what the trust list says about them.
pub(crate) struct Signing {
    /// Signs cards: the office key, expanded once (`CardSigner`).
    pub(crate) card_signer: citycard_credential::CardSigner,
    /// The card key's trust list entry.
    pub(crate) card_entry: TrustedKey,
    /// Signs revocation lists (the office key itself, or `revocations.key`).
    pub(crate) revocation_key: SigningKey,
    /// The revocation key's trust list entry.
    pub(crate) revocation_entry: TrustedKey,
    /// The issuer identifier.
    pub(crate) issuer: String,
    /// The city's name.
    pub(crate) city_name: String,
    /// The trust list's root key fingerprint, as desks pin it.
    pub(crate) root_fingerprint: String,
}

struct Inner {
    config: Config,
    db: Db,
    vault: Vault,
    /// The key check value the vault was checked against at start.
    key_check: Vec<u8>,
    /// Set when [`Office::ensure_keys_current`] passed in the writing
    /// transaction that runs now (see `db::writer::epoch`).
    keys_checked: db::Remembered<()>,
    signing: std::result::Result<Signing, SigningKeysError>,
    office_name: String,
    publish_lock: Mutex<()>,
    /// When the revocation list was last signed after a revocation, and
    /// whether a later signing is scheduled (see `publish.rs`).
    publisher: Mutex<publish::PublisherState>,
    /// The stored revocation list as last read or written, and when.
    revocations_cache: Mutex<Option<(Instant, Option<Vec<u8>>)>>,
    /// The card templates and fonts, loaded once.
    printer: SharedPrinter,
    /// The bound on argon2id runs at once.
    password_checks: accounts::PasswordChecks,
    /// Bearer tokens checked less than a second ago.
    auth_cache: accounts::AuthCache,
    /// The default site, once read (`sites.rs`).
    default_site: std::sync::OnceLock<i64>,
    /// The pick-up sites of cards whose routes were opened.
    pickup_sites: cards::pickup_sites::PickupSites,
    /// The last check of the whole audit chain.
    last_audit_check: audit::LastCheck,
}

/// The office: cheap to clone (one shared inner value), safe to share
/// between threads.
#[derive(Clone)]
pub struct Office {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Office {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Office")
            .field("office", &self.inner.office_name)
            .field("db", &self.inner.db)
            .finish_non_exhaustive()
    }
}

/// What the keys page and the start-up banner show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// The issuer identifier.
    pub issuer: String,
    /// The city's name.
    pub city_name: String,
    /// The office name.
    pub office: String,
    /// The card-signing key's kid (hex).
    pub card_kid: String,
    /// First day the card key may sign.
    pub sign_from: citycard_credential::Date,
    /// Last day the card key may sign.
    pub sign_until: citycard_credential::Date,
    /// The revocation-signing key's kid (hex).
    pub revocation_kid: String,
    /// The root key fingerprint desks pin (16 groups of 4 hex digits).
    pub root_fingerprint: String,
}

impl Office {
    /// Opens the office: database (migrations run), vault (keys made on the
    /// first start only), signing keys. Missing or unusable signing keys do
    /// not stop accounts and the audit log from working (`citycard admin`
    /// needs none); [`Office::key_status`] reports them and issuing fails
    /// until they are fixed.
    pub fn open(config: &Config) -> Result<Office> {
        let db = Db::open(config)?;
        let (vault, key_check) = open_vault(config, &db)?;
        let signing = load_signing(config);
        let office_name = config
            .office_name
            .clone()
            .or_else(|| signing.as_ref().ok().map(|s| s.card_entry.office.clone()))
            .unwrap_or_else(|| "Office".to_owned());
        audit::open_key(config, &db, &office_name)?;
        let office = Office {
            inner: Arc::new(Inner {
                config: config.clone(),
                db,
                vault,
                key_check,
                keys_checked: db::Remembered::new(),
                signing,
                office_name,
                publish_lock: Mutex::new(()),
                publisher: Mutex::new(publish::PublisherState::default()),
                revocations_cache: Mutex::new(None),
                printer: SharedPrinter::new(config),
                password_checks: accounts::PasswordChecks::new(config.password_check_memory_mib),
                auth_cache: accounts::AuthCache::default(),
                default_site: std::sync::OnceLock::new(),
                pickup_sites: Default::default(),
                last_audit_check: Default::default(),
            }),
        };
        office.ensure_sites()?;
        let indexed = office.index_for_search()?;
        if indexed > 0 {
            eprintln!("search index: {indexed} resident(s) indexed for the search by name");
        }
        Ok(office)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Today (UTC) by the office's clock ([`crate::config::Clock`]: the
    /// system clock, moved only in a development build for tests). Card
    /// dates, ages, renewal windows and the deletion schedule use it.
    pub fn today(&self) -> citycard_credential::Date {
        self.inner.config.clock.today()
    }

    /// The time now (UTC) by the office's clock (see [`Office::today`]).
    pub fn now(&self) -> time::PrimitiveDateTime {
        self.inner.config.clock.now()
    }

    /// The bound on password checks running at once: login and password
    /// changes take a permit from it (tests hold one to fill it).
    pub fn password_checks(&self) -> &accounts::PasswordChecks {
        &self.inner.password_checks
    }

    /// The bearer tokens checked less than a second ago
    /// ([`accounts::auth_cache`]).
    pub(crate) fn auth_cache(&self) -> &accounts::AuthCache {
        &self.inner.auth_cache
    }

    /// The default site, once read ([`Office::default_site`]).
    pub(crate) fn remembered_default_site(&self) -> &std::sync::OnceLock<i64> {
        &self.inner.default_site
    }

    /// After a change that can end a token's or a session's rights: no
    /// remembered check is believed any more.
    pub(crate) fn accounts_changed(&self) {
        self.inner.auth_cache.forget_all();
    }

    /// A writing transaction that changes accounts, tokens, sessions or
    /// sites: [`Office::accounts_changed`] once it has ended.
    pub(crate) fn write_accounts<T>(
        &self,
        f: impl FnOnce(&mut db::DbConnection) -> Result<T>,
    ) -> Result<T> {
        let result = self.db().write(f);
        self.accounts_changed();
        result
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The pick-up sites of cards whose routes were opened.
    pub(crate) fn remembered_pickups(&self) -> &cards::pickup_sites::PickupSites {
        &self.inner.pickup_sites
    }

    /// The last check of the whole audit chain.
    pub(crate) fn last_audit_check(&self) -> &audit::LastCheck {
        &self.inner.last_audit_check
    }

    /// The personal-data keys.
    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    /// The office's printer: its card templates and fonts, loaded at the
    /// first use (the server: at start) and kept until
    /// [`Office::reload_printer`]. A template that cannot be loaded is the
    /// operator's fault; the next use tries again.
    pub fn printer(&self) -> std::result::Result<Arc<Printer>, PrintError> {
        self.inner.printer.get()
    }

    /// Loads the card templates and fonts afresh (after the operator
    /// changed them); when they cannot be loaded, the ones in use stay.
    pub fn reload_printer(&self) -> std::result::Result<Arc<Printer>, PrintError> {
        self.inner.printer.reload()
    }

    /// This office's name (cards, audit log).
    pub fn office_name(&self) -> &str {
        &self.inner.office_name
    }

    pub(crate) fn signing(&self) -> Result<&Signing> {
        self.inner
            .signing
            .as_ref()
            .map_err(|problem| Error::Keys(problem.to_string()))
    }

    pub(crate) fn publish_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.inner
            .publish_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn publisher_state(&self) -> std::sync::MutexGuard<'_, publish::PublisherState> {
        self.inner
            .publisher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached revocation list when it is younger than `max_age`.
    pub(crate) fn cached_revocations(&self, max_age: Duration) -> Option<Option<Vec<u8>>> {
        let cache = self
            .inner
            .revocations_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, bytes)| bytes.clone())
    }

    /// Remembers the stored revocation list (just read or written).
    pub(crate) fn cache_revocations(&self, bytes: Option<Vec<u8>>) {
        let mut cache = self
            .inner
            .revocations_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *cache = Some((Instant::now(), bytes));
    }

    /// Inside a transaction that seals personal data: refuses when the
    /// personal-data keys were rotated, or are being rotated, since this
    /// office opened (a server left running during `citycard keys
    /// rotate-data-key` must not seal under a key about to be destroyed).
    ///
    /// It costs one read by primary key of two `office_meta` rows. The
    /// ordering against a rotation that starts at the same moment comes
    /// from how [`db::Db::write`] begins every writing transaction: on
    /// SQLite with the write lock (`BEGIN IMMEDIATE`), on PostgreSQL with
    /// a shared advisory lock in the same round trip as `BEGIN`, which the
    /// rotation's first transaction waits for (`db::meta::hold_keys_exclusive`).
    /// So this read, a later statement, sees any rotation that began
    /// before, and a rotation that begins later waits until this
    /// transaction has ended. It is not cached in memory: the rotation is
    /// another process (on PostgreSQL possibly on another host), and only
    /// the database can tell this server that it began. It is read once
    /// per transaction: a rotation cannot begin while the transaction
    /// runs, so later work in it (enrolments handed over in one batch)
    /// need not read it again.
    pub(crate) fn ensure_keys_current(&self, c: &mut db::DbConnection) -> Result<()> {
        if self.inner.keys_checked.get().is_some() {
            return Ok(());
        }
        let (current, rotation) = db::meta::get_two(c, KEY_CHECK, key_rotation::ROTATION)?;
        if current.as_deref() != Some(self.inner.key_check.as_slice()) || rotation.is_some() {
            return Err(Error::Keys(
                "the personal-data keys were rotated since this server started: restart it"
                    .to_owned(),
            ));
        }
        self.inner.keys_checked.set(());
        Ok(())
    }

    /// The signing keys, or why the office cannot issue cards.
    pub fn key_status(&self) -> Result<KeyStatus> {
        let s = self.signing()?;
        Ok(KeyStatus {
            issuer: s.issuer.clone(),
            city_name: s.city_name.clone(),
            office: self.office_name().to_owned(),
            card_kid: ckeys::to_hex(&s.card_entry.kid),
            sign_from: s.card_entry.sign_from,
            sign_until: s.card_entry.sign_until,
            revocation_kid: ckeys::to_hex(&s.revocation_entry.kid),
            root_fingerprint: s.root_fingerprint.clone(),
        })
    }
}

/// Opens the vault and returns it with the key check value it matches. On
/// the first start (no key check value in the database) missing key files
/// are made and the check value stored; after that the keys must exist and
/// match, and no key rotation may be under way.
fn open_vault(config: &Config, db: &Db) -> Result<(Vault, Vec<u8>)> {
    let unfinished = || {
        Error::Keys(
            "a rotation of the personal-data keys is unfinished: run `citycard keys \
             rotate-data-key` again to finish it, then start the office"
                .to_owned(),
        )
    };
    let mut conn = db.conn()?;
    if key_rotation::under_way(&mut conn)? {
        return Err(unfinished());
    }
    let stored = db::meta::get(&mut conn, KEY_CHECK)?;
    drop(conn);
    if let Some(value) = stored {
        let vault = Vault::open(config, false)?;
        if let Err(e) = vault.check(&value) {
            let layout = config.layout();
            if layout.data_key_new().exists() || layout.dedup_key_new().exists() {
                return Err(unfinished());
            }
            return Err(e);
        }
        return Ok((vault, value));
    }
    let vault = Vault::open(config, true)?;
    let value = vault.key_check_value()?;
    let existing = db.write(|c| {
        let existing = db::meta::get(c, KEY_CHECK)?;
        if existing.is_none() {
            db::meta::insert(c, KEY_CHECK, &value)?;
        }
        Ok(existing)
    })?;
    // Another server got there first: its keys must be ours.
    if let Some(v) = existing {
        vault.check(&v)?;
        return Ok((vault, v));
    }
    Ok((vault, value))
}

/// For tests: counts rows (used to check that nothing was half-written).
pub fn count_rows(db: &Db) -> Result<(i64, i64, i64)> {
    db.read(db::count_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_can_move_to_blocking_threads() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync_static::<Office>();
        send_sync_static::<Error>();
    }
}
