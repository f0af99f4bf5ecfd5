-- The issuing office. Keep in step with ../../postgresql (a test diffs them).
-- Personal data exists only sealed (AEAD) in residents.sealed_record,
-- residents.sealed_photo and cards.sealed_qr. There is deliberately no column
-- for a document type or number, a copy, nationality or status.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'clerk', 'auditor')),
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed logins per client address and per unknown account name. The subject
-- is an HMAC (never the address or the name itself).
CREATE TABLE login_throttle (
    subject BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('address', 'account')),
    failures INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE residents (
    id BIGINT PRIMARY KEY NOT NULL,
    sealed_record BLOB,
    sealed_photo BLOB,
    photo_delete_after TIMESTAMP,
    dedup_hmac BLOB,
    created_at TIMESTAMP NOT NULL,
    erased_at TIMESTAMP
);
CREATE INDEX residents_dedup ON residents (dedup_hmac);

CREATE TABLE cards (
    card_number BIGINT PRIMARY KEY NOT NULL,
    resident_id BIGINT REFERENCES residents (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revocation_reason TEXT CHECK (revocation_reason IN
        ('lost', 'stolen', 'damaged', 'renewed', 'withdrawn', 'issued_in_error', 'erased')),
    revoked_at TIMESTAMP,
    issued DATE NOT NULL,
    expires DATE NOT NULL,
    office TEXT NOT NULL,
    kid BLOB NOT NULL,
    sealed_qr BLOB,
    printed_at TIMESTAMP,
    identity_checked BOOLEAN NOT NULL,
    residence_checked BOOLEAN NOT NULL,
    attested_by TEXT NOT NULL,
    attested_at TIMESTAMP NOT NULL,
    previous_card BIGINT,
    CHECK (identity_checked AND residence_checked),
    CHECK ((status = 'revoked') = (revocation_reason IS NOT NULL))
);
CREATE INDEX cards_resident ON cards (resident_id);
CREATE INDEX cards_status ON cards (status, expires);
CREATE INDEX cards_unprinted ON cards (printed_at);

-- Append-only, hash-chained. Entries hold no personal data: card number,
-- action, user, office, time and a non-personal detail.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    office TEXT NOT NULL,
    action TEXT NOT NULL,
    card_number BIGINT,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_log_card ON audit_log (card_number);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- The chain's head (one row). Every writing transaction updates it first,
-- which serialises writers on both backends and keeps the chain linear.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- Check values that prove the configured keys belong to this database.
CREATE TABLE office_meta (
    name TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);
