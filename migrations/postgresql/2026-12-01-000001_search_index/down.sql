DROP INDEX residents_search;
ALTER TABLE residents DROP COLUMN search_hmac;
