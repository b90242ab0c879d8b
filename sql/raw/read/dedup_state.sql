-- What sql/raw/events.sql has to look at: the arrival dates loaded since the last first-delivery resolution
-- (dedup_pending), whether rows that had been resolved were replaced among them (complete), and how many rows
-- they hold against all loaded rows.
SELECT coalesce(bool_or(p.complete), false) AS complete, count(*) AS pending_dates,
       (SELECT count(*) FROM raw_events WHERE arrival_date IN (SELECT arrival_date FROM bookkeeping.dedup_pending))
         AS pending_rows,
       (SELECT count(*) FROM raw_events) AS total_rows
FROM bookkeeping.dedup_pending p;
