-- Rejected and read rows per arrival date: the raw layer's quarantine-share check.
SELECT arrival_date::VARCHAR AS arrival_date, sum(rows_quarantined) AS rows_quarantined, sum(rows_read) AS rows_read
FROM ingested_files
GROUP BY 1
ORDER BY 1;
