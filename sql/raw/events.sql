-- One row per distinct event_id over every arrival date (docs/definitions.md §2): the first delivery is kept
-- (smallest arrival date, then file, then line). No raw text: raw_events never held it.
--
-- raw_events.first_delivery is NULL for the only copy of an event (every row arrives so), true for the kept
-- copy of an event delivered more than once and false for its other copies; `events` is the view of the
-- rows not marked false. Only event ids delivered more than once need a decision: the temp table
-- redelivered holds their hashes, every such id (sql/raw/redelivered.sql) or only those that occur among the
-- arrival dates loaded since the last run (sql/raw/redelivered_incremental.sql). hash() only narrows the search
-- (a collision just ranks a few more rows); the ranking itself compares event ids. The parameter complete is
-- true after rows that had been decided were replaced (sql/raw/redelivered.sql ran).
CREATE OR REPLACE TEMP TABLE redelivery_ranks AS
SELECT arrival_date, source_file, line_no,
       row_number() OVER (PARTITION BY event_id ORDER BY arrival_date, source_file, line_no) = 1 AS kept
FROM raw_events
WHERE hash(event_id) IN (SELECT h FROM redelivered);

-- the arrival dates whose copies were looked at: only their duplicate findings can change
CREATE OR REPLACE TEMP TABLE redelivery_dates AS SELECT DISTINCT arrival_date FROM redelivery_ranks;

UPDATE raw_events SET first_delivery = k.kept
FROM redelivery_ranks k
WHERE raw_events.arrival_date = k.arrival_date AND raw_events.source_file = k.source_file
  AND raw_events.line_no = k.line_no AND raw_events.first_delivery IS DISTINCT FROM k.kept;

-- a copy whose other copies have all been replaced away is now the only one
UPDATE raw_events SET first_delivery = NULL
WHERE $complete AND first_delivery IS NOT NULL AND hash(event_id) NOT IN (SELECT h FROM redelivered);

DELETE FROM dedup_pending;

CREATE OR REPLACE VIEW events AS
SELECT * EXCLUDE (line_no, first_delivery)
FROM raw_events
WHERE first_delivery IS NOT false;
