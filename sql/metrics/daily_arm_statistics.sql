-- The headline metric as it stood at the end of each experiment day (cumulative, by trigger time): the
-- sufficient statistics of every daily look, for the cumulative-effect chart and its always-valid intervals.
-- Each user's running totals (withdrawn or changed m, attempts d) change only on the days they were prompted;
-- those days contribute the change of every sum (a user's first day adds them to n, and m² grows by
-- m_new² − m_old²), so a look is the sum of the changes up to its day: work in proportion to prompted user-days,
-- not users × days. Integer arithmetic throughout: the sums are exact.
CREATE OR REPLACE TABLE daily_arm_statistics AS
WITH per_user_day AS (
  SELECT experiment_id, user_id, variant, CAST(triggered_at AS DATE) AS day,
         count(*) AS attempts, count(*) FILTER (outcome IN ('withdrawn', 'changed')) AS withdrawn_or_changed
  FROM triggered_attempts
  WHERE exclusion IS NULL
  GROUP BY ALL
), running AS (
  SELECT experiment_id, variant, day, attempts AS dd, withdrawn_or_changed AS dm,
         sum(attempts) OVER u AS d_now, sum(withdrawn_or_changed) OVER u AS m_now,
         row_number() OVER u = 1 AS first_day
  FROM per_user_day
  WINDOW u AS (PARTITION BY experiment_id, user_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), changes AS (
  SELECT experiment_id, variant, day,
         count(*) FILTER (first_day) AS n,
         sum(dm) AS m, sum(m_now * m_now - (m_now - dm) * (m_now - dm)) AS mm,
         sum(dd) AS d, sum(d_now * d_now - (d_now - dd) * (d_now - dd)) AS dd2,
         sum(m_now * d_now - (m_now - dm) * (d_now - dd)) AS md
  FROM running
  GROUP BY ALL
), days AS (
  -- the unnest a select item of its own, cast outside it: a form Spark shares (a generator in an expression is not)
  SELECT experiment_id, CAST(as_of AS DATE) AS as_of
  FROM (
    SELECT x.experiment_id, unnest(generate_series(x.start_date, least(x.end_date, d.last_day), INTERVAL 1 DAY)) AS as_of
    FROM registry_experiments x
    JOIN (SELECT experiment_id, max(day) AS last_day FROM per_user_day GROUP BY 1) d USING (experiment_id)
  )
)
SELECT d.experiment_id, c.variant, d.as_of, 'withdraw_or_change_rate' AS metric, sum(c.n)::BIGINT AS n,
       sum(c.m)::DOUBLE AS m_sum, sum(c.mm)::DOUBLE AS m_sum_squares,
       sum(c.d)::DOUBLE AS d_sum, sum(c.dd2)::DOUBLE AS d_sum_squares,
       sum(c.md)::DOUBLE AS m_d_sum_of_products
FROM days d JOIN changes c ON c.experiment_id = d.experiment_id AND c.day <= d.as_of
GROUP BY ALL
ORDER BY ALL;
