-- The headline metric as it stood at the end of each experiment day (cumulative, by trigger time): the
-- sufficient statistics of every daily look, for the cumulative-effect chart and its always-valid intervals.
CREATE OR REPLACE TABLE daily_arm_statistics AS
WITH per_user_day AS (
  SELECT experiment_id, user_id, variant, CAST(triggered_at AS DATE) AS day,
         count(*) AS attempts, count(*) FILTER (outcome IN ('withdrawn', 'changed')) AS withdrawn_or_changed
  FROM triggered_attempts
  WHERE exclusion IS NULL
  GROUP BY ALL
), days AS (
  SELECT x.experiment_id, CAST(unnest(generate_series(x.start_date, least(x.end_date, d.last_day), INTERVAL 1 DAY))
         AS DATE) AS as_of
  FROM registry_experiments x
  JOIN (SELECT experiment_id, max(day) AS last_day FROM per_user_day GROUP BY 1) d USING (experiment_id)
), cumulative AS (
  SELECT d.experiment_id, d.as_of, p.variant, p.user_id,
         sum(p.attempts) AS attempts, sum(p.withdrawn_or_changed) AS withdrawn_or_changed
  FROM days d JOIN per_user_day p ON p.experiment_id = d.experiment_id AND p.day <= d.as_of
  GROUP BY ALL
)
SELECT experiment_id, variant, as_of, 'withdraw_or_change_rate' AS metric, count(*) AS n,
       sum(withdrawn_or_changed)::DOUBLE AS m_sum, sum(withdrawn_or_changed * withdrawn_or_changed)::DOUBLE AS m_sum_squares,
       sum(attempts)::DOUBLE AS d_sum, sum(attempts * attempts)::DOUBLE AS d_sum_squares,
       sum(withdrawn_or_changed * attempts)::DOUBLE AS m_d_sum_of_products
FROM cumulative
GROUP BY ALL
ORDER BY ALL;
