-- After a nightly load: only where a copy can be (docs/definitions.md §2). Whether a row is a kept copy depends
-- only on the rows of its event id that arrived at most window_days (2) days before or after it, so the rows whose
-- decision a newly loaded arrival date p (dedup_pending) can change are those of p - window .. p + window (decide),
-- and deciding them reads p - 2 window .. p + 2 window (dedup_dates). Of the event ids that occur in the new dates,
-- only those with another row within the window need a decision (redelivered). No other arrival date is read.
-- Every redelivered id over every date: sql/raw/redelivered.sql.
CREATE OR REPLACE TEMP TABLE dedup_dates AS
SELECT CAST(p.arrival_date + INTERVAL 1 DAY * k AS DATE) AS arrival_date,
       bool_or(abs(k) <= $window_days) AS decide
FROM bookkeeping.dedup_pending p, (SELECT unnest(range(-2 * $window_days, 2 * $window_days + 1)) AS k) AS t
GROUP BY 1;

CREATE OR REPLACE TEMP TABLE redelivered AS
SELECT hash(event_id) AS h
FROM raw_events
WHERE arrival_date IN (SELECT arrival_date FROM dedup_dates WHERE decide)
  AND hash(event_id) IN (SELECT hash(event_id) FROM raw_events
                         WHERE arrival_date IN (SELECT arrival_date FROM bookkeeping.dedup_pending))
GROUP BY 1
HAVING count(*) > 1;
