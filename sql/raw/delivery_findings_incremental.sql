-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the delivery it is a copy of: the first row of its event id that arrived at most
-- window_days (2) days before it (docs/definitions.md §2). Which rows are copies is decided by
-- sql/raw/redeliveries.sql (the table redeliveries).
-- After a nightly load: only the arrival dates whose copies sql/raw/redeliveries.sql looked at (temp table
-- redelivery_dates; no other date's copies or the rows they are copies of changed) are counted again: their
-- copies, compared with the rows of the window_days (2) days before each. The whole table:
-- sql/raw/delivery_findings.sql (the same counting, keep the two in step; tests/test_incremental.py checks that
-- they agree).
-- Placeholders content_columns and same_content: generated from the contract's fields (pipelines/tables.py).
DELETE FROM delivery_findings WHERE arrival_date IN (SELECT arrival_date FROM redelivery_dates);

INSERT INTO delivery_findings BY NAME
WITH copies AS MATERIALIZED (
  SELECT r.arrival_date, r.source_file, r.line_no, r.event_id, {content_columns}
  FROM raw_events r JOIN redeliveries d USING (arrival_date, source_file, line_no)
  WHERE NOT d.kept AND r.arrival_date IN (SELECT arrival_date FROM redelivery_dates)
), earlier AS MATERIALIZED (
  SELECT r.arrival_date, r.source_file, r.line_no, r.event_id, {content_columns}
  FROM raw_events r JOIN redeliveries d USING (arrival_date, source_file, line_no)
  WHERE r.arrival_date IN (SELECT CAST(d.arrival_date - INTERVAL 1 DAY * k AS DATE)
                           FROM redelivery_dates d, (SELECT unnest(range(0, $window_days + 1)) AS k) AS t)
    AND r.event_id IN (SELECT event_id FROM copies)
), compared AS (
  SELECT c.arrival_date, NOT ({same_content}) AS conflicting
  FROM copies c JOIN earlier f
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
