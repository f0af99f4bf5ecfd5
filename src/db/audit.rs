//! The `audit_log` and `audit_head` tables: rows and queries. The chain's
//! rules (hashing, appending, checking) live in `office/audit.rs`.

use super::DbConnection;
use super::schema::{audit_head, audit_log};
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// Sequence number, from 1 without gaps.
    #[diesel(column_name = id)]
    pub seq: i64,
    /// When (UTC).
    pub at: PrimitiveDateTime,
    /// The user name (or `system`, `cli`).
    pub actor: String,
    /// The office.
    pub office: String,
    /// The action's stored name (see `AuditAction::as_str`).
    pub action: String,
    /// The card concerned, as its 12-digit integer value.
    pub card_number: Option<i64>,
    /// Non-personal detail.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub hash: Vec<u8>,
}

/// The head of the chain: the last sequence number and hash.
pub fn head(c: &mut DbConnection) -> Result<(i64, Vec<u8>)> {
    Ok(super::on_backend!(c, |c| audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .get_result(c))?)
}

/// The head of the chain, locked until the transaction ends so that the
/// chain stays one line: on PostgreSQL `SELECT … FOR UPDATE` (one round
/// trip, and the row lock is held only from here, the append, to the
/// commit); on SQLite a read: a [`super::Db::write`] transaction holds
/// the database's one write lock from its `BEGIN IMMEDIATE` on, and a
/// transaction begun otherwise that read an older head could not write
/// (SQLite refuses a write from a snapshot that another writer moved on
/// from, `SQLITE_BUSY_SNAPSHOT`).
pub fn lock_head(c: &mut DbConnection) -> Result<(i64, Vec<u8>)> {
    match c {
        DbConnection::Pg(pg) => audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .for_update()
            .get_result(pg)
            .optional()?
            .ok_or(crate::error::Error::Integrity(
                "the audit head row is missing",
            )),
        DbConnection::Sqlite(_) => head(c),
    }
}

/// Inserts an entry and moves the head to it.
pub fn insert(c: &mut DbConnection, e: &AuditEntry) -> Result<()> {
    super::on_backend!(c, |c| diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(e.seq),
            audit_log::at.eq(e.at),
            audit_log::actor.eq(&e.actor),
            audit_log::office.eq(&e.office),
            audit_log::action.eq(&e.action),
            audit_log::card_number.eq(e.card_number),
            audit_log::detail.eq(&e.detail),
            audit_log::prev_hash.eq(&e.prev_hash),
            audit_log::hash.eq(&e.hash),
        ))
        .execute(c))?;
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(e.seq), audit_head::hash.eq(&e.hash)))
        .execute(c)?;
    Ok(())
}

/// Up to `limit` entries from sequence number `from` on, oldest first.
pub fn batch_from(c: &mut DbConnection, from: i64, limit: i64) -> Result<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::id.ge(from))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(c)?)
}

/// How many entries have a sequence number below 1.
pub fn count_below_one(c: &mut DbConnection) -> Result<i64> {
    Ok(audit_log::table
        .filter(audit_log::id.lt(1))
        .count()
        .get_result(c)?)
}

/// Up to `limit` entries, newest first, before a sequence number and about
/// a card (as stored) when given.
pub fn newest(
    c: &mut DbConnection,
    before: Option<i64>,
    card_number: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let mut q = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(audit_log::id.lt(before));
    }
    if let Some(n) = card_number {
        q = q.filter(audit_log::card_number.eq(n));
    }
    Ok(q.load(c)?)
}
