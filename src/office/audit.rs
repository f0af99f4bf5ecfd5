//! The audit log: append-only and chained with a key the database does not
//! hold.
//!
//! Each entry records who (user name), where (office), when (UTC, to the
//! second), what (an [`AuditAction`]), which card (if any) and a short
//! non-personal detail (`reason=lost`, `new_card=…`, `results=2`). It never
//! holds a name, a date of birth or a photo, so erasing a resident never has
//! to touch it (DESIGN.md §1 rule 7).
//!
//! Chain: each entry's `hash` covers `prev_hash ‖ seq ‖ at ‖ actor ‖ office
//! ‖ action ‖ card_number ‖ detail` (fixed-width big-endian integers,
//! length-prefixed strings; see [`entry_hash`]). From the entry named in
//! `audit.key` on ([`AuditKey::keyed_from`]: entry 1 for a database made
//! since the key exists) it is HMAC-SHA256 under that key with the domain
//! `citycard-audit-v2-hmac` ([`entry_mac`]); entries written before the
//! office had a key keep their plain SHA-256 (`citycard-audit-v1`), which the
//! first keyed entry's MAC anchors. So whoever can write to the database but
//! cannot read the key directory can no longer drop the triggers, delete an
//! entry and recompute the chain: [`verify`] reports it. The first entry's
//! `prev_hash` is 32 zero bytes. The head row (`audit_head`) holds the last
//! sequence number and hash, so cutting entries off the end is detected too
//! unless the head is moved back with them; an exported [`Checkpoint`]
//! that an auditor keeps outside the office catches that as well. The
//! database refuses UPDATE and DELETE on the table (triggers).

mod checkpoint;
mod csv;
mod key;
mod verified;

pub use checkpoint::Checkpoint;
pub use csv::{ActionLabel, CSV_HEADER, write_csv};
pub(crate) use verified::LastCheck;
pub use verified::WholeCheck;

/// Largest checkpoint file read.
pub fn checkpoint_max_file() -> u64 {
    checkpoint::MAX_FILE
}
pub use key::open_key;

use crate::audit_key::{self, AuditKey};
use crate::db::{self, Db, DbConnection};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use citycard_credential::CardNumber;
use std::io::Write;
use time::PrimitiveDateTime;

