-- The latest signed lists the office publishes (one row per list), so every
-- server instance on this database serves the same bytes. Keep in step with
-- ../../postgresql (a test diffs them). An empty `bytes` means "not signed yet".
CREATE TABLE published_lists (
    name TEXT PRIMARY KEY NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    content_hash BLOB NOT NULL,
    bytes BLOB NOT NULL
);
INSERT INTO published_lists (name, issued_at, content_hash, bytes)
    VALUES ('revocations', '1970-01-01 00:00:00', x'', x'');
