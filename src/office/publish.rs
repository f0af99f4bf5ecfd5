//! Publishing the revocation list: built from the database, signed, stored
//! in the database (what every server serves) and written to the data
//! directory.

use crate::db;
use crate::db::cards::from_i64;
use crate::error::{Error, Result};
use crate::office::{Office, today};
use crate::vault::random_id;
use citycard_credential::{CardNumber, Date, RevocationList};
use std::path::Path;

/// Whether the revocation list was re-signed and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishStatus {
    /// Written, with this many numbers.
    Published {
        /// Numbers on the list.
        revoked: usize,
    },
    /// Not written (the revocation itself stands); the message says why.
    Failed(String),
}

/// A signed revocation list that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedList {
    /// Numbers on it.
    pub revoked: usize,
    /// Its issue date.
    pub issued: Date,
    /// Its next-update date.
    pub next_update: Date,
    /// Whether it was signed now (`false`: the stored list was still
    /// current and was kept).
    pub signed: bool,
}

/// How long a server keeps the stored revocation list in memory before it
/// reads the database again.
pub const REVOCATIONS_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

/// The row of the revocation list in `published_lists`.
pub(super) const REVOCATIONS_ROW: &str = "revocations";

/// [`Office::maintenance`] re-signs a stored revocation list older than
/// this, even when its content is current.
pub const REVOCATION_LIST_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(20 * 3600);

/// What a stored list's content is: the issuer, the signing key and the
/// numbers. A different hash means the stored list is out of date.
pub(super) fn content_hash(issuer: &str, kid: &[u8], numbers: &[CardNumber]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(issuer.len() + kid.len() + 2 + numbers.len() * 5);
    buf.extend_from_slice(issuer.as_bytes());
    buf.push(0);
    buf.extend_from_slice(kid);
    buf.push(0);
    for n in numbers {
        buf.extend_from_slice(&n.to_bytes());
    }
    ring::digest::digest(&ring::digest::SHA256, &buf)
        .as_ref()
        .to_vec()
}

pub(super) fn add_days(d: Date, days: u16) -> Date {
    d.checked_add(time::Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// Writes a file next to its final name and renames it over (readers never
/// see half a file).
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp-{}-{}", std::process::id(), random_id()?));
    let tmp = path.with_file_name(name);
    let result = (|| {
        let mut f = crate::private_files::create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

impl Office {
    /// Builds and signs the revocation list from the database (every
    /// revoked card that has not expired yet), stores it in the database
    /// (the copy every server instance serves) and writes it to the data
    /// directory too (with `revoked.txt`), for `desk export` and operators.
    pub fn publish_revocations(&self) -> Result<PublishedList> {
        self.publish_revocations_if(true)
    }

    /// Like [`Office::publish_revocations`], but keeps the stored list when
    /// it is younger than [`REVOCATION_LIST_MAX_AGE`] and its content is
    /// current (several servers on one database need not all re-sign it).
    /// The files in the data directory are written from the stored list
    /// either way.
    pub fn refresh_revocations(&self) -> Result<PublishedList> {
        self.publish_revocations_if(false)
    }

    pub(super) fn publish_revocations_if(&self, always: bool) -> Result<PublishedList> {
        let _guard = self.publish_lock();
        let signing = self.signing()?;
        let today = today();
        let now = db::now();
        let (bytes, list, signed) = self.db().write(|c| {
            // Locks the row until the end of the transaction (PostgreSQL; on
            // SQLite `Db::write` holds the write lock): the numbers are read
            // after every earlier publisher committed, so the last list
            // stored is never older than the last revocation.
            if !db::published::lock(c, REVOCATIONS_ROW)? {
                return Err(Error::Integrity("the revocation list row is missing"));
            }
            let db::published::StoredList {
                issued_at,
                content_hash: stored_hash,
                bytes: stored,
            } = db::published::load(c, REVOCATIONS_ROW)?;
            let numbers = db::cards::revoked_numbers(c, today)?;
            let mut numbers = numbers
                .into_iter()
                .map(from_i64)
                .collect::<Result<Vec<_>>>()?;
            numbers.sort_unstable();
            numbers.dedup();
            let hash = content_hash(&signing.issuer, &signing.revocation_entry.kid, &numbers);
            if !always
                && !stored.is_empty()
                && stored_hash == hash
                && issued_at > db::earlier(now, REVOCATION_LIST_MAX_AGE)
                && let Ok((list, _)) = RevocationList::inspect(&stored)
                && list.next_update > today
            {
                return Ok((stored, list, false));
            }
            if !signing.revocation_entry.may_sign_on(today) {
                return Err(Error::Signing(
                    "the revocation key may not sign today (outside its signing window)".to_owned(),
                ));
            }
            let next_update = add_days(today, self.config().revocation_list_days);
            let list = RevocationList::new(signing.issuer.clone(), today, next_update, numbers);
            let bytes = list
                .sign(&signing.revocation_key)
                .map_err(|e| Error::Signing(e.to_string()))?;
            db::published::store(c, REVOCATIONS_ROW, now, &hash, &bytes)?;
            Ok((bytes, list, true))
        })?;
        self.cache_revocations(Some(bytes.clone()));
        let mut text = String::from(
            "# Revoked card numbers, written by the office with every revocation list.\n",
        );
        for n in list.numbers() {
            text.push_str(&n.digits());
            text.push('\n');
        }
        let layout = self.config().layout();
        write_atomic(&layout.revoked_numbers(), text.as_bytes())?;
        write_atomic(&layout.revocations(), &bytes)?;
        Ok(PublishedList {
            revoked: list.len(),
            issued: list.issued,
            next_update: list.next_update,
            signed,
        })
    }

    /// The signed revocation list as stored in the database (what every
    /// server instance serves), or `None` when none was signed yet. Kept
    /// for [`REVOCATIONS_CACHE`] seconds between database reads.
    pub fn published_revocations(&self) -> Result<Option<Vec<u8>>> {
        if let Some(cached) = self.cached_revocations(REVOCATIONS_CACHE) {
            return Ok(cached);
        }
        let stored = self
            .db()
            .read(|c| db::published::bytes(c, REVOCATIONS_ROW))?;
        let stored = stored.filter(|b| !b.is_empty());
        self.cache_revocations(stored.clone());
        Ok(stored)
    }

    pub(super) fn publish_after_change(&self) -> PublishStatus {
        match self.publish_revocations() {
            Ok(list) => PublishStatus::Published {
                revoked: list.revoked,
            },
            Err(e) => PublishStatus::Failed(e.to_string()),
        }
    }
}
