//! Rotation of the personal-data keys (`data.key` and `dedup.key`):
//! `citycard keys rotate-data-key` (SECURITY.md, finding 9).
//!
//! Why: an erased resident's sealed blobs can outlive the erasure in old
//! disk images, database backups, PostgreSQL's old row versions and WAL.
//! Whoever holds such a copy *and* the data key reads them. A city that
//! lost control of a backup (or of a key file) makes new keys, re-seals
//! everything under them and destroys the old keys: old copies then open
//! with no key that still exists.
//!
//! What is re-sealed: every resident's record and photo, every card's QR
//! text (everything [`crate::vault::Purpose`] names), and the keyed tags
//! made again (duplicate check, search index); the key check value in
//! `office_meta` changes with them. Throttle rows keyed under the old
//! dedup key are left to expire (counters of failed logins by address
//! start afresh).
//!
//! **Run it with every office server stopped.** It works straight on the
//! database in bounded batches (one transaction each), and it is
//! resumable at every point:
//!
//! 1. The new keys are written as `data.key.new` and `dedup.key.new`
//!    (mode 0600, synced); then one transaction records the rotation in
//!    `office_meta` (`key_rotation` = the new keys' check value, cursors
//!    and counts).
//! 2. Batches re-seal residents by id, then cards by number; each batch
//!    moves its cursor in the same transaction, so a batch is either done
//!    and recorded or not done at all.
//! 3. One transaction swaps the key check value, deletes the rotation's
//!    rows and appends one audit entry (`data_keys_rotated` with counts,
//!    no data).
//! 4. The `.new` files are renamed over `data.key` and `dedup.key`: the old
//!    keys are gone.
//!
//! Two rotations never run at once: each holds a lock on `rotation.lock` in
//! the key directory and, on PostgreSQL, an advisory lock on its own
//! connection; a second one is refused before it writes anything.
//!
//! Interrupted anywhere, running the command again finishes the job. While
//! a rotation is under way the office refuses to start, and a server that
//! was left running refuses to seal anything (it checks the key check value
//! in every transaction that seals; see `Office::ensure_keys_current`), so
//! nothing is ever sealed under a key that is about to be destroyed.

use super::KEY_CHECK;
use crate::config::Config;
use crate::db::residents::Resealed;
use crate::db::{self, Db, DbConnection};
use crate::error::{Error, Result};
use crate::office::actor::Actor;
use crate::office::audit::{self, AuditAction};
use crate::vault::{PersonalData, Purpose, Vault};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// `office_meta`: the new keys' check value while a rotation is under way.
pub(crate) const ROTATION: &str = "key_rotation";
const RESIDENTS_CURSOR: &str = "key_rotation_residents";
const CARDS_CURSOR: &str = "key_rotation_cards";
const COUNTS: &str = "key_rotation_counts";
/// A cursor past every row.
const DONE: i64 = i64::MAX;
/// Rows per batch unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// How to run a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationOptions {
    /// Rows per transaction.
    pub batch_size: usize,
    /// Stop after this many batches, leaving the rotation under way (the
    /// next run continues it). For tests and for slicing a long rotation.
    pub max_batches: Option<usize>,
}

impl Default for RotationOptions {
    fn default() -> Self {
        RotationOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            max_batches: None,
        }
    }
}

/// How many blobs were sealed again under the new keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotationCounts {
    /// Residents' records (and their tags).
    pub records: u64,
    /// Residents' photos.
    pub photos: u64,
    /// Cards' QR texts.
    pub qr_texts: u64,
}

/// What [`rotate_data_keys`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    /// An unfinished rotation was continued.
    pub resumed: bool,
    /// The rotation is complete: new keys in place, old keys gone.
    pub finished: bool,
    /// Blobs re-sealed by this rotation so far (over every run of it).
    pub counts: RotationCounts,
    /// Batches run now.
    pub batches: usize,
}

