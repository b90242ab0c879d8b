-- Events not analysed over all arrival dates and experiments, by reason (the experiment_findings asset's metadata).
SELECT reason, sum(count) AS count
FROM experiment_findings
GROUP BY 1
ORDER BY 1;
