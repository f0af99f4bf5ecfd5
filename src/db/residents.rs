//! The `residents` table: rows and queries. Every personal field is sealed
//! by the vault before it gets here.

use super::DbConnection;
use super::schema::residents;
use crate::error::{Error, Result};
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// One resident as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = residents)]
pub struct ResidentRow {
    /// Id (random).
    pub id: i64,
    /// The sealed personal data (`None` once erased).
    pub sealed_record: Option<Vec<u8>>,
    /// The sealed photo.
    pub sealed_photo: Option<Vec<u8>>,
    /// When the data was erased.
    pub erased_at: Option<PrimitiveDateTime>,
}

/// A new resident row.
pub struct NewResident<'a> {
    /// Id (random, unused).
    pub id: i64,
    /// The sealed personal data.
    pub sealed_record: Vec<u8>,
    /// The sealed photo.
    pub sealed_photo: Option<Vec<u8>>,
    /// The duplicate check's tag.
    pub dedup_hmac: &'a [u8],
    /// The search index's tag.
    pub search_hmac: &'a [u8],
    /// Now.
    pub created_at: PrimitiveDateTime,
}

/// A card's resident; missing is an integrity fault.
pub fn load(c: &mut DbConnection, id: i64) -> Result<ResidentRow> {
    residents::table
        .find(id)
        .select(ResidentRow::as_select())
        .get_result(c)
        .optional()?
        .ok_or(Error::Integrity("a card's resident is missing"))
}

