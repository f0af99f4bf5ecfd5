//! Publishing the revocation list: built from the database, signed, stored
//! in the database (what every server serves) and written to the data
//! directory.

use crate::db;
use crate::db::cards::from_i64;
use crate::error::{Error, Result};
use crate::office::{Office, today};
use crate::vault::random_id;
use citycard_credential::{CardNumber, Date, ListFormat, RevocationList};
use std::path::Path;

/// Whether the revocation list was re-signed and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishStatus {
    /// Written, with this many numbers.
    Published {
        /// Numbers on the list.
        revoked: usize,
    },
    /// To be signed and written within this long, together with the
    /// revocations that follow meanwhile (the setting
    /// `revocation_publish_seconds`; the revocation itself stands).
    Scheduled {
        /// At most this long from now.
        within: std::time::Duration,
    },
    /// Not written (the revocation itself stands); the message says why.
    Failed(String),
}

/// When the revocation list was last signed after a revocation, and whether
/// a signing is scheduled.
#[derive(Debug, Default)]
pub struct PublisherState {
    last: Option<std::time::Instant>,
    scheduled: bool,
    /// Lists signed by this office since it started (for tests and metrics).
    signed: u64,
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

/// The format the office publishes (`docs/card-format.md` §8.2).
pub const PUBLISHED_FORMAT: ListFormat = ListFormat::V2;

/// What a stored list's content is: the format, the issuer, the signing key
/// and the numbers. A different hash means the stored list is out of date
/// (so a list stored in an older format is signed again).
pub(super) fn content_hash(issuer: &str, kid: &[u8], numbers: &[CardNumber]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(issuer.len() + kid.len() + 4 + numbers.len() * 5);
    buf.extend_from_slice(b"v");
    buf.push(PUBLISHED_FORMAT.version());
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
        // One publisher at a time in this process; across server instances
        // the conditional store below keeps the newest list.
        let _guard = self.publish_lock();
        let signing = self.signing()?;
        let today = today();
        // Taken before the numbers are read: a list stored with a later
        // time was built from a later read.
        let snapshot = snapshot_time();
        // 1. Read the numbers and the stored list (no write lock: issuing
        //    and revoking go on meanwhile).
        let (numbers, stored) = self.db().read(|c| {
            Ok((
                db::cards::revoked_numbers(c, today)?,
                db::published::load(c, REVOCATIONS_ROW)?,
            ))
        })?;
        let mut numbers = numbers
            .into_iter()
            .map(from_i64)
            .collect::<Result<Vec<_>>>()?;
        numbers.sort_unstable();
        numbers.dedup();
        let hash = content_hash(&signing.issuer, &signing.revocation_entry.kid, &numbers);
        let (bytes, list, signed) = if !always
            && !stored.bytes.is_empty()
            && stored.content_hash == hash
            && stored.issued_at > db::earlier(db::now(), REVOCATION_LIST_MAX_AGE)
            && let Ok((list, _)) = RevocationList::inspect(&stored.bytes)
            && list.next_update > today
        {
            (stored.bytes, list, false)
        } else {
            if !signing.revocation_entry.may_sign_on(today) {
                return Err(Error::Signing(
                    "the revocation key may not sign today (outside its signing window)".to_owned(),
                ));
            }
            // 2. Build and sign, outside any transaction.
            let next_update = add_days(today, self.config().revocation_list_days);
            let list = RevocationList::new(signing.issuer.clone(), today, next_update, numbers);
            let bytes = list
                .sign_as(PUBLISHED_FORMAT, &signing.revocation_key)
                .map_err(|e| Error::Signing(e.to_string()))?;
            // 3. Store it, unless another instance stored a list read later
            //    meanwhile (then that one stands and is served).
            let newer = self.db().write(|c| {
                if !db::published::lock(c, REVOCATIONS_ROW)? {
                    return Err(Error::Integrity("the revocation list row is missing"));
                }
                let current = db::published::load(c, REVOCATIONS_ROW)?;
                if current.issued_at > snapshot && !current.bytes.is_empty() {
                    return Ok(Some(current.bytes));
                }
                db::published::store(c, REVOCATIONS_ROW, snapshot, &hash, &bytes)?;
                Ok(None)
            })?;
            match newer.and_then(|b| RevocationList::inspect(&b).ok().map(|(l, _)| (b, l))) {
                Some((b, l)) => (b, l, false),
                None => (bytes, list, true),
            }
        };
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
        if signed {
            // Counted once the list is stored and written.
            self.publisher_state().signed += 1;
        }
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

    /// After a revocation: signs the list at once when the last signing
    /// after a revocation was at least `revocation_publish_seconds` ago (or
    /// the setting is 0); otherwise schedules one signing for when that
    /// time is up, which takes every revocation made until then. So R
    /// revocations in a burst cost O(R) in total, not R lists.
    pub(super) fn publish_after_change(&self) -> PublishStatus {
        let interval = self.config().revocation_publish_interval;
        let wait = {
            let mut st = self.publisher_state();
            let now = std::time::Instant::now();
            let wait = st.last.map_or(std::time::Duration::ZERO, |t| {
                interval.saturating_sub(now.saturating_duration_since(t))
            });
            if wait.is_zero() {
                st.last = Some(now);
            } else if !st.scheduled {
                let office = self.clone();
                let spawned = std::thread::Builder::new()
                    .name("citycard-publish".into())
                    .spawn(move || {
                        std::thread::sleep(wait);
                        office.publish_scheduled();
                    });
                match spawned {
                    Ok(_) => st.scheduled = true,
                    Err(_) => {
                        // No thread: sign now rather than never.
                        st.last = Some(now);
                        return self.publish_now();
                    }
                }
            }
            wait
        };
        if wait.is_zero() {
            self.publish_now()
        } else {
            PublishStatus::Scheduled { within: wait }
        }
    }

    /// Signs the list now, for a scheduled signing.
    fn publish_scheduled(&self) {
        {
            let mut st = self.publisher_state();
            st.scheduled = false;
            st.last = Some(std::time::Instant::now());
        }
        if let Err(e) = self.publish_revocations() {
            eprintln!(
                "revocation list: the scheduled signing failed: {}: {e}",
                e.code()
            );
        }
    }

    fn publish_now(&self) -> PublishStatus {
        match self.publish_revocations() {
            Ok(list) => PublishStatus::Published {
                revoked: list.revoked,
            },
            Err(e) => PublishStatus::Failed(e.to_string()),
        }
    }

    /// How many revocation lists this office has signed, stored and
    /// written since it started.
    pub fn revocation_lists_signed(&self) -> u64 {
        self.publisher_state().signed
    }

    /// Whether a signing of the revocation list is scheduled.
    pub fn revocation_list_pending(&self) -> bool {
        self.publisher_state().scheduled
    }
}

/// The current time to the microsecond (the stored list's `issued_at`):
/// lists are ordered by when their numbers were read.
fn snapshot_time() -> time::PrimitiveDateTime {
    let t = time::OffsetDateTime::now_utc();
    let t = t.replace_nanosecond(t.microsecond() * 1000).unwrap_or(t);
    time::PrimitiveDateTime::new(t.date(), t.time())
}
