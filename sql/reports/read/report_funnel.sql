-- Analysed attempts per arm and outcome of the experiment named by the parameter e (the report's outcome funnel).
SELECT variant, outcome, count(*)::BIGINT AS attempts
FROM triggered_attempts
WHERE experiment_id = $e AND exclusion IS NULL
GROUP BY ALL;
