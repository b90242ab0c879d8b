-- One row per event over every arrival date (docs/definitions.md §2): the first delivery is kept (smallest arrival
-- date, then file, then line); a row is a copy when an earlier row of its event id arrived at most window_days
-- days before it (an identical copy cannot arrive later: its event_ts would be implausible). No raw text:
-- raw_events never held it.
--
-- raw_events.first_delivery is NULL for a row with no other row of its event id within window_days (2) days, true
-- for a kept row with copies and false for a copy; `events` is the view of the rows not marked false. Only event
-- ids delivered more than once need a decision: the temp table redelivered holds their hashes, and dedup_dates
-- the arrival dates to read (decide: those whose rows are decided; the others only give them their neighbours):
-- every id over every date (sql/raw/redelivered.sql), or after a nightly load only the ids that occur among the
-- arrival dates loaded since the last run, within the window around them (sql/raw/redelivered_incremental.sql).
-- hash() only narrows the search (a collision just ranks a few more rows); the ranking itself compares event ids.
-- The parameter complete is true after rows that had been decided were replaced (sql/raw/redelivered.sql ran).
CREATE OR REPLACE TEMP TABLE redelivery_ranks AS
WITH neighbours AS (
  SELECT arrival_date, source_file, line_no,
         lag(arrival_date) OVER w AS previous_date, lead(arrival_date) OVER w AS next_date
  FROM raw_events
  WHERE hash(event_id) IN (SELECT h FROM redelivered)
    AND arrival_date IN (SELECT arrival_date FROM dedup_dates)
  WINDOW w AS (PARTITION BY event_id ORDER BY arrival_date, source_file, line_no)
)
SELECT arrival_date, source_file, line_no,
       CASE WHEN date_diff('day', previous_date, arrival_date) <= $window_days THEN false
            WHEN date_diff('day', arrival_date, next_date) <= $window_days THEN true
       END AS kept
FROM neighbours
WHERE arrival_date IN (SELECT arrival_date FROM dedup_dates WHERE decide);

-- the arrival dates whose copies were looked at: only their duplicate findings can change
CREATE OR REPLACE TEMP TABLE redelivery_dates AS SELECT DISTINCT arrival_date FROM redelivery_ranks;

UPDATE raw_events SET first_delivery = k.kept
FROM redelivery_ranks k
WHERE raw_events.arrival_date = k.arrival_date AND raw_events.source_file = k.source_file
  AND raw_events.line_no = k.line_no AND raw_events.first_delivery IS DISTINCT FROM k.kept;

-- a copy whose other copies have all been replaced away is now the only one
UPDATE raw_events SET first_delivery = NULL
WHERE $complete AND first_delivery IS NOT NULL AND hash(event_id) NOT IN (SELECT h FROM redelivered);

DELETE FROM bookkeeping.dedup_pending;

CREATE OR REPLACE VIEW events AS
SELECT * EXCLUDE (line_no, first_delivery)
FROM raw_events
WHERE first_delivery IS NOT false;
