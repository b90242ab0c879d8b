-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content). Which copy is kept is
-- decided by sql/raw/events.sql (raw_events.first_delivery: NULL for an only copy). Only the copies of
-- redelivered events and their kept copies are read.
-- The whole table, in one pass over every copy and kept copy (`involved`). After a nightly load only some
-- arrival dates can change: sql/raw/delivery_findings_incremental.sql (the same counting, keep the two in step;
-- tests/test_incremental.py checks that they agree).
-- Placeholders content_columns and same_content: generated from the contract's fields (pipelines/tables.py).
CREATE OR REPLACE TABLE delivery_findings AS
WITH involved AS MATERIALIZED (
  SELECT r.arrival_date, r.first_delivery, r.event_id, {content_columns}
  FROM raw_events r
  WHERE r.first_delivery IS NOT NULL
), copies AS MATERIALIZED (
  SELECT * EXCLUDE (first_delivery) FROM involved WHERE NOT first_delivery
), kept AS MATERIALIZED (
  SELECT r.event_id, {content_columns}
  FROM involved r
  WHERE r.first_delivery AND r.event_id IN (SELECT event_id FROM copies)
)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies c GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM copies c JOIN kept f ON f.event_id = c.event_id
WHERE NOT ({same_content})
GROUP BY ALL;
