-- Rejected rows per arrival date and reason, for the arrival dates in the list parameter days (the raw_events asset's
-- per-partition metadata; quarantined_events is small: the rows that broke the contract).
SELECT arrival_date::VARCHAR AS arrival_date, reason, count(*) AS count
FROM quarantined_events
WHERE list_contains($days, arrival_date)
GROUP BY ALL;
