-- A warehouse from when raw_events itself marked the kept copies (a column first_delivery): its decisions move
-- to the table redeliveries (sql/raw/schema.sql has created it), and the column goes; pipelines/raw/warehouse.py
-- then defines the events view again (sql/raw/events.sql).
INSERT INTO redeliveries
SELECT arrival_date, source_file, line_no, event_id, first_delivery FROM raw_events WHERE first_delivery IS NOT NULL;
DROP VIEW IF EXISTS events;
ALTER TABLE raw_events DROP COLUMN first_delivery;
