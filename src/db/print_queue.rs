//! The print queue read a page at a time (issue 12, item 1): queued cards
//! in queue order — when they were attested, then by number — from a
//! position on, through the partial index `cards_print_queue` (migration
//! `2026-12-03-000002_list_indexes`). A page costs the rows it reads, not
//! the queue, and not the city's cards.
//!
//! The order never changes for a card (`attested_at` and the number are
//! written once), so a card's number is a stable position: a page "after
//! card N" is the same whether N is still queued or was printed since.
//! The index's predicates are written as SQL literals, as in
//! [`super::counts`], so that both planners may use it.

use super::DbConnection;
use super::schema::{cards, residents};
use crate::error::Result;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use time::PrimitiveDateTime;

/// A card's place in the queue's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    /// When the card was attested (issued at the desk).
    pub attested_at: PrimitiveDateTime,
    /// The card number.
    pub card_number: i64,
}

/// Which way to read from a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Cards after the position, oldest first.
    Forward,
    /// Cards before the position, newest first (the page before).
    Backward,
}

/// One queued card: its place and its sealed route (`None`: a card from
/// before sites).
pub type QueuedRow = (QueueKey, Option<Vec<u8>>);

/// Where a card stands in the queue's order (`None`: no such card). The
/// card need not be queued any more.
pub fn key_of(c: &mut DbConnection, card_number: i64) -> Result<Option<QueueKey>> {
    Ok(cards::table
        .find(card_number)
        .select(cards::attested_at)
        .get_result::<PrimitiveDateTime>(c)
        .optional()?
        .map(|attested_at| QueueKey {
            attested_at,
            card_number,
        }))
}

/// Up to `limit` queued cards (active, not printed, of residents not
/// erased, at the pick-up step `queued`) strictly after (or before) `from`
/// in `direction`; from the start (or the end) without `from`.
pub fn queued(
    c: &mut DbConnection,
    from: Option<QueueKey>,
    direction: Direction,
    limit: usize,
) -> Result<Vec<QueuedRow>> {
    let mut q = cards::table
        .inner_join(residents::table)
        .filter(sql::<Bool>(
            "cards.status = 'active' AND cards.printed_at IS NULL",
        ))
        .filter(cards::pickup_state.eq("queued"))
        .filter(residents::erased_at.is_null())
        .select((cards::attested_at, cards::card_number, cards::sealed_route))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .into_boxed();
    q = match (direction, from) {
        (Direction::Forward, Some(k)) => q.filter(
            cards::attested_at.gt(k.attested_at).or(cards::attested_at
                .eq(k.attested_at)
                .and(cards::card_number.gt(k.card_number))),
        ),
        (Direction::Backward, Some(k)) => q.filter(
            cards::attested_at.lt(k.attested_at).or(cards::attested_at
                .eq(k.attested_at)
                .and(cards::card_number.lt(k.card_number))),
        ),
        (_, None) => q,
    };
    q = match direction {
        Direction::Forward => q.order((cards::attested_at.asc(), cards::card_number.asc())),
        Direction::Backward => q.order((cards::attested_at.desc(), cards::card_number.desc())),
    };
    let rows: Vec<(PrimitiveDateTime, i64, Option<Vec<u8>>)> = q.load(c)?;
    Ok(rows
        .into_iter()
        .map(|(attested_at, card_number, route)| {
            (
                QueueKey {
                    attested_at,
                    card_number,
                },
                route,
            )
        })
        .collect())
}
