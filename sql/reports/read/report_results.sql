-- Every result row of the experiment named by the parameter e, for its report (results.csv, the forest plot, all metrics).
SELECT *
FROM experiment_results
WHERE experiment_id = $e
ORDER BY metric, segment_dim, segment_value, variant;
