-- The control arm of the experiment named by the parameter e (nudge power).
SELECT control
FROM registry_experiments
WHERE experiment_id = $e;
