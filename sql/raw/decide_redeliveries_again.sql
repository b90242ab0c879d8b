-- A warehouse from before the kept copies were recorded (no table redeliveries, no column first_delivery): every
-- loaded arrival date is wholly pending, so that sql/raw/redeliveries.sql decides every row again.
INSERT INTO bookkeeping.dedup_pending SELECT DISTINCT arrival_date, true FROM raw_events;
