//! The audit log: append-only and hash-chained.
//!
//! Each entry records who (user name), where (office), when (UTC, to the
//! second), what (an [`AuditAction`]), which card (if any) and a short
//! non-personal detail (`reason=lost`, `new_card=…`, `results=2`). It never
//! holds a name, a date of birth or a photo, so erasing a resident never has
//! to touch it (DESIGN.md §1 rule 7).
//!
//! Chain: `hash = SHA-256("citycard-audit-v1" ‖ prev_hash ‖ seq ‖ at ‖
//! actor ‖ office ‖ action ‖ card_number ‖ detail)` with fixed-width
//! big-endian integers and length-prefixed strings (see [`entry_hash`]).
//! The first entry's `prev_hash` is 32 zero bytes. The head row
//! (`audit_head`) holds the last sequence number and hash, so cutting
//! entries off the end is detected too. The database refuses UPDATE and
//! DELETE on the table (triggers); the chain catches whoever gets past that.

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
    /// The personal-data keys were rotated (`citycard keys
    /// rotate-data-key`; detail: counts of re-sealed blobs).
    DataKeysRotated,
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
            AuditAction::DataKeysRotated => "data_keys_rotated",
        }
    }
}

/// One entry as stored (the row is defined with the table in `db::audit`).
pub use crate::db::audit::AuditEntry;

fn put_str(buf: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// The hash of an entry given its fields and the previous hash.
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
    let mut buf = Vec::with_capacity(128 + detail.len());
    buf.extend_from_slice(DOMAIN);
    buf.extend_from_slice(prev_hash);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&at.assume_utc().unix_timestamp().to_be_bytes());
    put_str(&mut buf, actor);
    put_str(&mut buf, office);
    put_str(&mut buf, action);
    buf.extend_from_slice(&card_number.unwrap_or(-1).to_be_bytes());
    put_str(&mut buf, detail);
    ring::digest::digest(&ring::digest::SHA256, &buf)
        .as_ref()
        .to_vec()
}

impl AuditEntry {
    /// The hash this entry should have.
    pub fn expected_hash(&self) -> Vec<u8> {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            &self.office,
            &self.action,
            self.card_number,
            &self.detail,
        )
    }
}

/// Appends an entry. Must run inside [`Db::write`], in the same
/// transaction as the change it records, AFTER that transaction's other
/// writes: it locks the head row until the transaction ends, and taking it
/// after every row lock is what keeps PostgreSQL transactions from
/// deadlocking.
pub fn append(
    conn: &mut DbConnection,
    actor: &str,
    office: &str,
    action: AuditAction,
    card: Option<CardNumber>,
    detail: &str,
) -> Result<i64> {
    db::lock_for_writing(conn)?;
    let (seq, prev) = db::audit::head(conn)?;
    let seq = seq + 1;
    let at = db::now();
    let card_number = card.and_then(|c| i64::try_from(c.as_u64()).ok());
    let hash = entry_hash(
        &prev,
        seq,
        at,
        actor,
        office,
        action.as_str(),
        card_number,
        detail,
    );
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
            None => write!(f, "the audit log is intact: {} entries", self.entries),
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
pub fn verify(db: &Db) -> Result<ChainReport> {
    const BATCH: i64 = 2000;
    let mut conn = db.conn()?;
    let mut prev = vec![0u8; HASH_LEN];
    let mut expected_seq = 1i64;
    let mut entries = 0u64;
    let broken = |entries, seq, problem| {
        Ok(ChainReport {
            entries,
            first_broken: Some(BrokenEntry { seq, problem }),
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
            if e.hash != e.expected_hash() {
                return broken(
                    entries,
                    e.seq,
                    "its content does not match its hash (altered)",
                );
            }
            prev.clone_from(&e.hash);
            expected_seq += 1;
            entries += 1;
        }
    }
    // Entries below 1 would be skipped by the loop: there must be none.
    let stray = db::audit::count_below_one(&mut conn)?;
    if stray > 0 {
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
    Ok(ChainReport {
        entries,
        first_broken: None,
    })
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

/// Quotes a CSV field; a field that a spreadsheet would take for a formula
/// gets a leading apostrophe.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV header line of [`write_csv`].
pub const CSV_HEADER: &str = "seq,at_utc,actor,office,action,card_number,detail,prev_hash,hash";

/// Writes every entry as CSV (header first), oldest first; returns how many.
pub fn write_csv(db: &Db, out: &mut dyn Write) -> Result<u64> {
    const BATCH: i64 = 2000;
    let io = |source| Error::Io {
        path: "(audit export)".into(),
        source,
    };
    writeln!(out, "{CSV_HEADER}").map_err(io)?;
    let mut conn = db.conn()?;
    let mut after = 0i64;
    let mut n = 0u64;
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    loop {
        let batch = db::audit::batch_from(&mut conn, after + 1, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.seq;
        for e in &batch {
            let card = e
                .card_number
                .and_then(|c| u64::try_from(c).ok())
                .map(|c| format!("{c:012}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                e.seq,
                e.at.format(&fmt).unwrap_or_default(),
                csv_field(&e.actor),
                csv_field(&e.office),
                csv_field(&e.action),
                card,
                csv_field(&e.detail),
                citycard_credential::keys::to_hex(&e.prev_hash),
                citycard_credential::keys::to_hex(&e.hash),
            )
            .map_err(io)?;
            n += 1;
        }
    }
    out.flush().map_err(io)?;
    Ok(n)
}

impl Office {
    /// Audit entries, newest first (auditors only).
    pub fn audit_entries(&self, actor: &Actor, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        actor.require(Permission::ReadAudit)?;
        let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 500));
        let card = query
            .card_number
            .map(|card| i64::try_from(card.as_u64()).unwrap_or(-1));
        self.db()
            .read(|c| db::audit::newest(c, query.before, card, limit))
    }

    /// Writes the whole audit log as CSV (auditors only).
    pub fn export_audit_csv(&self, actor: &Actor, out: &mut dyn Write) -> Result<u64> {
        actor.require(Permission::ReadAudit)?;
        write_csv(self.db(), out)
    }

    /// Checks the chain (auditors only).
    pub fn verify_audit(&self, actor: &Actor) -> Result<ChainReport> {
        actor.require(Permission::ReadAudit)?;
        verify(self.db())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_formula_guard() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
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
