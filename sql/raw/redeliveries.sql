-- Which delivery of each event id delivered more than once is kept (docs/definitions.md §2): the first one
-- (smallest arrival date, then file, then line); a row is a copy when an earlier row of its event id arrived at most
-- window_days days before it (an identical copy cannot arrive later: its event_ts would be implausible).
--
-- redeliveries holds one row per delivery with another delivery of its event id within window_days (2) days:
-- kept is true for the kept delivery and false for a copy; a row of raw_events that is not in it is an only copy.
-- The `events` view (sql/raw/events.sql) leaves out the copies. Only event ids delivered more than once need a
-- decision: the temp table redelivered holds their hashes, and dedup_dates the arrival dates to read (decide: those
-- whose rows are decided; the others only give them their neighbours): every id over every date
-- (sql/raw/redelivered.sql), or after a nightly load only the ids that occur among the arrival dates loaded since
-- the last run, within the window around them (sql/raw/redelivered_incremental.sql). hash() only narrows the
-- search (a collision just ranks a few more rows); the ranking itself compares event ids.
-- The parameter complete is true after rows that had been decided were replaced (sql/raw/redelivered.sql ran).
CREATE OR REPLACE TEMP TABLE redelivery_ranks AS
WITH neighbours AS (
  SELECT arrival_date, source_file, line_no, event_id,
         lag(arrival_date) OVER w AS previous_date, lead(arrival_date) OVER w AS next_date
  FROM raw_events
  WHERE hash(event_id) IN (SELECT h FROM redelivered)
    AND arrival_date IN (SELECT arrival_date FROM dedup_dates)
  WINDOW w AS (PARTITION BY event_id ORDER BY arrival_date, source_file, line_no)
)
SELECT arrival_date, source_file, line_no, event_id,
       CASE WHEN date_diff('day', previous_date, arrival_date) <= $window_days THEN false
            WHEN date_diff('day', arrival_date, next_date) <= $window_days THEN true
       END AS kept
FROM neighbours
WHERE arrival_date IN (SELECT arrival_date FROM dedup_dates WHERE decide);

-- the arrival dates whose copies were looked at: only their duplicate findings can change
CREATE OR REPLACE TEMP TABLE redelivery_dates AS SELECT DISTINCT arrival_date FROM redelivery_ranks;

-- the decided rows' earlier decisions go (all of them after decided rows were replaced: a copy whose other copies
-- have all been replaced away is now an only copy), their new ones come in
DELETE FROM redeliveries
WHERE $complete
   OR (arrival_date IN (SELECT arrival_date FROM dedup_dates WHERE decide)
       AND hash(event_id) IN (SELECT h FROM redelivered));

INSERT INTO redeliveries BY NAME
SELECT arrival_date, source_file, line_no, event_id, kept
FROM redelivery_ranks
WHERE kept IS NOT NULL;

DELETE FROM bookkeeping.dedup_pending;
