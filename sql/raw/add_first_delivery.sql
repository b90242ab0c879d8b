-- A warehouse from before raw_events.first_delivery (sql/raw/schema.sql): add the column and mark every loaded
-- arrival date as wholly pending, so that sql/raw/events.sql decides every row again.
ALTER TABLE raw_events ADD COLUMN first_delivery BOOLEAN;

INSERT INTO bookkeeping.dedup_pending SELECT DISTINCT arrival_date, true FROM raw_events;
