DROP INDEX cards_in_pickup;
CREATE INDEX cards_in_pickup ON cards (pickup_state, pickup_state_at)
    WHERE pickup_state IN ('queued', 'printed', 'sent', 'ready', 'not_collected');
