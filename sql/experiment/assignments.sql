-- Each user's arm per registry experiment (docs/definitions.md §3): the first in-date assignment to a
-- registered variant; a later one to another variant marks the user contaminated.
CREATE OR REPLACE TABLE assignments AS
WITH candidate AS (
  SELECT e.experiment_id, e.user_id, e.variant, e.event_ts, e.event_id, e.arrival_date, e.country, e.platform
  FROM events e
  JOIN registry_experiments x ON x.experiment_id = e.experiment_id
  JOIN registry_variants v ON v.experiment_id = e.experiment_id AND v.variant = e.variant
  WHERE e.event_type = 'experiment_assignment'
    AND CAST(e.event_ts AS DATE) BETWEEN x.start_date AND x.end_date
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY experiment_id, user_id ORDER BY event_ts, event_id) AS rn
  FROM candidate
), first_assignment AS (
  SELECT * FROM ranked WHERE rn = 1
), contradiction AS (
  SELECT r.experiment_id, r.user_id, arg_min(r.arrival_date, r.rn) AS arrival_date
  FROM ranked r JOIN first_assignment f USING (experiment_id, user_id)
  WHERE r.variant <> f.variant
  GROUP BY ALL
)
SELECT f.experiment_id, f.user_id, f.variant, f.event_ts AS assigned_at,
       coalesce(f.country, 'unknown') AS country, coalesce(f.platform, 'unknown') AS platform,
       c.user_id IS NOT NULL AS contaminated, c.arrival_date AS contaminated_arrival_date
FROM first_assignment f
LEFT JOIN contradiction c USING (experiment_id, user_id);