/// Length of an entry hash.
pub const HASH_LEN: usize = 32;
const DOMAIN: &[u8] = b"citycard-audit-v1";
const KEYED_DOMAIN: &[u8] = b"citycard-audit-v2-hmac";
/// The `office_meta` entry that proves `audit.key` belongs to the database.
pub(crate) const KEY_CHECK: &str = "audit_key_check";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// A resident was enrolled and a first card issued.
    CardIssued,
    /// A card was renewed (a new card; the old one revoked as renewed).
    CardRenewed,
    /// A card was replaced (lost, stolen, damaged).
    CardReplaced,
    /// A card was revoked.
    CardRevoked,
    /// A resident's personal data was erased.
    ResidentErased,
    /// A card was marked printed.
    CardPrinted,
    /// A card was printed again after being marked printed.
    CardReprinted,
    /// A card's personal data was shown.
    CardViewed,
    /// A search by name and date of birth.
    SearchedByName,
    /// A user was created.
    UserCreated,
    /// A user's password was set by an admin.
    PasswordSet,
    /// A user changed their own password.
    PasswordChanged,
    /// A user's role was changed.
    RoleChanged,
    /// A user was disabled.
    UserDisabled,
    /// A user was enabled again.
    UserEnabled,
    /// An API token was created.
    ApiTokenCreated,
    /// An API token was revoked.
    ApiTokenRevoked,
    /// A user logged in (actor: the user; never the address).
    LoginSucceeded,
    /// A login to an existing account failed (wrong password, disabled
    /// account, or refused while locked). Unknown account names are not
    /// recorded (they might be a mistyped password).
    LoginFailed,
    /// Too many failed logins: the account was locked for a while.
    AccountLocked,
    /// A user logged out.
    LoggedOut,
    /// The print queue was listed with the residents' names (detail:
    /// `count=N`).
    PrintQueueViewed,
    /// A card's PDF (name, birth date, photo) was made, not a reprint
    /// (detail: `photo=0|1`).
    CardPdfMade,
    /// A PDF of several cards was made (detail: `count=N`).
    BatchPdfMade,
    /// An enrolment found residents with the same name and birth date and
    /// showed their card numbers instead of issuing (detail: `results=N`).
    DuplicatesShown,
    /// A resident's photo was shown.
    PhotoViewed,
    /// The chain's key (`audit.key`) was made; the chain is keyed from this
    /// entry on (detail: `keyed_from=N`).
    AuditKeyCreated,
    /// An audit checkpoint was exported (it covers this entry).
    AuditCheckpointMade,
    /// The personal-data keys were rotated (`citycard keys
    /// rotate-data-key`; detail: counts of re-sealed blobs).
    DataKeysRotated,
    /// A site was created (detail: `site=ID`; its name and kind are sealed).
    SiteCreated,
    /// A site was renamed.
    SiteRenamed,
    /// A site was closed.
    SiteClosed,
    /// A site was opened again.
    SiteReopened,
    /// A user was put at a site or made city-wide.
    UserSiteSet,
    /// A pick-up list was shown with the residents' names (`count=N`).
    PickupListViewed,
    /// A card printed centrally was sent to its pick-up site.
    CardSent,
    /// A card arrived at its pick-up site.
    CardReceived,
    /// A card was handed over to its resident.
    CardHandedOver,
    /// A card that was not collected was destroyed.
    CardDestroyed,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::CardIssued => "card_issued",
            AuditAction::CardRenewed => "card_renewed",
            AuditAction::CardReplaced => "card_replaced",
            AuditAction::CardRevoked => "card_revoked",
            AuditAction::ResidentErased => "resident_erased",
            AuditAction::CardPrinted => "card_printed",
            AuditAction::CardReprinted => "card_reprinted",
            AuditAction::CardViewed => "card_viewed",
            AuditAction::SearchedByName => "searched_by_name",
            AuditAction::UserCreated => "user_created",
            AuditAction::PasswordSet => "password_set",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::UserDisabled => "user_disabled",
            AuditAction::UserEnabled => "user_enabled",
            AuditAction::ApiTokenCreated => "api_token_created",
            AuditAction::ApiTokenRevoked => "api_token_revoked",
            AuditAction::LoginSucceeded => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::AccountLocked => "account_locked",
            AuditAction::LoggedOut => "logout",
            AuditAction::PrintQueueViewed => "print_queue_viewed",
            AuditAction::CardPdfMade => "card_pdf_made",
            AuditAction::BatchPdfMade => "batch_pdf_made",
            AuditAction::DuplicatesShown => "duplicates_shown",
            AuditAction::PhotoViewed => "photo_viewed",
            AuditAction::AuditKeyCreated => "audit_key_created",
            AuditAction::AuditCheckpointMade => "audit_checkpoint_made",
            AuditAction::DataKeysRotated => "data_keys_rotated",
            AuditAction::SiteCreated => "site_created",
            AuditAction::SiteRenamed => "site_renamed",
            AuditAction::SiteClosed => "site_closed",
            AuditAction::SiteReopened => "site_reopened",
            AuditAction::UserSiteSet => "user_site_set",
            AuditAction::PickupListViewed => "pickup_list_viewed",
            AuditAction::CardSent => "card_sent",
            AuditAction::CardReceived => "card_received",
            AuditAction::CardHandedOver => "card_handed_over",
            AuditAction::CardDestroyed => "card_destroyed",
        }
    }

    /// Every action, for the catalogs' check and the docs.
    pub const ALL: [AuditAction; 39] = [
        AuditAction::CardIssued,
        AuditAction::CardRenewed,
        AuditAction::CardReplaced,
        AuditAction::CardRevoked,
        AuditAction::ResidentErased,
        AuditAction::CardPrinted,
        AuditAction::CardReprinted,
        AuditAction::CardViewed,
        AuditAction::SearchedByName,
        AuditAction::UserCreated,
        AuditAction::PasswordSet,
        AuditAction::PasswordChanged,
        AuditAction::RoleChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::AccountLocked,
        AuditAction::LoggedOut,
        AuditAction::PrintQueueViewed,
        AuditAction::CardPdfMade,
        AuditAction::BatchPdfMade,
        AuditAction::DuplicatesShown,
        AuditAction::PhotoViewed,
        AuditAction::AuditKeyCreated,
        AuditAction::AuditCheckpointMade,
        AuditAction::DataKeysRotated,
        AuditAction::SiteCreated,
        AuditAction::SiteRenamed,
        AuditAction::SiteClosed,
        AuditAction::SiteReopened,
        AuditAction::UserSiteSet,
        AuditAction::PickupListViewed,
        AuditAction::CardSent,
        AuditAction::CardReceived,
        AuditAction::CardHandedOver,
        AuditAction::CardDestroyed,
    ];
}

