-- Issue 13: the clerk's attestation that a minor's caretaker was present
-- (nothing else about the caretaker is stored), and an index for the
-- deletion schedule (residents not erased yet). Keep both backends in step.
ALTER TABLE cards ADD COLUMN caretaker_present BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX residents_not_erased ON residents (created_at) WHERE erased_at IS NULL;