/// Rotates the personal-data keys of the configured office (see the
/// module documentation), or continues a rotation that was interrupted.
pub fn rotate_data_keys(config: &Config, options: RotationOptions) -> Result<RotationReport> {
    config.prepare_dirs()?;
    // One connection is held for the rotation's lock; the batches need another.
    let db = Db::connect_with(
        &config.database,
        config.db_pool_size.max(2),
        config.db_connect_timeout,
    )?;
    // The audit entry at the end extends the keyed chain: load audit.key.
    audit::open_key(config, &db, &office_name(config))?;
    let layout = config.layout();
    let _key_dir_lock = lock_key_dir(&layout.rotation_lock())?;
    let mut lock_conn = db.conn()?;
    if !db::meta::try_hold_rotation(&mut lock_conn)? {
        return Err(another_rotation());
    }
    let (new_data, new_dedup) = (layout.data_key_new(), layout.dedup_key_new());
    let stored = db::meta::get(&mut *db.conn()?, KEY_CHECK)?.ok_or_else(|| {
        Error::Keys(
            "the office has never started on this database: there are no keys to rotate".to_owned(),
        )
    })?;
    let under_way = db::meta::get(&mut *db.conn()?, ROTATION)?;
    let resumed = under_way.is_some();
    let (old, new, new_check) = match under_way {
        Some(new_check) => {
            let old = Vault::open(config, false)?;
            old.check(&stored)?;
            let new = Vault::open_files(&new_data, &new_dedup).map_err(|e| {
                Error::Keys(format!(
                    "a key rotation is under way but its new keys cannot be read ({e}); \
                     restore {} and {} from where they were copied",
                    new_data.display(),
                    new_dedup.display()
                ))
            })?;
            new.check(&new_check).map_err(|_| {
                Error::Keys(format!(
                    "{} and {} are not the keys of the rotation under way",
                    new_data.display(),
                    new_dedup.display()
                ))
            })?;
            (old, new, new_check)
        }
        None => {
            if finish_key_files(config, &stored)? {
                return Ok(RotationReport {
                    resumed: true,
                    finished: true,
                    counts: RotationCounts::default(),
                    batches: 0,
                });
            }
            let old = Vault::open(config, false)?;
            old.check(&stored)?;
            // Files first: once the database says "under way", the new keys
            // exist on disk.
            let new = Vault::create_key_files(&new_data, &new_dedup)?;
            sync_dir(layout.key_dir())?;
            let new_check = new.key_check_value()?;
            db.write(|c| {
                // Waits (PostgreSQL) for a server that is sealing with the
                // old keys right now; later ones see the rotation.
                db::meta::hold_keys_exclusive(c)?;
                db::meta::insert(c, ROTATION, &new_check)?;
                db::meta::set(c, RESIDENTS_CURSOR, &i64::MIN.to_be_bytes())?;
                db::meta::set(c, CARDS_CURSOR, &i64::MIN.to_be_bytes())?;
                write_counts(c, RotationCounts::default())
            })?;
            (old, new, new_check)
        }
    };
    let limit = i64::try_from(options.batch_size.max(1)).unwrap_or(i64::MAX);
    let mut batches = 0;
    loop {
        if options.max_batches.is_some_and(|m| batches >= m) {
            let counts = db.read(read_counts)?;
            return Ok(RotationReport {
                resumed,
                finished: false,
                counts,
                batches,
            });
        }
        let more = db.write(|c| reseal_batch(c, &old, &new, limit))?;
        if !more {
            break;
        }
        batches += 1;
    }
    let office = office_name(config);
    let actor = Actor::command_line(&office);
    let counts = db.write(|c| {
        if db::meta::get(c, ROTATION)?.as_deref() != Some(new_check.as_slice()) {
            return Err(Error::Keys(
                "the key rotation changed while it ran (was it started twice at once?)".to_owned(),
            ));
        }
        let counts = read_counts(c)?;
        db::meta::set(c, KEY_CHECK, &new_check)?;
        for name in [ROTATION, RESIDENTS_CURSOR, CARDS_CURSOR, COUNTS] {
            db::meta::delete(c, name)?;
        }
        audit::append(
            c,
            &actor.who(),
            &actor.office,
            AuditAction::DataKeysRotated,
            None,
            &format!(
                "records={} photos={} qr_texts={}",
                counts.records, counts.photos, counts.qr_texts
            ),
        )?;
        Ok(counts)
    })?;
    install_new_key_files(config)?;
    // The old blobs out of the SQLite WAL (PostgreSQL: see docs/operations.md).
    let _ = db.checkpoint();
    Ok(RotationReport {
        resumed,
        finished: true,
        counts,
        batches,
    })
}

