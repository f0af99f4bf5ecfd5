DROP INDEX residents_not_erased;
ALTER TABLE cards DROP COLUMN caretaker_present;