/// One entry as stored (the row is defined with the table in `db::audit`).
pub use crate::db::audit::AuditEntry;

fn put_str(buf: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// The fields an entry's hash or MAC covers, in this order.
pub struct Hashed<'a> {
    pub prev_hash: &'a [u8],
    pub seq: i64,
    pub at: PrimitiveDateTime,
    pub actor: &'a str,
    pub office: &'a str,
    pub action: &'a str,
    pub card_number: Option<i64>,
    pub detail: &'a str,
}

impl Hashed<'_> {
    /// The bytes the hash or MAC covers, after `domain`.
    fn bytes(&self, domain: &[u8]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(128 + self.detail.len());
        buf.extend_from_slice(domain);
        buf.extend_from_slice(self.prev_hash);
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&self.at.assume_utc().unix_timestamp().to_be_bytes());
        put_str(&mut buf, self.actor);
        put_str(&mut buf, self.office);
        put_str(&mut buf, self.action);
        buf.extend_from_slice(&self.card_number.unwrap_or(-1).to_be_bytes());
        put_str(&mut buf, self.detail);
        buf
    }

    /// The plain SHA-256 hash (the entries before the keyed part).
    pub fn plain_hash(&self) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA256, &self.bytes(DOMAIN))
            .as_ref()
            .to_vec()
    }

    /// The keyed hash (HMAC-SHA256 under `audit.key`).
    pub fn mac(&self, key: &AuditKey) -> Vec<u8> {
        key.mac(&self.bytes(KEYED_DOMAIN))
    }
}

/// The plain hash of an entry given its fields and the previous hash (the
/// entries before the keyed part of the chain).
#[expect(
    clippy::too_many_arguments,
    reason = "the hash covers exactly these fields, in this order"
)]
pub fn entry_hash(
    prev_hash: &[u8],
    seq: i64,
    at: PrimitiveDateTime,
    actor: &str,
    office: &str,
    action: &str,
    card_number: Option<i64>,
    detail: &str,
) -> Vec<u8> {
    Hashed {
        prev_hash,
        seq,
        at,
        actor,
        office,
        action,
        card_number,
        detail,
    }
    .plain_hash()
}

impl AuditEntry {
    /// The fields the entry's hash covers.
    fn hashed(&self) -> Hashed<'_> {
        Hashed {
            prev_hash: &self.prev_hash,
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            office: &self.office,
            action: &self.action,
            card_number: self.card_number,
            detail: &self.detail,
        }
    }

    /// Whether the entry's hash is right: its MAC under `key` when the
    /// entry is in the keyed part of the chain, else its plain hash.
    pub fn hash_is_valid(&self, key: Option<&AuditKey>) -> bool {
        match key {
            Some(k) if self.seq >= k.keyed_from() => {
                k.verify(&self.hashed().bytes(KEYED_DOMAIN), &self.hash)
            }
            _ => self.hash == self.expected_hash(),
        }
    }

    /// The plain hash this entry would have outside the keyed part.
    pub fn expected_hash(&self) -> Vec<u8> {
        self.hashed().plain_hash()
    }
}

/// Appends an entry. Must run inside [`Db::write`], in the same
/// transaction as the change it records, AFTER that transaction's other
/// writes: it locks the head row until the transaction ends, and taking it
/// after every row lock is what keeps PostgreSQL transactions from
/// deadlocking. [`Db::write`] puts the database's `audit.key` in scope; an
/// append to a keyed chain without it is refused (it would break the chain).
pub fn append(
    conn: &mut DbConnection,
    actor: &str,
    office: &str,
    action: AuditAction,
    card: Option<CardNumber>,
    detail: &str,
) -> Result<i64> {
    append_counting(conn, actor, office, action, card, detail, &[])
}

