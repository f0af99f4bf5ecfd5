DROP INDEX cards_active_kept;
CREATE INDEX cards_resident ON cards (resident_id);
DROP INDEX cards_resident_keeps;
