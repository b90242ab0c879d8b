-- The hashes of the event ids delivered more than once among those that occur in the arrival dates loaded since
-- the last run (dedup_pending): only their kept copy can have changed. The input of sql/raw/events.sql after a
-- nightly load; every redelivered id: sql/raw/redelivered.sql.
CREATE OR REPLACE TEMP TABLE redelivered AS
SELECT hash(event_id) AS h
FROM raw_events
WHERE hash(event_id) IN (SELECT hash(event_id) FROM raw_events
                         WHERE arrival_date IN (SELECT arrival_date FROM dedup_pending))
GROUP BY 1
HAVING count(*) > 1;
