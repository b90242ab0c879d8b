-- One row per distinct event_id over every arrival date (docs/definitions.md §2): the first delivery is kept
-- (smallest arrival date, then file, then line). No raw text: raw_events never held it.
--
-- `events` is the view of the rows of raw_events marked first_delivery. Rows arrive unmarked (NULL: not in
-- events yet); only event ids delivered more than once need a decision, and only those that occur among the
-- arrival dates loaded since the last run (dedup_pending) can have changed: {scope} limits the search to
-- them, or is empty (every event id) after rows that had been decided were replaced. hash() only narrows
-- the search (a collision just ranks a few more rows); the ranking itself compares event ids.
CREATE OR REPLACE TEMP TABLE redelivered AS
SELECT hash(event_id) AS h
FROM raw_events
{scope}
GROUP BY 1
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE redelivery_ranks AS
SELECT arrival_date, source_file, line_no,
       row_number() OVER (PARTITION BY event_id ORDER BY arrival_date, source_file, line_no) = 1 AS kept
FROM raw_events
WHERE hash(event_id) IN (SELECT h FROM redelivered);

UPDATE raw_events SET first_delivery = k.kept
FROM redelivery_ranks k
WHERE raw_events.arrival_date = k.arrival_date AND raw_events.source_file = k.source_file
  AND raw_events.line_no = k.line_no AND raw_events.first_delivery IS DISTINCT FROM k.kept;

-- every other new row is the only copy of its event
UPDATE raw_events SET first_delivery = true WHERE first_delivery IS NULL;

-- a later copy whose other copies have all been replaced away is now the first delivery
UPDATE raw_events SET first_delivery = true
WHERE $complete AND NOT first_delivery AND hash(event_id) NOT IN (SELECT h FROM redelivered);

DELETE FROM dedup_pending;

CREATE OR REPLACE VIEW events AS
SELECT * EXCLUDE (line_no, first_delivery)
FROM raw_events
WHERE first_delivery;
