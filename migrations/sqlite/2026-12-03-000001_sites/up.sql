-- Issue 11: many sites on one deployment (city counters, pop-up sites,
-- partner organisations), and the pick-up of cards at a site.
--
-- Nothing here names a site or says which kind it is: a site's name and
-- kind are sealed with the data key (like a resident's name), and a card's
-- links to sites (where it was enrolled, where it is picked up, which
-- clerk attested) are one sealed "route" per card. The one plaintext fact
-- about a card's pick-up is its step (`pickup_state`), which is the same
-- for every kind of site. Keep both backends in step.
CREATE TABLE sites (
    id BIGINT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

-- NULL: a city-wide user (admins, auditors, central print staff).
ALTER TABLE users ADD COLUMN site_id BIGINT REFERENCES sites (id);

-- SQLite cannot change a CHECK constraint: the cards table is rebuilt
-- (nothing references it) with the new reason `not_collected` and the
-- pick-up columns.
CREATE TABLE cards_new (
    card_number BIGINT PRIMARY KEY NOT NULL,
    resident_id BIGINT REFERENCES residents (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revocation_reason TEXT CHECK (revocation_reason IN
        ('lost', 'stolen', 'damaged', 'renewed', 'withdrawn', 'issued_in_error', 'erased',
         'not_collected')),
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
    caretaker_present BOOLEAN NOT NULL DEFAULT FALSE,
    sealed_route BLOB,
    pickup_state TEXT CHECK (pickup_state IN
        ('queued', 'printed', 'sent', 'ready', 'handed_over', 'not_collected', 'destroyed')),
    pickup_state_at TIMESTAMP,
    CHECK (identity_checked AND residence_checked),
    CHECK ((status = 'revoked') = (revocation_reason IS NOT NULL))
);
INSERT INTO cards_new (card_number, resident_id, status, revocation_reason, revoked_at, issued,
    expires, office, kid, sealed_qr, printed_at, identity_checked, residence_checked,
    attested_by, attested_at, previous_card, caretaker_present)
SELECT card_number, resident_id, status, revocation_reason, revoked_at, issued,
    expires, office, kid, sealed_qr, printed_at, identity_checked, residence_checked,
    attested_by, attested_at, previous_card, caretaker_present
FROM cards;
DROP TABLE cards;
ALTER TABLE cards_new RENAME TO cards;
CREATE INDEX cards_resident ON cards (resident_id);
CREATE INDEX cards_status ON cards (status, expires);
CREATE INDEX cards_unprinted ON cards (printed_at);
-- The cards on their way to a resident: what every site's lists read.
CREATE INDEX cards_in_pickup ON cards (pickup_state, pickup_state_at)
    WHERE pickup_state IN ('queued', 'printed', 'sent', 'ready', 'not_collected');

-- Counts for the admins' figures: per site, month and step. No card
-- number, no name.
CREATE TABLE site_figures (
    site_id BIGINT NOT NULL REFERENCES sites (id),
    month TEXT NOT NULL,
    event TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (site_id, month, event)
);

-- Cards from before sites that are not printed yet wait on the first
-- site's print queue (their route is empty: the first site).
UPDATE cards SET pickup_state = 'queued', pickup_state_at = attested_at
    WHERE printed_at IS NULL AND status = 'active';
