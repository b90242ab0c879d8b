-- The overall per-arm statistics of the experiment named by the parameter e (nudge power: variances, users).
SELECT *
FROM arm_statistics
WHERE experiment_id = $e AND segment_dim = 'all'
ORDER BY metric, variant;
