-- The experiments with per-arm statistics (nudge power: which past experiment to plan from).
SELECT DISTINCT experiment_id
FROM arm_statistics
ORDER BY 1;
