-- Assigned and contaminated users per experiment and arm (the assignments asset's metadata).
SELECT experiment_id, variant, count(*) AS users, count(*) FILTER (WHERE contaminated) AS contaminated
FROM assignments
GROUP BY ALL
ORDER BY ALL;
