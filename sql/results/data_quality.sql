-- Every kind of bad or suspicious input, counted per arrival date and reason (results-v1 §2).
CREATE OR REPLACE TABLE data_quality AS
WITH counts AS (
  SELECT arrival_date, reason, CAST(NULL AS VARCHAR) AS experiment_id, count(*) AS count
  FROM quarantined_events GROUP BY ALL
  UNION ALL
  SELECT arrival_date, 'empty_file', NULL, count(*) FROM ingested_files WHERE finding = 'empty_file' GROUP BY ALL
  UNION ALL
  SELECT arrival_date, reason, NULL, count FROM delivery_findings
  UNION ALL
  SELECT arrival_date, 'late_event', NULL, count(*) FROM events
  WHERE CAST(event_ts AS DATE) < arrival_date GROUP BY ALL
  UNION ALL
  -- rows that carried raw text, used or quarantined (the text was dropped either way)
  SELECT arrival_date, 'text_field_scrubbed', NULL, count(*) FROM raw_events WHERE has_text GROUP BY ALL
  UNION ALL
  SELECT arrival_date, 'text_field_scrubbed', NULL, count(*) FROM quarantined_events WHERE has_text GROUP BY ALL
  UNION ALL
  SELECT arrival_date, reason, experiment_id, count FROM experiment_findings
)
SELECT arrival_date, reason, experiment_id, sum(count)::BIGINT AS count
FROM counts
GROUP BY ALL
ORDER BY arrival_date, reason, experiment_id;