/// Inserts a resident unless the id is taken (then nothing is written and
/// the answer is `false`): one statement, where a check and an insert
/// would be two round trips.
pub fn insert_if_free(c: &mut DbConnection, r: &NewResident<'_>) -> Result<bool> {
    let inserted = super::on_backend!(c, |c| diesel::insert_into(residents::table)
        .values((
            residents::id.eq(r.id),
            residents::sealed_record.eq(Some(&r.sealed_record)),
            residents::sealed_photo.eq(&r.sealed_photo),
            residents::dedup_hmac.eq(Some(r.dedup_hmac)),
            residents::search_hmac.eq(Some(r.search_hmac)),
            residents::created_at.eq(r.created_at),
        ))
        .on_conflict(residents::id)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// The ids of residents (not erased) with any of these duplicate-check
/// tags (one, or those of every compatible partial date of birth).
///
/// On SQLite one query a tag, each a cached statement: diesel prepares an
/// `IN (…)` list anew at every call. On PostgreSQL one `= ANY(…)` query,
/// one round trip, planned at every call (a statement cached while the
/// table was small could keep a plan that reads every resident).
///
/// On PostgreSQL the query does not say `erased_at IS NULL`: an erasure
/// clears the tag in the same statement that sets `erased_at` ([`erase`]),
/// so no tag matches an erased resident. With the condition, PostgreSQL
/// without planner statistics (a new or fast-growing office, until
/// autovacuum analyses it) combined `residents_dedup` with the partial
/// index of residents not erased, and read that whole index at every
/// enrolment (1.8 ms a call at 10,000 residents).
pub fn ids_with_dedup_tag(c: &mut DbConnection, tags: &[Vec<u8>]) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = match c {
        DbConnection::Pg(pg) => residents::table
            .filter(residents::dedup_hmac.eq_any(tags))
            .select(residents::id)
            .load(pg)?,
        DbConnection::Sqlite(lite) => {
            let mut ids = Vec::new();
            for tag in tags {
                let found: Vec<i64> = residents::table
                    .filter(residents::dedup_hmac.eq(tag))
                    .filter(residents::erased_at.is_null())
                    .select(residents::id)
                    .load(lite)?;
                ids.extend(found);
            }
            ids
        }
    };
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Residents (not erased) with this search tag.
pub fn with_search_tag(c: &mut DbConnection, tag: &[u8]) -> Result<Vec<ResidentRow>> {
    Ok(residents::table
        .filter(residents::search_hmac.eq(tag))
        .filter(residents::erased_at.is_null())
        .select(ResidentRow::as_select())
        .load(c)?)
}

/// Up to `limit` residents with data but no search tag yet.
pub fn unindexed(c: &mut DbConnection, limit: i64) -> Result<Vec<ResidentRow>> {
    Ok(residents::table
        .filter(residents::search_hmac.is_null())
        .filter(residents::erased_at.is_null())
        .filter(residents::sealed_record.is_not_null())
        .select(ResidentRow::as_select())
        .limit(limit)
        .load(c)?)
}

/// Stores a resident's search tag.
pub fn set_search_tag(c: &mut DbConnection, id: i64, tag: Vec<u8>) -> Result<()> {
    diesel::update(residents::table.find(id))
        .set(residents::search_hmac.eq(Some(tag)))
        .execute(c)?;
    Ok(())
}

/// Stores a new sealed photo (and cancels a scheduled deletion).
pub fn set_photo(c: &mut DbConnection, id: i64, sealed: Vec<u8>) -> Result<()> {
    diesel::update(residents::table.find(id))
        .set((
            residents::sealed_photo.eq(Some(sealed)),
            residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

/// Deletes a resident's photo now.
pub fn delete_photo(c: &mut DbConnection, id: i64) -> Result<()> {
    diesel::update(residents::table.find(id))
        .set((
            residents::sealed_photo.eq(None::<Vec<u8>>),
            residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

/// Schedules the deletion of a resident's photo (if one is stored).
pub fn delete_photo_after(c: &mut DbConnection, id: i64, when: PrimitiveDateTime) -> Result<()> {
    diesel::update(
        residents::table
            .find(id)
            .filter(residents::sealed_photo.is_not_null()),
    )
    .set(residents::photo_delete_after.eq(Some(when)))
    .execute(c)?;
    Ok(())
}

/// Deletes the photos whose scheduled deletion has come; how many.
pub fn purge_photos(c: &mut DbConnection, now: PrimitiveDateTime) -> Result<usize> {
    Ok(
        diesel::update(residents::table.filter(residents::photo_delete_after.le(now)))
            .set((
                residents::sealed_photo.eq(None::<Vec<u8>>),
                residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
            ))
            .execute(c)?,
    )
}

/// Deletes a resident's personal data (record, photo, tags) unless already
/// erased; whether it was not.
pub fn erase(c: &mut DbConnection, id: i64, now: PrimitiveDateTime) -> Result<bool> {
    let n = diesel::update(
        residents::table
            .find(id)
            .filter(residents::erased_at.is_null()),
    )
    .set((
        residents::sealed_record.eq(None::<Vec<u8>>),
        residents::sealed_photo.eq(None::<Vec<u8>>),
        residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
        residents::dedup_hmac.eq(None::<Vec<u8>>),
        residents::search_hmac.eq(None::<Vec<u8>>),
        residents::erased_at.eq(Some(now)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// Up to `limit` residents with sealed data whose id is above `after`, by
/// id (a key rotation walks the table with it).
pub fn sealed_after(c: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<ResidentRow>> {
    Ok(residents::table
        .filter(residents::id.gt(after))
        .filter(
            residents::sealed_record
                .is_not_null()
                .or(residents::sealed_photo.is_not_null()),
        )
        .order(residents::id.asc())
        .select(ResidentRow::as_select())
        .limit(limit)
        .load(c)?)
}

/// A resident's data sealed again and its tags made again under new keys.
pub struct Resealed {
    /// The record.
    pub sealed_record: Option<Vec<u8>>,
    /// The photo.
    pub sealed_photo: Option<Vec<u8>>,
    /// The duplicate check's tag.
    pub dedup_hmac: Option<Vec<u8>>,
    /// The search index's tag.
    pub search_hmac: Option<Vec<u8>>,
}

/// Stores what [`Resealed`] holds (a key rotation).
pub fn store_resealed(c: &mut DbConnection, id: i64, r: Resealed) -> Result<()> {
    diesel::update(residents::table.find(id))
        .set((
            residents::sealed_record.eq(r.sealed_record),
            residents::sealed_photo.eq(r.sealed_photo),
            residents::dedup_hmac.eq(r.dedup_hmac),
            residents::search_hmac.eq(r.search_hmac),
        ))
        .execute(c)?;
    Ok(())
}

/// The deletion schedule's cut-offs (docs/privacy.md): a resident is due
/// when none of their cards is still valid on `ended_before` or was revoked
/// at or after `revoked_before` (their last card ended long enough ago),
/// or when none of their cards was ever printed and none was issued at or
/// after `unprinted_before`.
#[derive(Debug, Clone, Copy)]
pub struct RetentionCutoffs {
    /// Cards valid on this day (or later) keep their resident.
    pub ended_before: citycard_credential::Date,
    /// Cards revoked at or after this time keep their resident.
    pub revoked_before: PrimitiveDateTime,
    /// Cards attested at or after this time keep an unprinted enrolment.
    pub unprinted_before: PrimitiveDateTime,
}

/// Why a resident is due for erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueBecause {
    /// Their last card expired or was revoked long enough ago.
    CardsEnded,
    /// No card of theirs was ever printed.
    NeverPrinted,
}

/// Up to `limit` residents (not erased) due for erasure for `why`; with
/// `only`, just that resident if it is (re-checked inside the erasing
/// transaction).
pub fn due_for_erasure(
    c: &mut DbConnection,
    why: DueBecause,
    cut: RetentionCutoffs,
    only: Option<i64>,
    limit: i64,
) -> Result<Vec<i64>> {
    use super::schema::cards;
    let mut q = residents::table
        .filter(residents::erased_at.is_null())
        .select(residents::id)
        .order(residents::id)
        .limit(limit)
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(residents::id.eq(id));
    }
    let q = match why {
        DueBecause::CardsEnded => q.filter(diesel::dsl::not(diesel::dsl::exists(
            cards::table.filter(
                cards::resident_id.eq(residents::id.nullable()).and(
                    (cards::status
                        .eq("active")
                        .and(cards::expires.ge(cut.ended_before)))
                    .or(cards::status
                        .eq("revoked")
                        .and(cards::revoked_at.ge(cut.revoked_before))),
                ),
            ),
        ))),
        DueBecause::NeverPrinted => q.filter(diesel::dsl::not(diesel::dsl::exists(
            cards::table.filter(
                cards::resident_id.eq(residents::id.nullable()).and(
                    cards::printed_at
                        .is_not_null()
                        .or(cards::attested_at.ge(cut.unprinted_before)),
                ),
            ),
        ))),
    };
    Ok(q.load(c)?)
}
