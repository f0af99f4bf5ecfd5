//! Counts for the dashboard and the deletion schedule (issue 12, item 1):
//! each is one SQL `COUNT` over a partial index of the migrations
//! `2026-12-03-000002_list_indexes` and `2026-12-03-000009_due_count_indexes`.
//! No row is loaded and nothing is
//! decrypted, and the cost grows with what is counted (the queue, what
//! falls due), not with the number of cards.
//!
//! The predicates that pick a partial index are written as SQL literals
//! (`cards.status = 'active'`), not bound parameters: a planner may use a
//! partial index only when the query's own `WHERE` implies the index's,
//! which SQLite cannot know of a parameter and PostgreSQL not of a generic
//! plan's.

use super::DbConnection;
use super::residents::{DueBecause, RetentionCutoffs};
use super::schema::{cards, residents};
use crate::error::Result;
use diesel::dsl::{count, exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;

// The cards of the same resident, in a subquery over `cards` itself. The
// subqueries select `resident_id` alone: SQLite does not drop the columns
// of an `EXISTS` subquery, and with diesel's default (every column) it
// would read each card's row instead of the covering index.
diesel::alias!(cards as other: OtherCards);

/// The print queue's length: active cards not yet printed, of residents
/// not erased (what [`super::cards::print_queue`] lists). Reads the
/// partial index `cards_print_queue`: O(queue).
pub fn print_queue(c: &mut DbConnection) -> Result<i64> {
    Ok(cards::table
        .inner_join(residents::table)
        .filter(sql::<Bool>(
            "cards.status = 'active' AND cards.printed_at IS NULL",
        ))
        .filter(residents::erased_at.is_null())
        .count()
        .get_result(c)?)
}

/// How many residents [`super::residents::due_for_erasure`] would list for
/// `why` with no limit: exact, counted from the cards that can make a
/// resident due (ended, or never printed), so the cost grows with those
/// candidates (what the daily schedule has not erased yet), not with the
/// number of cards.
///
/// Each candidate is read from a partial index that holds its resident
/// (`cards_active_kept` (PostgreSQL; SQLite: `cards_status`),
/// `cards_revoked_kept`, `cards_unprinted_kept`), and its resident's other
/// cards from the covering index `cards_resident_keeps` (migration
/// `2026-12-03-000009_due_count_indexes`): no table row is read (on
/// PostgreSQL index-only scans, as far as the visibility map allows; on
/// SQLite covering indexes, except for the rows of expired active cards,
/// which are few: an erasure revokes its resident's active card).
///
/// Two facts keep this equal to the list:
/// - every resident has a card (enrolment writes both in one transaction,
///   and cards are never deleted), so each due resident has a candidate;
/// - a card's sealed QR text is set at issuance and deleted only by the
///   erasure of its resident, which deletes them all in one transaction,
///   so `sealed_qr IS NOT NULL` says that the resident is not erased,
///   without reading `residents`.
///
/// `tests/office_counts.rs` checks the counts against the listed ids.
pub fn due_for_erasure(
    c: &mut DbConnection,
    why: DueBecause,
    cut: RetentionCutoffs,
) -> Result<i64> {
    match why {
        DueBecause::CardsEnded => {
            // A card that keeps its resident: still valid on the cut-off,
            // or revoked after it.
            let keeps = other.field(cards::resident_id).eq(cards::resident_id).and(
                (other
                    .field(cards::status)
                    .eq("active")
                    .and(other.field(cards::expires).ge(cut.ended_before)))
                .or(other
                    .field(cards::status)
                    .eq("revoked")
                    .and(other.field(cards::revoked_at).ge(cut.revoked_before))),
            );
            // Those with an expired active card (`cards_active_kept`) ...
            let with_expired: i64 = cards::table
                .filter(sql::<Bool>(
                    "cards.status = 'active' AND cards.sealed_qr IS NOT NULL",
                ))
                .filter(cards::expires.lt(cut.ended_before))
                .filter(not(exists(
                    other.filter(keeps).select(other.field(cards::resident_id)),
                )))
                .select(count(cards::resident_id).aggregate_distinct())
                .get_result(c)?;
            // ... and those with no active card at all and a card revoked
            // before the cut-off (`cards_revoked_kept`): apart from the
            // first, together all.
            let keeps = other.field(cards::resident_id).eq(cards::resident_id).and(
                other
                    .field(cards::status)
                    .eq("active")
                    .or(other.field(cards::revoked_at).ge(cut.revoked_before)),
            );
            let all_revoked: i64 = cards::table
                .filter(sql::<Bool>(
                    "cards.status = 'revoked' AND cards.sealed_qr IS NOT NULL",
                ))
                .filter(cards::revoked_at.lt(cut.revoked_before))
                .filter(not(exists(
                    other.filter(keeps).select(other.field(cards::resident_id)),
                )))
                .select(count(cards::resident_id).aggregate_distinct())
                .get_result(c)?;
            Ok(with_expired + all_revoked)
        }
        DueBecause::NeverPrinted => {
            let keeps = other.field(cards::resident_id).eq(cards::resident_id).and(
                other
                    .field(cards::printed_at)
                    .is_not_null()
                    .or(other.field(cards::attested_at).ge(cut.unprinted_before)),
            );
            // Unprinted cards of residents not erased (`cards_unprinted_kept`).
            Ok(cards::table
                .filter(sql::<Bool>(
                    "cards.printed_at IS NULL AND cards.sealed_qr IS NOT NULL",
                ))
                .filter(cards::attested_at.lt(cut.unprinted_before))
                .filter(not(exists(
                    other.filter(keeps).select(other.field(cards::resident_id)),
                )))
                .select(count(cards::resident_id).aggregate_distinct())
                .get_result(c)?)
        }
    }
}
