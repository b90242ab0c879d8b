-- Analysed attempts per experiment, arm and outcome (the triggered_attempts asset's metadata).
SELECT experiment_id, variant, outcome, count(*) AS attempts
FROM triggered_attempts
WHERE exclusion IS NULL
GROUP BY ALL
ORDER BY ALL;
