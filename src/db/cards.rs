//! The `cards` table: rows and queries. The rules (who may, when) live in
//! `office/cards/`; nothing here decides, it only reads and writes.

use super::DbConnection;
use super::schema::{cards, residents};
use crate::db::residents::ResidentRow;
use crate::error::{Error, Result};
use citycard_credential::{CardNumber, Date};
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// One card as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = cards)]
pub struct CardRow {
    /// The number as a 12-digit integer.
    pub card_number: i64,
    /// The resident (`None` never happens today: erasing keeps the link).
    pub resident_id: Option<i64>,
    /// `active` or `revoked`.
    pub status: String,
    /// The stored name of the revocation reason.
    pub revocation_reason: Option<String>,
    /// Issue date.
    pub issued: Date,
    /// Last valid day.
    pub expires: Date,
    /// The issuing office.
    pub office: String,
    /// The signing key's kid.
    pub kid: Vec<u8>,
    /// The QR text, sealed (`None` once erased).
    pub sealed_qr: Option<Vec<u8>>,
    /// When it was marked printed.
    pub printed_at: Option<PrimitiveDateTime>,
    /// Attested: identity checked.
    pub identity_checked: bool,
    /// Attested: residence checked.
    pub residence_checked: bool,
    /// The clerk who attested.
    pub attested_by: String,
    /// When.
    pub attested_at: PrimitiveDateTime,
    /// The card it renewed or replaced.
    pub previous_card: Option<i64>,
    /// Attested: a caretaker was present (a minor).
    pub caretaker_present: bool,
    /// Where it was enrolled and is picked up, and who attested, sealed
    /// (`None`: a card from before sites, of the first site).
    pub sealed_route: Option<Vec<u8>>,
    /// Its pick-up step (`None`: a card from before sites).
    pub pickup_state: Option<String>,
    /// Since when it is at that step.
    pub pickup_state_at: Option<PrimitiveDateTime>,
}

impl CardRow {
    /// Whether the stored status is `active` (it may still have expired).
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// A new card row.
pub struct NewCard<'a> {
    /// The number.
    pub card_number: i64,
    /// The resident.
    pub resident_id: i64,
    /// Issue date.
    pub issued: Date,
    /// Last valid day.
    pub expires: Date,
    /// The issuing office.
    pub office: &'a str,
    /// The signing key's kid.
    pub kid: Vec<u8>,
    /// The sealed QR text.
    pub sealed_qr: Vec<u8>,
    /// Attested: identity checked.
    pub identity_checked: bool,
    /// Attested: residence checked.
    pub residence_checked: bool,
    /// The clerk.
    pub attested_by: &'a str,
    /// When.
    pub attested_at: PrimitiveDateTime,
    /// The card it renews or replaces.
    pub previous_card: Option<i64>,
    /// Attested: a caretaker was present.
    pub caretaker_present: bool,
    /// The sealed route (enrolment site, pick-up site, clerk).
    pub sealed_route: Vec<u8>,
    /// The pick-up step it starts at (`queued`), since `attested_at`.
    pub pickup_state: &'a str,
}

/// A card number as stored.
pub fn to_i64(n: CardNumber) -> i64 {
    i64::try_from(n.as_u64()).unwrap_or(i64::MAX)
}

/// A stored card number.
pub fn from_i64(n: i64) -> Result<CardNumber> {
    u64::try_from(n)
        .ok()
        .and_then(|n| CardNumber::from_u64(n).ok())
        .ok_or(Error::Integrity("a stored card number is not valid"))
}

/// A card, or `NotFound`.
pub fn load(c: &mut DbConnection, n: CardNumber) -> Result<CardRow> {
    cards::table
        .find(to_i64(n))
        .select(CardRow::as_select())
        .get_result(c)
        .optional()?
        .ok_or(Error::NotFound("card"))
}

/// Every card of a resident, newest first.
pub fn of_resident(c: &mut DbConnection, id: i64) -> Result<Vec<CardRow>> {
    Ok(cards::table
        .filter(cards::resident_id.eq(id))
        .order((cards::issued.desc(), cards::attested_at.desc()))
        .select(CardRow::as_select())
        .load(c)?)
}