/// [`append`], and adds the steps the entry records to the sites' monthly
/// figures (`site_figures`, see `office::figures`) in the same statement
/// (`db::audit::insert`): the figures' rows are written only here, after
/// the head is locked, so that they are locked for as short a time as
/// the head, and always after it.
pub fn append_counting(
    conn: &mut DbConnection,
    actor: &str,
    office: &str,
    action: AuditAction,
    card: Option<CardNumber>,
    detail: &str,
    events: &[db::sites::SiteEvent],
) -> Result<i64> {
    let (seq, prev) = db::audit::lock_head(conn)?;
    let seq = seq + 1;
    let at = db::now();
    let card_number = card.and_then(|c| i64::try_from(c.as_u64()).ok());
    let key = audit_key::in_scope();
    // Who acted is sealed under the audit key (issue 11): a partner site's
    // clerk must not be linkable to the cards they enrolled by whoever
    // holds only the database.
    let sealed_actor;
    let actor = match key.as_deref() {
        Some(k) => {
            sealed_actor = k.seal_actor(seq, actor)?;
            sealed_actor.as_str()
        }
        None => actor,
    };
    let fields = Hashed {
        prev_hash: &prev,
        seq,
        at,
        actor,
        office,
        action: action.as_str(),
        card_number,
        detail,
    };
    let hash = match key.as_deref() {
        Some(k) if seq >= k.keyed_from() => fields.mac(k),
        _ => {
            if key.is_none() && db::meta::get(conn, KEY_CHECK)?.is_some() {
                return Err(Error::Keys(
                    "the audit chain is keyed but audit.key is not loaded: nothing was written"
                        .to_owned(),
                ));
            }
            fields.plain_hash()
        }
    };
    db::audit::insert(
        conn,
        &AuditEntry {
            seq,
            at,
            actor: actor.to_owned(),
            office: office.to_owned(),
            action: action.as_str().to_owned(),
            card_number,
            detail: detail.to_owned(),
            prev_hash: prev,
            hash,
        },
        events,
    )?;
    Ok(seq)
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: u64,
    /// The first entry that breaks the chain and why, if any.
    pub first_broken: Option<BrokenEntry>,
    /// The first entry of the keyed part of the chain (`audit.key`), or
    /// `None` when no key was loaded (then only the plain hashes were
    /// checked, which whoever can write to the database can recompute).
    pub keyed_from: Option<i64>,
    /// The entry of the checkpoint that was checked, if one was given and
    /// the database still holds that history.
    pub checkpoint: Option<i64>,
    /// When only the entries after an earlier check of the whole chain
    /// were checked: that check ([`Office::verify_audit_since_last`]).
    pub earlier: Option<WholeCheck>,
    /// The last entry checked, intact: sequence number and hash (`None`
    /// for an empty or a broken log).
    pub last: Option<(i64, Vec<u8>)>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    /// The sequence number of the first bad entry (for a missing tail: the
    /// first missing number).
    pub seq: i64,
    /// What is wrong.
    pub problem: &'static str,
}

impl std::fmt::Display for ChainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.first_broken {
            None => {
                write!(f, "the audit log is intact: {} entries", self.entries)?;
                match self.keyed_from {
                    Some(1) => write!(f, "; keyed with audit.key from the first entry")?,
                    Some(n) => write!(
                        f,
                        "; keyed with audit.key from entry {n} on (entries before it by their \
                         plain hash chain, anchored by entry {n})"
                    )?,
                    None => write!(
                        f,
                        "; NOT keyed (audit.key not loaded): only the plain hashes were checked"
                    )?,
                }
                if let Some(n) = self.checkpoint {
                    write!(f, "; the checkpoint at entry {n} matches")?;
                }
                Ok(())
            }
            Some(b) => write!(
                f,
                "the audit log is BROKEN at entry {}: {} ({} entries before it are intact)",
                b.seq,
                b.problem,
                b.seq.saturating_sub(1).max(0)
            ),
        }
    }
}

/// Checks the whole chain, in batches, and names the first broken entry.
/// The keyed part is checked with the database's `audit.key` (loaded when
/// the office opened).
pub fn verify(db: &Db) -> Result<ChainReport> {
    verify_chain(db, None, None)
}

