-- The hashes of every event id delivered more than once, over all arrival dates: the ids sql/raw/events.sql decides
-- the kept copy of, over every arrival date (dedup_dates: all of them, each decided). Used on a first load, when
-- most rows are new, and after rows that had been decided were replaced (dedup_pending.complete). After a nightly
-- load: sql/raw/redelivered_incremental.sql.
CREATE OR REPLACE TEMP TABLE redelivered AS
SELECT hash(event_id) AS h
FROM raw_events
GROUP BY 1
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE dedup_dates AS
SELECT DISTINCT arrival_date, true AS decide FROM raw_events;
