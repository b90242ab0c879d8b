-- The sample-ratio checks of the experiment named by the parameter e, overall first (the trust banner and the withheld notice).
SELECT *
FROM sample_ratio_checks
WHERE experiment_id = $e
ORDER BY segment_dim <> 'all', segment_dim, segment_value;
