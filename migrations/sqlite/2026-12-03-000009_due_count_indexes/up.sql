-- Issue 12 items 1 and 7: deletion-schedule counts that stay flat as the
-- city grows (src/db/counts.rs). The resident's other cards of each
-- candidate card (one that can make its resident due) are checked in one
-- covering index, so no other card's row and no resident is read per
-- candidate. Keep in step with ../../postgresql.

-- Every card of a resident with what decides whether it keeps them (still
-- valid, revoked lately, printed, issued lately). It replaces
-- cards_resident, of which it is an extension.
CREATE INDEX cards_resident_keeps ON cards
    (resident_id, status, expires, revoked_at, printed_at, attested_at);
DROP INDEX cards_resident;
-- No cards_active_kept here (PostgreSQL has one): SQLite reads the
-- candidate's row for `sealed_qr IS NOT NULL` through any partial index
-- (it counts one as covering only for `column = 'text'` terms), and
-- cards_status (status, expires) finds the expired active cards as well.
