SELECT source_file, sum(v) AS rows_valid, sum(q) AS rows_quarantined FROM (
  SELECT source_file, count(*) AS v, 0 AS q FROM raw_events
  WHERE list_contains(CAST($days AS DATE[]), arrival_date) GROUP BY 1
  UNION ALL
  SELECT source_file, 0, count(*) FROM quarantined_events
  WHERE list_contains(CAST($days AS DATE[]), arrival_date) GROUP BY 1
) GROUP BY 1
