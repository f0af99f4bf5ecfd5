-- An API token may be limited to some of its owner's permissions
-- (src/office/accounts/tokens.rs): their codes, separated by spaces, e.g.
-- "cards.read cards.print". NULL: the owner's whole role (tokens made
-- before this migration). Keep in step with ../../postgresql.
ALTER TABLE api_tokens ADD COLUMN permissions TEXT;
