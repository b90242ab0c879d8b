-- Assigned users per (experiment, arm, segment) with the planned share: the input of the sample-ratio check
-- (contaminated users included under their first arm: the check is about the assignment mechanism).
CREATE OR REPLACE TABLE sample_ratio_counts AS
SELECT v.experiment_id, v.variant, v.planned_share, s.segment_dim, s.segment_value, coalesce(c.users, 0) AS users
FROM registry_variants v
JOIN (
  SELECT DISTINCT experiment_id, 'all' AS segment_dim, 'all' AS segment_value FROM registry_variants
  UNION ALL SELECT DISTINCT experiment_id, 'country', country FROM assignments
  UNION ALL SELECT DISTINCT experiment_id, 'platform', platform FROM assignments
) s USING (experiment_id)
LEFT JOIN (
  SELECT experiment_id, variant,
         CASE WHEN grouping(country) = 0 THEN 'country' WHEN grouping(platform) = 0 THEN 'platform' ELSE 'all' END
           AS segment_dim,
         coalesce(country, platform, 'all') AS segment_value,
         count(*) AS users
  FROM assignments
  GROUP BY GROUPING SETS ((experiment_id, variant), (experiment_id, variant, country), (experiment_id, variant, platform))
) c USING (experiment_id, variant, segment_dim, segment_value)
ORDER BY ALL;
