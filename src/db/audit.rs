//! The `audit_log` and `audit_head` tables: rows and queries. The chain's
//! rules (hashing, appending, checking) live in `office/audit.rs`.

use super::DbConnection;
use super::Remembered;
use super::schema::{audit_head, audit_log};
use super::sites::SiteEvent;
use crate::error::Result;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Binary, Nullable, Text, Timestamp};
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

/// The head as this transaction's last append left it (see
/// `db::writer::epoch`: forgotten when the transaction ends or a rollback
/// may have undone that append), so that the next append of the same
/// transaction needs not read and lock it again: one round trip less per
/// enrolment in a batch on PostgreSQL.
static HEAD: Remembered<(i64, Vec<u8>)> = Remembered::new();

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
///
/// Later appends of the same transaction take the head that the last one
/// left ([`HEAD`]): it is still locked, and nothing else moved it.
pub fn lock_head(c: &mut DbConnection) -> Result<(i64, Vec<u8>)> {
    if let Some(head) = HEAD.get() {
        return Ok(head);
    }
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

/// Inserts an entry, adds the steps it records to the sites' figures
/// (`site_figures`), and moves the head to the entry.
///
/// On PostgreSQL in one statement: one round trip while the head row is
/// locked (every other writer of the chain waits for it), and the
/// figures' rows are locked only from there to the commit, always after
/// the head row (the same order in every transaction, so none deadlock;
/// nothing else writes `site_figures`). Every statement is prepared once
/// per connection ([`MoveHead`], [`AppendAndMove`]).
pub fn insert(c: &mut DbConnection, e: &AuditEntry, events: &[SiteEvent]) -> Result<()> {
    if let DbConnection::Pg(pg) = c {
        let moved = match events {
            [] => AppendAndMove::<0>::new(e, events).execute(pg)?,
            [_] => AppendAndMove::<1>::new(e, events).execute(pg)?,
            [_, _] => AppendAndMove::<2>::new(e, events).execute(pg)?,
            _ => {
                for ev in events {
                    super::sites::count_event(c, ev.site, &ev.month, ev.event)?;
                }
                return insert(c, e, &[]);
            }
        };
        if moved != 1 {
            return Err(crate::error::Error::Integrity(
                "the audit head row is missing",
            ));
        }
        HEAD.set((e.seq, e.hash.clone()));
        return Ok(());
    }
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
    for ev in events {
        super::sites::count_event(c, ev.site, &ev.month, ev.event)?;
    }
    super::on_backend!(c, |c| MoveHead(e).execute(c))?;
    HEAD.set((e.seq, e.hash.clone()));
    Ok(())
}

/// `UPDATE audit_head …` with fixed SQL: diesel prepares an `UPDATE`
/// built with its query builder anew at every execution (its changeset
/// could render differently), this one once per connection.
struct MoveHead<'a>(&'a AuditEntry);

super::fixed_sql_statement!(MoveHead);

impl<DB> QueryFragment<DB> for MoveHead<'_>
where
    DB: diesel::backend::Backend,
    i64: ToSql<BigInt, DB>,
    [u8]: ToSql<Binary, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE audit_head SET seq = ");
        out.push_bind_param::<BigInt, i64>(&self.0.seq)?;
        out.push_sql(", hash = ");
        out.push_bind_param::<Binary, [u8]>(&self.0.hash)?;
        out.push_sql(" WHERE id = 1");
        Ok(())
    }
}

/// PostgreSQL: the upsert of `N` counts, the entry's `INSERT` and the
/// head's `UPDATE` in one statement, prepared once per connection (one
/// statement type for each `N`).
struct AppendAndMove<'a, const N: usize> {
    entry: &'a AuditEntry,
    events: &'a [SiteEvent],
}

impl<'a, const N: usize> AppendAndMove<'a, N> {
    fn new(entry: &'a AuditEntry, events: &'a [SiteEvent]) -> Self {
        AppendAndMove { entry, events }
    }
}

super::fixed_sql_statement!(AppendAndMove<const N: usize>);

impl<const N: usize> QueryFragment<diesel::pg::Pg> for AppendAndMove<'_, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        let e = self.entry;
        out.push_sql("WITH ");
        if N > 0 {
            out.push_sql("f AS (INSERT INTO site_figures (site_id, month, event, count) VALUES ");
            for (i, ev) in self.events.iter().take(N).enumerate() {
                out.push_sql(if i == 0 { "(" } else { ", (" });
                out.push_bind_param::<BigInt, i64>(&ev.site)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, String>(&ev.month)?;
                out.push_sql(", ");
                out.push_bind_param::<Text, str>(ev.event)?;
                out.push_sql(", 1)");
            }
            out.push_sql(
                " ON CONFLICT (site_id, month, event) \
                 DO UPDATE SET count = site_figures.count + 1), ",
            );
        }
        out.push_sql(
            "e AS (INSERT INTO audit_log \
             (id, at, actor, office, action, card_number, detail, prev_hash, hash) VALUES (",
        );
        out.push_bind_param::<BigInt, i64>(&e.seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, PrimitiveDateTime>(&e.at)?;
        for text in [&e.actor, &e.office, &e.action] {
            out.push_sql(", ");
            out.push_bind_param::<Text, String>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, Option<i64>>(&e.card_number)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, String>(&e.detail)?;
        out.push_sql(", ");
        out.push_bind_param::<Binary, Vec<u8>>(&e.prev_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Binary, Vec<u8>>(&e.hash)?;
        out.push_sql(
            ") RETURNING id, hash) \
             UPDATE audit_head SET seq = e.id, hash = e.hash FROM e WHERE audit_head.id = 1",
        );
        Ok(())
    }
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

/// The lowest sequence number in the log (`None`: no entry). A `MIN`
/// over the key, which both backends answer from the key's index whatever
/// their statistics say (a `COUNT` of `id < 1` was a sequential scan of
/// the whole log on a PostgreSQL that never analysed it: 130 ms at 1M).
pub fn lowest_seq(c: &mut DbConnection) -> Result<Option<i64>> {
    Ok(audit_log::table
        .select(diesel::dsl::min(audit_log::id))
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
