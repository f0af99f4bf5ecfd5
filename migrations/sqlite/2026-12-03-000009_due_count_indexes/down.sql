CREATE INDEX cards_resident ON cards (resident_id);
DROP INDEX cards_resident_keeps;
