-- The effect after each experiment day for the experiment named by the parameter e (the report's effect-over-time chart).
SELECT *
FROM daily_results
WHERE experiment_id = $e
ORDER BY metric, variant, as_of;
