-- Whether the effect differs between segments, for the experiment named by the parameter e ("does it work everywhere?").
SELECT *
FROM segment_heterogeneity
WHERE experiment_id = $e
ORDER BY metric, segment_dim, variant;
