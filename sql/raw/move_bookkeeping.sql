-- A warehouse from before the bookkeeping schema kept these tables in main (sql/raw/schema.sql has created the
-- new, empty ones): their rows move over, and the old tables go, so that main holds only tables users read.
INSERT INTO bookkeeping.dedup_pending SELECT arrival_date, complete FROM main.dedup_pending;
DROP TABLE main.dedup_pending;
INSERT INTO bookkeeping.attempts_pending SELECT arrival_date, complete FROM main.attempts_pending;
DROP TABLE main.attempts_pending;
INSERT INTO bookkeeping.attempts_state SELECT registry_fingerprint FROM main.attempts_state;
DROP TABLE main.attempts_state;
INSERT INTO bookkeeping.loaded_partitions SELECT arrival_date, fingerprint FROM main.loaded_partitions;
DROP TABLE main.loaded_partitions;
