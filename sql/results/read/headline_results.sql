-- Each arm's headline result and verdict (nudge run's summary on the command line).
SELECT experiment_id, variant, control, value_variant, value_control, diff, diff_ci_low, diff_ci_high,
       p_value_adjusted, decision, verdict
FROM experiment_results
WHERE metric = 'withdraw_or_change_rate' AND segment_dim = 'all'
ORDER BY experiment_id, variant;
