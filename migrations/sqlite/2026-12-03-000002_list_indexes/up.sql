-- Issue 12 item 1: counts and lists that cost what they show. Partial
-- indexes, each over the rows one list or count reads; the queries in
-- src/db/counts.rs name the same predicates as literals so that both
-- planners may use them. Keep in step with ../../postgresql.

-- The print queue (active, not printed): its count, and its order.
CREATE INDEX cards_print_queue ON cards (attested_at, resident_id)
    WHERE status = 'active' AND printed_at IS NULL;
-- The deletion schedule's candidates: revoked and unprinted cards of
-- residents not erased (an erasure deletes every card's sealed QR text).
CREATE INDEX cards_revoked_kept ON cards (revoked_at, resident_id)
    WHERE status = 'revoked' AND sealed_qr IS NOT NULL;
CREATE INDEX cards_unprinted_kept ON cards (attested_at, resident_id)
    WHERE printed_at IS NULL AND sealed_qr IS NOT NULL;
-- Active cards by expiry: cards_status (status, expires) serves already.
