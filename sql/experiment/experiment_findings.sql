-- Events kept but not analysed for an experiment, and why (docs/definitions.md §3, §4), per arrival date.
CREATE OR REPLACE TABLE experiment_findings AS
WITH tagged AS (
  SELECT e.arrival_date, e.event_type, e.experiment_id, e.variant, e.event_ts, e.user_id,
         x.experiment_id IS NOT NULL AS known_experiment,
         v.variant IS NOT NULL AS known_variant,
         CAST(e.event_ts AS DATE) BETWEEN x.start_date AND x.end_date AS in_dates
  FROM events e
  LEFT JOIN registry_experiments x ON x.experiment_id = e.experiment_id
  LEFT JOIN registry_variants v ON v.experiment_id = e.experiment_id AND v.variant = e.variant
  WHERE e.event_type IN ('experiment_assignment', 'nudge_triggered')
)
SELECT arrival_date, CASE WHEN known_experiment THEN experiment_id END AS experiment_id,
       CASE WHEN NOT known_experiment THEN 'unknown_experiment' ELSE 'unknown_variant' END AS reason,
       count(*) AS count
FROM tagged WHERE NOT (known_experiment AND known_variant)
GROUP BY ALL
UNION ALL
SELECT arrival_date, experiment_id, 'outside_experiment_dates', count(*)
FROM tagged WHERE known_variant AND NOT in_dates AND event_type = 'experiment_assignment'
GROUP BY ALL
UNION ALL
-- every trigger event (registered variant, in the dates) from a user without an assignment, or naming another
-- arm than a non-contaminated user's: counted per event (event-log-v1 §4), later triggers of a draft included
SELECT t.arrival_date, t.experiment_id,
       CASE WHEN a.user_id IS NULL THEN 'trigger_without_assignment' ELSE 'trigger_variant_mismatch' END, count(*)
FROM tagged t
LEFT JOIN assignments a ON a.experiment_id = t.experiment_id AND a.user_id = t.user_id
WHERE t.event_type = 'nudge_triggered' AND t.known_variant AND t.in_dates
  AND (a.user_id IS NULL OR (NOT a.contaminated AND a.variant <> t.variant))
GROUP BY ALL
UNION ALL
-- the other reasons an attempt is not analysed, per attempt
SELECT arrival_date, experiment_id, exclusion, count(*)
FROM triggered_attempts
WHERE exclusion IN ('outside_experiment_dates', 'trigger_without_draft')
GROUP BY ALL
UNION ALL
SELECT contaminated_arrival_date, experiment_id, 'contaminated_user', count(*)
FROM assignments WHERE contaminated
GROUP BY ALL;