/// Whether a rotation is under way on this database (the office refuses to
/// start then).
pub(crate) fn under_way(c: &mut DbConnection) -> Result<bool> {
    Ok(db::meta::get(c, ROTATION)?.is_some())
}

/// One batch: residents first, then cards. Whether there may be more.
fn reseal_batch(c: &mut DbConnection, old: &Vault, new: &Vault, limit: i64) -> Result<bool> {
    let mut counts = read_counts(c)?;
    let after = read_cursor(c, RESIDENTS_CURSOR)?;
    if after != DONE {
        let rows = db::residents::sealed_after(c, after, limit)?;
        let Some(last) = rows.last().map(|r| r.id) else {
            db::meta::set(c, RESIDENTS_CURSOR, &DONE.to_be_bytes())?;
            return Ok(true);
        };
        for r in &rows {
            let mut out = Resealed {
                sealed_record: None,
                sealed_photo: None,
                dedup_hmac: None,
                search_hmac: None,
            };
            if let Some(sealed) = &r.sealed_record {
                let plain = reopen(old, new, Purpose::ResidentRecord, r.id, sealed)?;
                let p = PersonalData::decode(&plain)?;
                out.sealed_record = Some(new.seal(Purpose::ResidentRecord, r.id, &plain)?);
                out.dedup_hmac =
                    Some(new.dedup_tag(&p.given_names, &p.family_name, p.date_of_birth));
                out.search_hmac = Some(
                    p.date_of_birth
                        .map(|dob| new.search_tag(&p.family_name, dob))
                        .unwrap_or_default(),
                );
                counts.records += 1;
            }
            if let Some(sealed) = &r.sealed_photo {
                let plain = reopen(old, new, Purpose::ResidentPhoto, r.id, sealed)?;
                out.sealed_photo = Some(new.seal(Purpose::ResidentPhoto, r.id, &plain)?);
                counts.photos += 1;
            }
            db::residents::store_resealed(c, r.id, out)?;
        }
        db::meta::set(c, RESIDENTS_CURSOR, &last.to_be_bytes())?;
        write_counts(c, counts)?;
        return Ok(true);
    }
    let after = read_cursor(c, CARDS_CURSOR)?;
    if after == DONE {
        return Ok(false);
    }
    let rows = db::cards::sealed_qr_after(c, after, limit)?;
    let Some(last) = rows.last().map(|(n, _)| *n) else {
        // Last, in the same transaction: the sites' sealed names (few).
        for site in db::sites::all(c)? {
            let plain = reopen(old, new, Purpose::Site, site.id, &site.sealed)?;
            db::sites::set_sealed(c, site.id, &new.seal(Purpose::Site, site.id, &plain)?)?;
        }
        db::meta::set(c, CARDS_CURSOR, &DONE.to_be_bytes())?;
        return Ok(false);
    };
    for (number, sealed) in &rows {
        let plain = reopen(old, new, Purpose::CardQr, *number, sealed)?;
        db::cards::set_sealed_qr(c, *number, new.seal(Purpose::CardQr, *number, &plain)?)?;
        counts.qr_texts += 1;
        // A card's route (where it was enrolled and is picked up) is held
        // only while its QR text is.
        if let Some(route) = db::sites::route_of_card(c, *number)? {
            let plain = reopen(old, new, Purpose::CardRoute, *number, &route)?;
            db::sites::set_sealed_route(
                c,
                *number,
                &new.seal(Purpose::CardRoute, *number, &plain)?,
            )?;
        }
    }
    db::meta::set(c, CARDS_CURSOR, &last.to_be_bytes())?;
    write_counts(c, counts)?;
    Ok(true)
}

