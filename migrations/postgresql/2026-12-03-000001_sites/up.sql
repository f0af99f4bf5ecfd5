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
    id BIGINT PRIMARY KEY,
    sealed BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

-- NULL: a city-wide user (admins, auditors, central print staff).
ALTER TABLE users ADD COLUMN site_id BIGINT REFERENCES sites (id);

ALTER TABLE cards ADD COLUMN sealed_route BYTEA;
ALTER TABLE cards ADD COLUMN pickup_state TEXT CHECK (pickup_state IN
    ('queued', 'printed', 'sent', 'ready', 'handed_over', 'not_collected', 'destroyed'));
ALTER TABLE cards ADD COLUMN pickup_state_at TIMESTAMP;
ALTER TABLE cards DROP CONSTRAINT cards_revocation_reason_check;
ALTER TABLE cards ADD CONSTRAINT cards_revocation_reason_check CHECK (revocation_reason IN
    ('lost', 'stolen', 'damaged', 'renewed', 'withdrawn', 'issued_in_error', 'erased',
     'not_collected'));
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
