-- Rows read and rejected over every loaded file, and the arrival dates covered (the report's data quality).
SELECT sum(rows_read)::BIGINT AS rows_read, sum(rows_quarantined)::BIGINT AS rows_rejected,
       min(arrival_date) AS first_arrival, max(arrival_date) AS last_arrival
FROM ingested_files;