/// Opens a blob with the old key; one that the new key opens already was
/// sealed again (it is sealed once more, which changes nothing).
fn reopen(
    old: &Vault,
    new: &Vault,
    purpose: Purpose,
    id: i64,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    old.unseal(purpose, id, sealed)
        .or_else(|_| new.unseal(purpose, id, sealed))
}

fn read_cursor(c: &mut DbConnection, name: &str) -> Result<i64> {
    let bytes =
        db::meta::get(c, name)?.ok_or(Error::Integrity("a key rotation cursor is missing"))?;
    let array: [u8; 8] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Integrity("a key rotation cursor is damaged"))?;
    Ok(i64::from_be_bytes(array))
}

fn read_counts(c: &mut DbConnection) -> Result<RotationCounts> {
    const BAD: Error = Error::Integrity("the key rotation's counts are damaged");
    let bytes = db::meta::get(c, COUNTS)?.ok_or(BAD)?;
    let mut n = bytes
        .chunks_exact(8)
        .map(|b| b.try_into().map(u64::from_be_bytes).map_err(|_| BAD));
    let mut next = || n.next().unwrap_or(Err(BAD));
    Ok(RotationCounts {
        records: next()?,
        photos: next()?,
        qr_texts: next()?,
    })
}

fn write_counts(c: &mut DbConnection, counts: RotationCounts) -> Result<()> {
    let mut bytes = Vec::with_capacity(24);
    for n in [counts.records, counts.photos, counts.qr_texts] {
        bytes.extend_from_slice(&n.to_be_bytes());
    }
    db::meta::set(c, COUNTS, &bytes)
}

/// The `(new, current)` key file pairs.
fn key_file_pairs(config: &Config) -> [(PathBuf, PathBuf); 2] {
    let layout = config.layout();
    [
        (layout.data_key_new(), layout.data_key()),
        (layout.dedup_key_new(), layout.dedup_key()),
    ]
}

/// When the database already uses the keys in the `.new` files (the last
/// run stopped between its final transaction and the renames), renames
/// them into place. Whether it did. Stale `.new` files of a rotation that
/// never got recorded are left to be overwritten.
fn finish_key_files(config: &Config, stored: &[u8]) -> Result<bool> {
    let pairs = key_file_pairs(config);
    if !pairs.iter().any(|(new, _)| new.exists()) {
        return Ok(false);
    }
    let pick = |(new, current): &(PathBuf, PathBuf)| {
        if new.exists() {
            new.clone()
        } else {
            current.clone()
        }
    };
    let [data, dedup] = &pairs;
    match Vault::open_files(&pick(data), &pick(dedup)) {
        Ok(v) if v.check(stored).is_ok() => {
            install_new_key_files(config)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Renames `data.key.new` and `dedup.key.new` over the old keys.
fn install_new_key_files(config: &Config) -> Result<()> {
    for (new, current) in key_file_pairs(config) {
        if new.exists() {
            std::fs::rename(&new, &current).map_err(|source| Error::Io {
                path: current.clone(),
                source,
            })?;
        }
    }
    sync_dir(config.layout().key_dir())
}

fn another_rotation() -> Error {
    Error::Keys("another key rotation is running on this office: wait for it to end".to_owned())
}

/// An exclusive lock on `rotation.lock` in the key directory for as long
/// as the returned file is open: two rotations on one machine would
/// otherwise write different `.new` keys over each other.
fn lock_key_dir(path: &Path) -> Result<std::fs::File> {
    let path = path.to_owned();
    let io = |source| Error::Io {
        path: path.clone(),
        source,
    };
    let file = crate::private_files::create_private(&path).map_err(io)?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(|_| another_rotation())?;
    Ok(file)
}

/// Makes renames and new files in a folder durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The office name for the audit entry, as `Office::open` finds it.
fn office_name(config: &Config) -> String {
    config
        .office_name
        .clone()
        .or_else(|| {
            super::signing_keys::load_signing(config)
                .ok()
                .map(|s| s.card_entry.office)
        })
        .unwrap_or_else(|| "Office".to_owned())
}