/// [`verify`], and that the database still holds the history up to an
/// exported checkpoint (the checkpoint's MAC is checked first).
pub fn verify_with_checkpoint(db: &Db, checkpoint: &Checkpoint) -> Result<ChainReport> {
    let key = db.audit_key().ok_or_else(|| {
        Error::Keys("audit.key is not loaded: a checkpoint cannot be checked".to_owned())
    })?;
    if !checkpoint.is_authentic(&key) {
        return Err(Error::Keys(
            "the checkpoint was not made with this office's audit.key (another office, or \
             the file was changed)"
                .to_owned(),
        ));
    }
    verify_chain(db, Some(checkpoint), None)
}

/// The chain from where an earlier check of the whole of it ended
/// (`from`), if that entry is still there, unchanged (its hash the same,
/// and its content still matching it): `None` if not (then only a check
/// of the whole chain can tell what changed).
pub(crate) fn verify_from(db: &Db, from: &WholeCheck) -> Result<Option<ChainReport>> {
    let mut conn = db.conn()?;
    let anchor = db::audit::batch_from(&mut conn, from.seq, 1)?;
    drop(conn);
    let key = db.audit_key();
    match anchor.first() {
        Some(e) if e.seq == from.seq && e.hash == from.hash && e.hash_is_valid(key.as_deref()) => {
            verify_chain(db, None, Some(from)).map(Some)
        }
        _ => Ok(None),
    }
}

fn verify_chain(
    db: &Db,
    checkpoint: Option<&Checkpoint>,
    from: Option<&WholeCheck>,
) -> Result<ChainReport> {
    const BATCH: i64 = 2000;
    let key = db.audit_key();
    let keyed_from = key.as_ref().map(|k| k.keyed_from());
    let mut conn = db.conn()?;
    let (mut prev, mut expected_seq, mut entries) = match from {
        Some(w) => (w.hash.clone(), w.seq + 1, w.entries),
        None => (vec![0u8; HASH_LEN], 1i64, 0u64),
    };
    let mut checkpoint_seen = false;
    let earlier = from.cloned();
    let broken = |entries, seq, problem| {
        Ok(ChainReport {
            entries,
            first_broken: Some(BrokenEntry { seq, problem }),
            keyed_from,
            checkpoint: None,
            earlier: earlier.clone(),
            last: None,
        })
    };
    loop {
        let batch = db::audit::batch_from(&mut conn, expected_seq, BATCH)?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            if e.seq != expected_seq {
                return broken(entries, expected_seq, "the entry is missing");
            }
            if e.prev_hash != prev {
                return broken(
                    entries,
                    e.seq,
                    "its previous-hash does not match the entry before it",
                );
            }
            if !e.hash_is_valid(key.as_deref()) {
                return broken(
                    entries,
                    e.seq,
                    "its content does not match its hash (altered)",
                );
            }
            if let Some(cp) = checkpoint.filter(|cp| cp.seq == e.seq) {
                if cp.hash != e.hash {
                    return broken(
                        entries,
                        e.seq,
                        "it differs from the exported checkpoint (history rewritten)",
                    );
                }
                checkpoint_seen = true;
            }
            prev.clone_from(&e.hash);
            expected_seq += 1;
            entries += 1;
        }
    }
    // Entries below 1 would be skipped by the loop: there must be none.
    if db::audit::lowest_seq(&mut conn)?.is_some_and(|lowest| lowest < 1) {
        return broken(entries, 0, "an entry has a sequence number below 1");
    }
    let (head_seq, head_hash) = db::audit::head(&mut conn)?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        let seq = if head_seq >= expected_seq {
            expected_seq
        } else {
            head_seq + 1
        };
        return broken(
            entries,
            seq,
            "the head of the chain does not match the last entry (entries cut off or added)",
        );
    }
    // A key made for an existing log starts with an entry of its own: a
    // log that ends before it lost its keyed part.
    if let Some(from) = keyed_from.filter(|&from| from > 1 && expected_seq <= from) {
        return broken(
            entries,
            expected_seq.min(from),
            "the keyed part of the chain that audit.key names is missing (entries cut off)",
        );
    }
    if let Some(cp) = checkpoint.filter(|_| !checkpoint_seen) {
        return broken(
            entries,
            cp.seq.min(expected_seq),
            "the entry of the exported checkpoint is missing (entries cut off)",
        );
    }
    Ok(ChainReport {
        entries,
        first_broken: None,
        keyed_from,
        checkpoint: checkpoint.map(|cp| cp.seq),
        earlier,
        last: (expected_seq > 1).then_some((expected_seq - 1, prev)),
    })
}

