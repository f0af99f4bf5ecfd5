DROP INDEX cards_unprinted_kept;
CREATE INDEX cards_unprinted_kept ON cards (attested_at, resident_id)
    WHERE printed_at IS NULL AND sealed_qr IS NOT NULL;
DROP INDEX cards_revoked_kept;
CREATE INDEX cards_revoked_kept ON cards (revoked_at, resident_id)
    WHERE status = 'revoked' AND sealed_qr IS NOT NULL;
CREATE INDEX cards_resident ON cards (resident_id);
DROP INDEX cards_resident_keeps;
