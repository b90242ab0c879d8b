-- Bad or suspicious inputs by reason for the experiment named by the parameter e: the log's (no experiment) and the experiment's own.
SELECT reason, CASE WHEN experiment_id IS NULL THEN 'log' ELSE 'experiment' END AS scope,
       sum(count)::BIGINT AS count
FROM data_quality
WHERE experiment_id = $e OR experiment_id IS NULL
GROUP BY ALL
ORDER BY count DESC, reason;