/// Who acted, as an auditor reads it: a sealed actor opened with the
/// audit key (`maria@site:123`), a plain one (entries from before sealing)
/// as stored; one that does not open (no key, or not this key's) as
/// `(sealed)`. For display only: the chain covers the stored text.
pub fn readable_actor(key: Option<&AuditKey>, seq: i64, stored: &str) -> String {
    match key {
        Some(k) => k.open_actor(seq, stored),
        None if !stored.starts_with(audit_key::SEALED_ACTOR_PREFIX) => Some(stored.to_owned()),
        None => None,
    }
    .unwrap_or_else(|| "(sealed)".to_owned())
}

/// Which entries to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries before this sequence number (paging backwards).
    pub before: Option<i64>,
    /// Only entries about this card.
    pub card_number: Option<CardNumber>,
    /// At most this many (capped at 500; default 100).
    pub limit: Option<u32>,
}

impl Office {
    /// Audit entries, newest first (auditors only).
    pub fn audit_entries(&self, actor: &Actor, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        actor.require(Permission::ReadAudit)?;
        let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 500));
        let card = query
            .card_number
            .map(|card| i64::try_from(card.as_u64()).unwrap_or(-1));
        let mut entries = self
            .db()
            .read(|c| db::audit::newest(c, query.before, card, limit))?;
        let key = self.db().audit_key();
        for e in &mut entries {
            e.actor = readable_actor(key.as_deref(), e.seq, &e.actor);
        }
        Ok(entries)
    }

    /// Writes the whole audit log as CSV (auditors only), the actions'
    /// labels as stored.
    pub fn export_audit_csv(&self, actor: &Actor, out: &mut dyn Write) -> Result<u64> {
        self.export_audit_csv_labelled(actor, out, &|a| a.to_owned())
    }

    /// Writes the whole audit log as CSV (auditors only), each action also
    /// named by `label` (the reader's language).
    pub fn export_audit_csv_labelled(
        &self,
        actor: &Actor,
        out: &mut dyn Write,
        label: ActionLabel<'_>,
    ) -> Result<u64> {
        actor.require(Permission::ReadAudit)?;
        write_csv(self.db(), out, label)
    }

    /// Checks the whole chain (auditors only), and remembers where it
    /// ended for [`Office::verify_audit_since_last`].
    pub fn verify_audit(&self, actor: &Actor) -> Result<ChainReport> {
        actor.require(Permission::ReadAudit)?;
        self.check_audit_chain()
    }

    /// The office's own check of the whole chain (the server runs it after
    /// it starts and daily, and logs the outcome): remembered like an
    /// auditor's, so the audit page then checks only what came since.
    pub fn check_audit_chain(&self) -> Result<ChainReport> {
        let report = verify(self.db())?;
        self.last_audit_check().whole_checked(&report, self.now());
        Ok(report)
    }

    /// Checks the chain from where the last check of the whole of it in
    /// this process ended (auditors only; the audit page): a view costs
    /// the entries written since, not the log. The report names that check
    /// ([`ChainReport::earlier`]). The whole chain is checked when there
    /// was no such check yet, or when its last entry is no longer there
    /// unchanged. A broken chain is never remembered.
    pub fn verify_audit_since_last(&self, actor: &Actor) -> Result<ChainReport> {
        actor.require(Permission::ReadAudit)?;
        if let Some(from) = self.last_audit_check().get()
            && let Some(report) = verify_from(self.db(), &from)?
        {
            self.last_audit_check().checked_since(&report);
            return Ok(report);
        }
        self.verify_audit(actor)
    }

    /// Checks the chain and that it still holds the history up to an
    /// exported checkpoint (auditors only).
    pub fn verify_audit_checkpoint(
        &self,
        actor: &Actor,
        checkpoint: &Checkpoint,
    ) -> Result<ChainReport> {
        actor.require(Permission::ReadAudit)?;
        let report = verify_with_checkpoint(self.db(), checkpoint)?;
        self.last_audit_check().whole_checked(&report, self.now());
        Ok(report)
    }

    /// Records a checkpoint in the log and returns it, covering that entry
    /// (auditors; the command line). The auditor keeps it outside the
    /// office and checks it later with [`Office::verify_audit_checkpoint`].
    pub fn audit_checkpoint(&self, actor: &Actor) -> Result<Checkpoint> {
        actor.require(Permission::ReadAudit)?;
        let key = self.db().audit_key().ok_or_else(|| {
            Error::Keys("audit.key is not loaded: no checkpoint can be made".to_owned())
        })?;
        let (seq, hash, at) = self.db().write(|c| {
            append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::AuditCheckpointMade,
                None,
                "",
            )?;
            let (seq, hash) = db::audit::head(c)?;
            Ok((seq, hash, db::now()))
        })?;
        Ok(Checkpoint::new(&key, self.office_name(), at, seq, hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_needs_the_key() {
        let at = PrimitiveDateTime::new(
            time::macros::date!(2026 - 01 - 02),
            time::macros::time!(03:04:05),
        );
        let key = AuditKey::new(&[1; 32], 1);
        let other = AuditKey::new(&[2; 32], 1);
        let fields = Hashed {
            prev_hash: &[0; 32],
            seq: 1,
            at,
            actor: "a",
            office: "o",
            action: "login",
            card_number: None,
            detail: "",
        };
        let mac = fields.mac(&key);
        let plain = entry_hash(&[0; 32], 1, at, "a", "o", "login", None, "");
        assert_ne!(mac, plain);
        assert_ne!(mac, fields.mac(&other));
        let entry = AuditEntry {
            seq: 1,
            at,
            actor: "a".into(),
            office: "o".into(),
            action: "login".into(),
            card_number: None,
            detail: String::new(),
            prev_hash: vec![0; 32],
            hash: mac,
        };
        assert!(entry.hash_is_valid(Some(&key)));
        assert!(!entry.hash_is_valid(Some(&other)));
        assert!(!entry.hash_is_valid(None));
        // Before the keyed part, the plain hash is what counts.
        let old = AuditEntry {
            hash: plain,
            ..entry
        };
        assert!(old.hash_is_valid(Some(&AuditKey::new(&[1; 32], 2))));
        assert!(!old.hash_is_valid(Some(&key)));
    }

    #[test]
    fn hash_covers_every_field() {
        let at = PrimitiveDateTime::new(
            time::macros::date!(2026 - 01 - 02),
            time::macros::time!(03:04:05),
        );
        let base = entry_hash(
            &[0; 32],
            1,
            at,
            "anna",
            "Mitte",
            "card_issued",
            Some(5),
            "x",
        );
        let later = at + time::Duration::seconds(1);
        for other in [
            entry_hash(
                &[1; 32],
                1,
                at,
                "anna",
                "Mitte",
                "card_issued",
                Some(5),
                "x",
            ),
            entry_hash(
                &[0; 32],
                2,
                at,
                "anna",
                "Mitte",
                "card_issued",
                Some(5),
                "x",
            ),
            entry_hash(
                &[0; 32],
                1,
                later,
                "anna",
                "Mitte",
                "card_issued",
                Some(5),
                "x",
            ),
            entry_hash(&[0; 32], 1, at, "ann", "Mitte", "card_issued", Some(5), "x"),
            entry_hash(&[0; 32], 1, at, "anna", "Mitt", "card_issued", Some(5), "x"),
            entry_hash(
                &[0; 32],
                1,
                at,
                "anna",
                "Mitte",
                "card_revoked",
                Some(5),
                "x",
            ),
            entry_hash(&[0; 32], 1, at, "anna", "Mitte", "card_issued", None, "x"),
            entry_hash(
                &[0; 32],
                1,
                at,
                "anna",
                "Mitte",
                "card_issued",
                Some(5),
                "y",
            ),
            // Moving a byte between fields changes the hash (length prefixes).
            entry_hash(
                &[0; 32],
                1,
                at,
                "annaM",
                "itte",
                "card_issued",
                Some(5),
                "x",
            ),
        ] {
            assert_ne!(base, other);
        }
    }
}
