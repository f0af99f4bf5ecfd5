DROP TABLE site_figures;
DROP INDEX cards_in_pickup;
ALTER TABLE cards DROP CONSTRAINT cards_revocation_reason_check;
ALTER TABLE cards ADD CONSTRAINT cards_revocation_reason_check CHECK (revocation_reason IN
    ('lost', 'stolen', 'damaged', 'renewed', 'withdrawn', 'issued_in_error', 'erased'));
ALTER TABLE cards DROP COLUMN pickup_state_at;
ALTER TABLE cards DROP COLUMN pickup_state;
ALTER TABLE cards DROP COLUMN sealed_route;
ALTER TABLE users DROP COLUMN site_id;
DROP TABLE sites;
