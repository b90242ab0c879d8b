-- Every prompted (or, in control, would-have-been-prompted) attempt and its outcome (docs/definitions.md §4):
-- the draft-level rows of sql/experiment/attempt_outcomes.sql with the user's arm. Attempts that cannot be analysed keep
-- their row with the reason in `exclusion`. Rebuilt in full each time (one row per attempt: small next to the
-- events), because a late or contradicting assignment changes the exclusion of earlier attempts.
CREATE OR REPLACE TABLE triggered_attempts AS
SELECT o.* EXCLUDE (has_submission),
       CASE WHEN CAST(o.triggered_at AS DATE) NOT BETWEEN x.start_date AND x.end_date THEN 'outside_experiment_dates'
            WHEN a.user_id IS NULL THEN 'trigger_without_assignment'
            WHEN a.contaminated THEN 'contaminated_user'
            WHEN a.variant <> o.variant THEN 'trigger_variant_mismatch'
            WHEN NOT o.has_submission THEN 'trigger_without_draft'
       END AS exclusion
FROM attempt_outcomes o
JOIN registry_experiments x ON x.experiment_id = o.experiment_id
LEFT JOIN assignments a ON a.experiment_id = o.experiment_id AND a.user_id = o.user_id;
