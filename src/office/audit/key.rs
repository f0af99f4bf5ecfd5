//! Loading or making `audit.key` when the office opens.
//!
//! - The key file exists: the database must hold its check value
//!   (`office_meta.audit_key_check`), else the key belongs to another
//!   database, or someone removed the record to pass the chain off as
//!   unkeyed: the office refuses to start.
//! - The key file is missing and the database has no check value (a new
//!   database, or one from before the key existed): a key is made. In one
//!   transaction the head is read, the chain is keyed from the next entry,
//!   the key is written as `audit.key.new` (mode 0600), the check value
//!   stored and, for a log that already has entries, an `audit_key_created`
//!   entry appended (the first keyed entry, which anchors the plain chain
//!   before it). After the commit the file is renamed to `audit.key`. A crash
//!   before the rename leaves `audit.key.new`, which the next start takes
//!   when it matches the stored check value. No manual step.
//! - The key file is missing but the database has a check value: restore
//!   `audit.key` from the backup (the office refuses to start).

use super::{AuditAction, KEY_CHECK, append};
use crate::audit_key::{self, AuditKey};
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;

fn pending_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".new");
    path.with_file_name(name)
}

/// Loads `audit.key` (making it on the first start, also for an existing
/// database) and gives it to the database handle.
pub fn open_key(config: &Config, db: &Db, office: &str) -> Result<()> {
    let path = config.layout().audit_key();
    let stored = db::meta::get(&mut *db.conn()?, KEY_CHECK)?;
    let key = match (path.exists(), stored) {
        (true, Some(value)) => {
            let key = AuditKey::read(&path)?;
            if !key.check(&value) {
                return Err(Error::Keys(format!(
                    "{} is not the audit key of this database (restore the right key file)",
                    path.display()
                )));
            }
            key
        }
        (true, None) => {
            return Err(Error::Keys(format!(
                "{} exists but the database has no record of it: the database is not the one \
                 the key was made for (a new or restored database: move the key file away, \
                 keeping it with the old database's backups, and start again), or its record \
                 was removed (tampering: check the log against the last audit checkpoint). \
                 Nothing was changed",
                path.display()
            )));
        }
        (false, Some(value)) => recover_pending(&path, &value)?,
        (false, None) => make_key(&path, db, office)?,
    };
    db.set_audit_key(Arc::new(key));
    Ok(())
}

/// A crash between the commit and the rename left `audit.key.new`.
fn recover_pending(path: &Path, value: &[u8]) -> Result<AuditKey> {
    let pending = pending_path(path);
    let missing = || {
        Error::Keys(format!(
            "{} is missing. The audit chain of this database is keyed with it; restore it \
             from the backup",
            path.display()
        ))
    };
    if !pending.exists() {
        return Err(missing());
    }
    let key = AuditKey::read(&pending)?;
    if !key.check(value) {
        return Err(missing());
    }
    std::fs::rename(&pending, path)
        .map_err(|e| Error::Keys(format!("could not rename {}: {e}", pending.display())))?;
    Ok(key)
}

fn make_key(path: &Path, db: &Db, office: &str) -> Result<AuditKey> {
    let pending = pending_path(path);
    let bytes = crate::vault::random_bytes::<{ audit_key::KEY_LEN }>()?;
    let key = db.write(|c| {
        db::lock_for_writing(c)?;
        if db::meta::get(c, KEY_CHECK)?.is_some() {
            return Err(Error::Keys(format!(
                "another server made {} meanwhile: copy it into this server's key directory",
                path.display()
            )));
        }
        let (head, _) = db::audit::head(c)?;
        let key = AuditKey::new(&bytes, head + 1);
        // A file left by a start that did not commit is not in use.
        if pending.exists() {
            std::fs::remove_file(&pending).map_err(|e| Error::Io {
                path: pending.clone(),
                source: e,
            })?;
        }
        AuditKey::write_new(&pending, &bytes, key.keyed_from())?;
        db::meta::insert(c, KEY_CHECK, &key.check_value())?;
        if head > 0 {
            let key = Arc::new(AuditKey::new(&bytes, head + 1));
            audit_key::with_scope(Some(key), || {
                append(
                    c,
                    "system",
                    office,
                    AuditAction::AuditKeyCreated,
                    None,
                    &format!("keyed_from={}", head + 1),
                )
            })?;
        }
        Ok(key)
    })?;
    std::fs::rename(&pending, path)
        .map_err(|e| Error::Keys(format!("could not rename {}: {e}", pending.display())))?;
    if key.keyed_from() > 1 {
        eprintln!(
            "audit: made {}; the audit chain is keyed from entry {} on (entries before it keep \
             their plain hash chain). Back the key up with data.key.",
            path.display(),
            key.keyed_from()
        );
    }
    Ok(key)
}
