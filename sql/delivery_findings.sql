-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content). Which copy is kept is
-- decided by sql/events.sql (raw_events.first_delivery).
CREATE OR REPLACE TABLE delivery_findings AS
WITH later AS (
  SELECT r.arrival_date, r.event_id, {content_columns}
  FROM raw_events r
  WHERE NOT r.first_delivery
), kept AS (
  SELECT r.event_id, {content_columns}
  FROM raw_events r
  WHERE r.first_delivery AND r.event_id IN (SELECT event_id FROM later)
)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM later c GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM later c JOIN kept f USING (event_id)
WHERE NOT ({same_content})
GROUP BY ALL;