/// Inserts a new active card with its route, in one statement (an
/// `UPDATE` is never a cached statement in diesel: it is prepared anew
/// each time), unless the number is taken: then nothing is written and
/// the answer is `false` (one round trip, where a check and an insert
/// would be two).
pub fn insert_if_free(c: &mut DbConnection, card: &NewCard<'_>) -> Result<bool> {
    let inserted = super::on_backend!(c, |c| diesel::insert_into(cards::table)
        .values((
            cards::card_number.eq(card.card_number),
            cards::resident_id.eq(Some(card.resident_id)),
            cards::status.eq("active"),
            cards::issued.eq(card.issued),
            cards::expires.eq(card.expires),
            cards::office.eq(card.office),
            cards::kid.eq(&card.kid),
            cards::sealed_qr.eq(Some(&card.sealed_qr)),
            cards::identity_checked.eq(card.identity_checked),
            cards::residence_checked.eq(card.residence_checked),
            cards::attested_by.eq(card.attested_by),
            cards::attested_at.eq(card.attested_at),
            cards::previous_card.eq(card.previous_card),
            (
                cards::caretaker_present.eq(card.caretaker_present),
                cards::sealed_route.eq(Some(&card.sealed_route)),
                cards::pickup_state.eq(Some(card.pickup_state)),
                cards::pickup_state_at.eq(Some(card.attested_at)),
            ),
        ))
        .on_conflict(cards::card_number)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// How many cards name this one as their previous card.
pub fn successors(c: &mut DbConnection, number: i64) -> Result<i64> {
    Ok(cards::table
        .filter(cards::previous_card.eq(number))
        .count()
        .get_result(c)?)
}

/// Revokes a card if it is still active; whether it was.
pub fn revoke_if_active(
    c: &mut DbConnection,
    number: i64,
    reason: &str,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let n = diesel::update(cards::table.find(number).filter(cards::status.eq("active")))
        .set((
            cards::status.eq("revoked"),
            cards::revocation_reason.eq(Some(reason)),
            cards::revoked_at.eq(Some(now)),
        ))
        .execute(c)?;
    Ok(n == 1)
}

/// Deletes the sealed QR texts and routes (where the cards were enrolled
/// and picked up) of every card of a resident.
pub fn clear_qr_of_resident(c: &mut DbConnection, resident_id: i64) -> Result<()> {
    diesel::update(cards::table.filter(cards::resident_id.eq(resident_id)))
        .set((
            cards::sealed_qr.eq(None::<Vec<u8>>),
            cards::sealed_route.eq(None::<Vec<u8>>),
        ))
        .execute(c)?;
    Ok(())
}

/// Marks a card printed if it is not yet; whether it was not.
pub fn mark_printed(c: &mut DbConnection, number: i64, now: PrimitiveDateTime) -> Result<bool> {
    let n = diesel::update(
        cards::table
            .find(number)
            .filter(cards::printed_at.is_null()),
    )
    .set(cards::printed_at.eq(Some(now)))
    .execute(c)?;
    Ok(n == 1)
}

/// These cards that are active, not yet printed, of residents not erased,
/// with their residents, in the order given.
pub fn with_residents(
    c: &mut DbConnection,
    numbers: &[i64],
) -> Result<Vec<(CardRow, ResidentRow)>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<(CardRow, ResidentRow)> = cards::table
        .inner_join(residents::table)
        .filter(cards::card_number.eq_any(numbers))
        .filter(cards::status.eq("active"))
        .filter(cards::printed_at.is_null())
        .filter(residents::erased_at.is_null())
        .select((CardRow::as_select(), ResidentRow::as_select()))
        .load(c)?;
    rows.sort_by_key(|(card, _)| numbers.iter().position(|n| *n == card.card_number));
    Ok(rows)
}

/// These cards, each with its resident (`None` when it has none), in no
/// order; one read (a list's page).
pub fn with_residents_any(
    c: &mut DbConnection,
    numbers: &[i64],
) -> Result<Vec<(CardRow, Option<ResidentRow>)>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cards::table
        .left_join(residents::table)
        .filter(cards::card_number.eq_any(numbers))
        .select((CardRow::as_select(), Option::<ResidentRow>::as_select()))
        .load(c)?)
}

/// The numbers of revoked cards that have not expired by `today`.
pub fn revoked_numbers(c: &mut DbConnection, today: Date) -> Result<Vec<i64>> {
    Ok(cards::table
        .filter(cards::status.eq("revoked"))
        .filter(cards::expires.ge(today))
        .select(cards::card_number)
        .load(c)?)
}

/// Up to `limit` cards with a sealed QR text whose number is above
/// `after`, by number: `(number, sealed QR)` (a key rotation).
pub fn sealed_qr_after(
    c: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>> {
    let rows: Vec<(i64, Option<Vec<u8>>)> = cards::table
        .filter(cards::card_number.gt(after))
        .filter(cards::sealed_qr.is_not_null())
        .order(cards::card_number.asc())
        .select((cards::card_number, cards::sealed_qr))
        .limit(limit)
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|(n, q)| q.map(|q| (n, q)))
        .collect())
}

/// Stores a card's QR text sealed again (a key rotation).
pub fn set_sealed_qr(c: &mut DbConnection, number: i64, sealed: Vec<u8>) -> Result<()> {
    diesel::update(cards::table.find(number))
        .set(cards::sealed_qr.eq(Some(sealed)))
        .execute(c)?;
    Ok(())
}
