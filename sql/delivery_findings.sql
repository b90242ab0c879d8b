-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content). Which copy is kept is
-- decided by sql/events.sql (raw_events.first_delivery: NULL for an only copy). Only the copies of
-- redelivered events and their kept copies are read. The placeholders make it either the whole table —
-- one pass reads every copy and kept copy (`involved`) — or, after a nightly load, only the arrival dates
-- whose copies sql/events.sql looked at (temp table redelivery_dates; no other date's copies or their kept
-- copies changed): `involved` is then their copies alone and the kept copies are looked up in raw_events.
{head}
WITH involved AS MATERIALIZED (
  SELECT r.arrival_date, r.first_delivery, r.event_id, {content_columns}
  FROM raw_events r
  WHERE r.first_delivery IS NOT NULL {involved}
), copies AS MATERIALIZED (
  SELECT * EXCLUDE (first_delivery) FROM involved WHERE NOT first_delivery
), kept AS MATERIALIZED (
  SELECT r.event_id, {content_columns}
  FROM {kept_source} r
  WHERE r.first_delivery AND r.event_id IN (SELECT event_id FROM copies)
)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies c GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM copies c JOIN kept f ON f.event_id = c.event_id
WHERE NOT ({same_content})
GROUP BY ALL;
