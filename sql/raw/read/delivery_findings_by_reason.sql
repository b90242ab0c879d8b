-- Redundant deliveries over all arrival dates, by finding (the delivery_findings asset's metadata).
SELECT reason, sum(count) AS count
FROM delivery_findings
GROUP BY 1
ORDER BY 1;
