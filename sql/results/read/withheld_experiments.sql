-- The one rule that withholds an experiment's results: its overall sample-ratio check failed (its arms are not
-- the planned sizes, so no difference between them may be read as an effect of the prompt).
SELECT experiment_id
FROM sample_ratio_checks
WHERE segment_dim = 'all' AND NOT passed
ORDER BY 1;
