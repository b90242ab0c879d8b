-- Per (experiment, arm, segment, metric): the sufficient statistics of the per-user values — n, sums, sums
-- of squares and cross-products — in one pass over user_metrics. This table is all that leaves SQL.
-- The metric_structs placeholder is filled from the metric catalogue (pipelines/metrics.py).
CREATE OR REPLACE TABLE arm_statistics AS
WITH per_metric AS (
  SELECT experiment_id, variant, country, platform, unnest([
    {metric_structs}
  ]) AS m
  FROM user_metrics
), included AS (
  SELECT experiment_id, variant, country, platform, m.metric, m.num, m.den, m.pre, m.seg_dim, m.seg_value
  FROM per_metric
  WHERE m.include
), grouped AS (
  SELECT experiment_id, variant, metric, seg_dim, seg_value, country, platform,
         grouping(country) = 0 AS by_country, grouping(platform) = 0 AS by_platform,
         count(*) AS n,
         -- products in DECIMAL(38, 12): two DECIMAL(18, 6) multiply into DECIMAL(18, 12), which overflows
         -- from a per-user value of 1,000 on (e.g. a heavy poster over a long experiment); still exact
         sum(num)::DOUBLE AS m_sum, sum(num::DECIMAL(38, 6) * num)::DOUBLE AS m_sum_squares,
         sum(den)::DOUBLE AS d_sum, sum(den::DECIMAL(38, 6) * den)::DOUBLE AS d_sum_squares,
         sum(num::DECIMAL(38, 6) * den)::DOUBLE AS m_d_sum_of_products,
         sum(pre)::DOUBLE AS pre_sum, sum(pre::DECIMAL(38, 6) * pre)::DOUBLE AS pre_sum_squares,
         sum(num::DECIMAL(38, 6) * pre)::DOUBLE AS m_pre_sum_of_products
  FROM included
  GROUP BY GROUPING SETS (
    (experiment_id, variant, metric, seg_dim, seg_value),
    (experiment_id, variant, metric, seg_dim, seg_value, country),
    (experiment_id, variant, metric, seg_dim, seg_value, platform)
  )
)
SELECT g.experiment_id, g.variant,
       CASE WHEN g.by_country THEN 'country' WHEN g.by_platform THEN 'platform' ELSE g.seg_dim END AS segment_dim,
       CASE WHEN g.by_country THEN g.country WHEN g.by_platform THEN g.platform
            WHEN g.seg_value = 'band1' THEN printf('%.2f-%.2f', x.trigger_threshold, x.band_edge)
            WHEN g.seg_value = 'band2' THEN printf('%.2f-1.00', x.band_edge)
            ELSE g.seg_value END AS segment_value,
       g.metric, g.n, g.m_sum, g.m_sum_squares, g.d_sum, g.d_sum_squares, g.m_d_sum_of_products,
       g.pre_sum, g.pre_sum_squares, g.m_pre_sum_of_products
FROM grouped g JOIN registry_experiments x USING (experiment_id)
WHERE g.seg_dim = 'all' OR NOT (g.by_country OR g.by_platform)
ORDER BY ALL;
