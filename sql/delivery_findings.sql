-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content). Which copy is kept is
-- decided by sql/events.sql (raw_events.first_delivery: NULL for an only copy). Only the copies of
-- redelivered events are read: the filter on the boolean column skips every other row before its content
-- is fetched.
CREATE OR REPLACE TABLE delivery_findings AS
WITH copies AS MATERIALIZED (
  SELECT r.arrival_date, r.event_id, r.first_delivery, {content_columns}
  FROM raw_events r
  WHERE r.first_delivery IS NOT NULL
)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies c WHERE NOT c.first_delivery GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM copies c JOIN copies f ON f.event_id = c.event_id AND f.first_delivery
WHERE NOT c.first_delivery AND NOT ({same_content})
GROUP BY ALL;
