-- Issue 12 items 1 and 7: deletion-schedule counts that stay flat as the
-- city grows (src/db/counts.rs). The candidate cards (those that can make
-- their resident due) and the resident's other cards are read from
-- covering indexes: no card's row and no resident is read per candidate.
-- Keep in step with ../../postgresql.

-- Every card of a resident with what decides whether it keeps them (still
-- valid, revoked lately, printed, issued lately). It replaces
-- cards_resident, of which it is an extension.
CREATE INDEX cards_resident_keeps ON cards
    (resident_id, status, expires, revoked_at, printed_at, attested_at);
DROP INDEX cards_resident;
-- The candidates of 2026-12-03-000002_list_indexes again, made covering
-- for SQLite, which reads a partial index without the table only if every
-- column the query names is in it, or named in a `column = 'text'` term of
-- the index's WHERE: hence `sealed_qr IS NOT NULL` and the leading
-- `status` and `printed_at` as columns. Leading with the column the query
-- compares for equality also makes SQLite choose these indexes without
-- statistics (an office that never ran ANALYZE), not cards_status or
-- cards_unprinted, which would read every revoked or unprinted card.
DROP INDEX cards_revoked_kept;
CREATE INDEX cards_revoked_kept ON cards
    (status, revoked_at, resident_id, sealed_qr IS NOT NULL)
    WHERE status = 'revoked' AND sealed_qr IS NOT NULL;
DROP INDEX cards_unprinted_kept;
CREATE INDEX cards_unprinted_kept ON cards
    (printed_at, attested_at, resident_id, sealed_qr IS NOT NULL)
    WHERE printed_at IS NULL AND sealed_qr IS NOT NULL;
-- No cards_active_kept here (PostgreSQL has one): cards_status (status,
-- expires) finds the expired active cards, whose rows SQLite then reads;
-- there are few (an erasure revokes the resident's active card).
