DROP INDEX cards_unprinted_kept;
DROP INDEX cards_revoked_kept;
DROP INDEX cards_print_queue;
