//! The `sites` and `site_figures` tables, and the pick-up columns of
//! `cards`: rows and queries. A site's name and kind are sealed (the
//! office unseals them); nothing here knows what a site is.

use super::DbConnection;
use super::schema::{cards, site_figures, sites, users};
use crate::error::Result;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Text};
use time::PrimitiveDateTime;

/// One site as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    /// Random id.
    pub id: i64,
    /// Name and kind, sealed.
    pub sealed: Vec<u8>,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Closed (no new work; its users cannot log in).
    pub closed_at: Option<PrimitiveDateTime>,
}

/// Every site.
pub fn all(c: &mut DbConnection) -> Result<Vec<SiteRow>> {
    Ok(sites::table
        .order(sites::created_at.asc())
        .select(SiteRow::as_select())
        .load(c)?)
}

/// One site.
pub fn by_id(c: &mut DbConnection, id: i64) -> Result<Option<SiteRow>> {
    Ok(super::on_backend!(c, |c| sites::table
        .find(id)
        .select(SiteRow::as_select())
        .get_result(c)
        .optional())?)
}

/// How many sites there are.
pub fn count(c: &mut DbConnection) -> Result<i64> {
    Ok(sites::table.count().get_result(c)?)
}

/// Inserts a site.
pub fn insert(c: &mut DbConnection, id: i64, sealed: &[u8], now: PrimitiveDateTime) -> Result<()> {
    diesel::insert_into(sites::table)
        .values((
            sites::id.eq(id),
            sites::sealed.eq(sealed),
            sites::created_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

/// Stores a site's sealed name and kind again (renamed, or a key rotation).
pub fn set_sealed(c: &mut DbConnection, id: i64, sealed: &[u8]) -> Result<()> {
    diesel::update(sites::table.find(id))
        .set(sites::sealed.eq(sealed))
        .execute(c)?;
    Ok(())
}

/// Closes or reopens a site.
pub fn set_closed(c: &mut DbConnection, id: i64, closed: Option<PrimitiveDateTime>) -> Result<()> {
    diesel::update(sites::table.find(id))
        .set(sites::closed_at.eq(closed))
        .execute(c)?;
    Ok(())
}

/// Puts every user without a site whose role is one of `roles` at `site`
/// (the migration of a single-office database).
pub fn assign_users(c: &mut DbConnection, site: i64, roles: &[&str]) -> Result<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::site_id.is_null())
            .filter(users::role.eq_any(roles)),
    )
    .set(users::site_id.eq(Some(site)))
    .execute(c)?)
}

/// Sets a user's site (`None`: city-wide).
pub fn set_user_site(c: &mut DbConnection, user_id: i64, site: Option<i64>) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set(users::site_id.eq(site))
        .execute(c)?;
    Ok(())
}

/// How many enabled users a site has.
pub fn users_at(c: &mut DbConnection, site: i64) -> Result<i64> {
    Ok(users::table
        .filter(users::site_id.eq(site))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(c)?)
}

type StoredKey = (i64, Option<String>, Option<PrimitiveDateTime>, bool);

/// A card on its way to a resident: number, step, since when, and whether
/// it has a sealed route (an erased card has none, nor a card from before
/// sites).
pub type OnTheWayKey = (i64, String, Option<PrimitiveDateTime>, bool);

/// The `WHERE` of the partial index `cards_in_pickup`, as the migration
/// wrote it. SQLite reads through a partial index only when the query
/// names the index's `WHERE` term as written (a bound `IN (?, ?)` does not
/// count): without it, every list of cards on their way read the whole
/// `cards` table on SQLite (26 ms at 100,000 cards). PostgreSQL proves
/// the same from it.
const IN_PICKUP: &str = "pickup_state IN ('queued', 'printed', 'sent', 'ready', 'not_collected')";

