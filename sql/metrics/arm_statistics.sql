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
), bounds AS (
  -- The toxicity bands are labelled with their bounds to two decimals, as printf('%.2f') writes a DOUBLE v:
  -- rounded from its exact binary value, a tie to the even hundredth. Here in integers, exactly alike on every
  -- engine: v = m / 2^62 with m = floor(v * 2^62) (times a power of two is exact, and m whole for any v from
  -- 2^-10; a smaller v rounds to 0.00 either way), so 100 v = 25 m / 2^60.
  SELECT experiment_id, 'threshold' AS bound, trigger_threshold AS v FROM registry_experiments
  UNION ALL
  SELECT experiment_id, 'edge' AS bound, band_edge AS v FROM registry_experiments
), scaled AS (
  SELECT experiment_id, bound, CAST(floor(v * 100) AS BIGINT) AS h,
         CAST(floor(v * 4611686018427387904) AS DECIMAL(38, 0)) * 25 AS m25
  FROM bounds
), floored AS (
  -- floor(100 v): h, or one less where v * 100 was rounded up to a whole number
  SELECT experiment_id, bound, m25,
         h - CASE WHEN m25 < CAST(h AS DECIMAL(38, 0)) * 1152921504606846976 THEN 1 ELSE 0 END AS n
  FROM scaled
), hundredths AS (
  -- n + 1 where 100 v lies above n + 1/2 (25 m > (2n + 1) * 2^59), or on it with n odd
  SELECT experiment_id, bound,
         n + CASE WHEN m25 > CAST(2 * n + 1 AS DECIMAL(38, 0)) * 576460752303423488
                    OR m25 = CAST(2 * n + 1 AS DECIMAL(38, 0)) * 576460752303423488 AND n % 2 = 1
               THEN 1 ELSE 0 END AS k
  FROM floored
), band_labels AS (
  SELECT experiment_id,
         max(CASE WHEN bound = 'threshold' THEN label END) AS threshold_label,
         max(CASE WHEN bound = 'edge' THEN label END) AS edge_label
  FROM (SELECT experiment_id, bound,
               CAST(k // 100 AS VARCHAR) || '.' || lpad(CAST(k % 100 AS VARCHAR), 2, '0') AS label
        FROM hundredths)
  GROUP BY experiment_id
)
SELECT g.experiment_id, g.variant,
       CASE WHEN g.by_country THEN 'country' WHEN g.by_platform THEN 'platform' ELSE g.seg_dim END AS segment_dim,
       CASE WHEN g.by_country THEN g.country WHEN g.by_platform THEN g.platform
            WHEN g.seg_value = 'band1' THEN b.threshold_label || '-' || b.edge_label
            WHEN g.seg_value = 'band2' THEN b.edge_label || '-1.00'
            ELSE g.seg_value END AS segment_value,
       g.metric, g.n, g.m_sum, g.m_sum_squares, g.d_sum, g.d_sum_squares, g.m_d_sum_of_products,
       g.pre_sum, g.pre_sum_squares, g.m_pre_sum_of_products
FROM grouped g JOIN band_labels b USING (experiment_id)
WHERE g.seg_dim = 'all' OR NOT (g.by_country OR g.by_platform)
ORDER BY ALL;
