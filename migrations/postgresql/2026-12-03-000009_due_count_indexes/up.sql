-- Issue 12 items 1 and 7: deletion-schedule counts that stay flat as the
-- city grows (src/db/counts.rs). Each candidate card (one that can make its
-- resident due) is read from a partial index that holds its resident, and
-- the resident's other cards are checked in one covering index, so no
-- table row and no resident is read per candidate. Keep in step with
-- ../../sqlite.

-- Every card of a resident with what decides whether it keeps them (still
-- valid, revoked lately, printed, issued lately). It replaces
-- cards_resident, of which it is an extension.
CREATE INDEX cards_resident_keeps ON cards
    (resident_id, status, expires, revoked_at, printed_at, attested_at);
DROP INDEX cards_resident;
-- Active cards of residents not erased (an erasure deletes every card's
-- sealed QR text), by expiry, with their resident.
CREATE INDEX cards_active_kept ON cards (expires, resident_id)
    WHERE status = 'active' AND sealed_qr IS NOT NULL;
