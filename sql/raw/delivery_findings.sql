-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the delivery it is a copy of: the first row of its event id that arrived at most
-- window_days (2) days before it (docs/definitions.md §2; the kept copy whenever the id's rows span at most that
-- window, as every identical copy's do). Which rows are copies is decided by
-- sql/raw/redeliveries.sql (the table redeliveries). Only the copies of redelivered events and the rows they may
-- be copies of are read.
-- The whole table, in one pass over every copy and kept copy (`involved`). After a nightly load only some
-- arrival dates can change: sql/raw/delivery_findings_incremental.sql (the same counting, keep the two in step;
-- tests/test_incremental.py checks that they agree).
-- Placeholders content_columns and same_content: generated from the contract's fields (pipelines/tables.py).
CREATE OR REPLACE TABLE delivery_findings AS
WITH involved AS MATERIALIZED (
  SELECT r.arrival_date, r.source_file, r.line_no, d.kept, r.event_id, {content_columns}
  FROM raw_events r JOIN redeliveries d USING (arrival_date, source_file, line_no)
), copies AS MATERIALIZED (
  SELECT * EXCLUDE (kept) FROM involved WHERE NOT kept
), compared AS (
  SELECT c.arrival_date, NOT ({same_content}) AS conflicting
  FROM copies c JOIN involved f
    ON f.event_id = c.event_id
   AND f.arrival_date BETWEEN c.arrival_date - INTERVAL 1 DAY * $window_days AND c.arrival_date
   AND (f.arrival_date < c.arrival_date OR f.source_file < c.source_file
        OR (f.source_file = c.source_file AND f.line_no < c.line_no))
  QUALIFY row_number() OVER (PARTITION BY c.arrival_date, c.source_file, c.line_no
                             ORDER BY f.arrival_date, f.source_file, f.line_no) = 1
)
SELECT arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies GROUP BY ALL
UNION ALL
SELECT arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM compared
WHERE conflicting
GROUP BY ALL;
