-- The headline metric's inputs per experiment and arm (the arm_statistics asset's metadata).
SELECT experiment_id, variant, n, d_sum, m_sum, m_sum / nullif(d_sum, 0) AS rate
FROM arm_statistics
WHERE metric = 'withdraw_or_change_rate' AND segment_dim = 'all'
ORDER BY 1, 2;
