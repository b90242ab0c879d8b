-- Bookkeeping of a load, in its transaction: the loaded arrival dates wait for the next first-delivery
-- resolution (sql/raw/events.sql) and the next attempt_outcomes update; `complete` when rows that had been
-- resolved were replaced (had_rows: their event ids may have lost their kept copy). loaded_partitions keeps
-- each date's fingerprint (in the order of the dates), so an unchanged partition is not read again.
INSERT INTO bookkeeping.dedup_pending
SELECT d, list_contains(CAST($had_rows AS DATE[]), d) FROM unnest(CAST($days AS DATE[])) AS t(d);
INSERT INTO bookkeeping.attempts_pending
SELECT d, list_contains(CAST($had_rows AS DATE[]), d) FROM unnest(CAST($days AS DATE[])) AS t(d);
DELETE FROM bookkeeping.loaded_partitions WHERE list_contains(CAST($days AS DATE[]), arrival_date);
INSERT INTO bookkeeping.loaded_partitions
SELECT unnest(CAST($days AS DATE[])), unnest(CAST($fingerprints AS VARCHAR[]));
