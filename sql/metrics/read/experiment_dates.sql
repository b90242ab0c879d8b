-- The analysed window of each experiment (the user_metrics asset's metadata).
SELECT experiment_id, start_date::VARCHAR AS start_date, end_date::VARCHAR AS end_date
FROM registry_experiments
ORDER BY 1;
