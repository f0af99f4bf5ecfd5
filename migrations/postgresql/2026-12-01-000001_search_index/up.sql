-- The search index of "family name + date of birth" (src/vault.rs,
-- Vault::search_tag): an HMAC under a key derived from dedup.key, like
-- dedup_hmac. An empty value means "indexed, nothing to index" (no date of
-- birth); NULL means "not indexed yet" (the office fills it in at start).
-- Keep in step with ../../sqlite.
ALTER TABLE residents ADD COLUMN search_hmac BYTEA;
CREATE INDEX residents_search ON residents (search_hmac);