/// Every card in one of the pick-up steps `states` (through the partial
/// index `cards_in_pickup`), in no order: the keys only, not the sealed
/// routes ([`sealed_routes`] reads those that are needed).
pub fn on_the_way(c: &mut DbConnection, states: &[&str]) -> Result<Vec<OnTheWayKey>> {
    let rows: Vec<StoredKey> = cards::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(IN_PICKUP))
        .filter(cards::pickup_state.eq_any(states))
        .filter(
            cards::status
                .eq("active")
                .or(cards::pickup_state.eq("not_collected")),
        )
        .select((
            cards::card_number,
            cards::pickup_state,
            cards::pickup_state_at,
            cards::sealed_route.is_not_null(),
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(n, s, at, r)| (n, s.unwrap_or_default(), at, r))
        .collect())
}

/// The sealed routes of these cards (those that have one), read 500 at a
/// time.
pub fn sealed_routes(c: &mut DbConnection, numbers: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
    let mut out = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(500) {
        let rows: Vec<(i64, Option<Vec<u8>>)> = cards::table
            .filter(cards::card_number.eq_any(chunk))
            .select((cards::card_number, cards::sealed_route))
            .load(c)?;
        out.extend(rows.into_iter().filter_map(|(n, r)| Some((n, r?))));
    }
    Ok(out)
}

/// Moves a card from one pick-up step to the next if it is at `from`;
/// whether it was.
pub fn move_step(
    c: &mut DbConnection,
    number: i64,
    from: &[&str],
    to: &str,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        cards::table
            .find(number)
            .filter(cards::pickup_state.eq_any(from)),
    )
    .set((
        cards::pickup_state.eq(Some(to)),
        cards::pickup_state_at.eq(Some(now)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// Stores a card's route sealed again (a key rotation).
pub fn set_sealed_route(c: &mut DbConnection, number: i64, sealed: &[u8]) -> Result<()> {
    diesel::update(cards::table.find(number))
        .set(cards::sealed_route.eq(Some(sealed)))
        .execute(c)?;
    Ok(())
}

/// A card's sealed route, if it has one.
pub fn route_of_card(c: &mut DbConnection, number: i64) -> Result<Option<Vec<u8>>> {
    Ok(cards::table
        .find(number)
        .select(cards::sealed_route)
        .get_result::<Option<Vec<u8>>>(c)
        .optional()?
        .flatten())
}

/// One step to count in a site's monthly figures (`site_figures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteEvent {
    /// The site.
    pub site: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// `enrolled`, `printed`, `handed_over` or `not_collected`.
    pub event: &'static str,
}

/// Adds one to a site's count of `event` in `month` (`YYYY-MM`): one
/// upsert, so that transactions running at once (PostgreSQL) never both
/// insert the first count of a month. Fixed SQL ([`CountEvent`]),
/// prepared once per connection: diesel prepares its own upserts anew at
/// every execution.
pub(super) fn count_event(c: &mut DbConnection, site: i64, month: &str, event: &str) -> Result<()> {
    let q = CountEvent { site, month, event };
    super::on_backend!(c, |c| q.execute(c))?;
    Ok(())
}

/// `INSERT … ON CONFLICT … DO UPDATE` of one count (the same SQL on
/// SQLite and PostgreSQL).
struct CountEvent<'a> {
    site: i64,
    month: &'a str,
    event: &'a str,
}

super::fixed_sql_statement!(CountEvent);

impl<DB> QueryFragment<DB> for CountEvent<'_>
where
    DB: diesel::backend::Backend,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO site_figures (site_id, month, event, count) VALUES (");
        out.push_bind_param::<BigInt, i64>(&self.site)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(self.month)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(self.event)?;
        out.push_sql(
            ", 1) ON CONFLICT (site_id, month, event) \
             DO UPDATE SET count = site_figures.count + 1",
        );
        Ok(())
    }
}

/// Every count from `month_from` (`YYYY-MM`) on: (site, month, event, count).
pub fn figures_from(
    c: &mut DbConnection,
    month_from: &str,
) -> Result<Vec<(i64, String, String, i64)>> {
    Ok(site_figures::table
        .filter(site_figures::month.ge(month_from))
        .order((site_figures::month.asc(), site_figures::site_id.asc()))
        .select((
            site_figures::site_id,
            site_figures::month,
            site_figures::event,
            site_figures::count,
        ))
        .load(c)?)
}
