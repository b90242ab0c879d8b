-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content). Which copy is kept is
-- decided by sql/events.sql (raw_events.first_delivery: NULL for an only copy). Only the copies of
-- redelivered events are read. The head and dates placeholders make it the whole table, or — after a
-- nightly load — only the arrival dates whose copies sql/events.sql looked at (temp table redelivery_dates):
-- no other date's copies or their kept copies changed.
{head}
WITH involved AS MATERIALIZED (
  -- one pass reads the content of every copy and kept copy (first_delivery is NULL for the others)
  SELECT r.arrival_date, r.first_delivery, r.event_id, {content_columns}
  FROM raw_events r
  WHERE r.first_delivery IS NOT NULL
), copies AS MATERIALIZED (
  SELECT * EXCLUDE (first_delivery) FROM involved r WHERE NOT r.first_delivery {dates}
), kept AS MATERIALIZED (
  SELECT * EXCLUDE (first_delivery, arrival_date) FROM involved
  WHERE first_delivery AND event_id IN (SELECT event_id FROM copies)
)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies c GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM copies c JOIN kept f ON f.event_id = c.event_id
WHERE NOT ({same_content})
GROUP BY ALL;
