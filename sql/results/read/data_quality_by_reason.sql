-- Bad or suspicious inputs over all arrival dates, by reason (the data_quality asset's metadata).
SELECT reason, sum(count) AS count
FROM data_quality
GROUP BY 1
ORDER BY 1;
