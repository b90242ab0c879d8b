-- Assigned users per experiment and arm against the planned share (the sample_ratio_counts asset's metadata).
SELECT experiment_id, variant, users, planned_share
FROM sample_ratio_counts
WHERE segment_dim = 'all'
ORDER BY 1, 2;
