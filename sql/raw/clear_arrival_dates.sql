-- Replace-by-partition, first half: everything loaded for the arrival dates being loaded goes, in the load's
-- transaction, before their files are read again (pipelines/raw/warehouse.py _load).
DELETE FROM raw_events WHERE list_contains(CAST($days AS DATE[]), arrival_date);
DELETE FROM quarantined_events WHERE list_contains(CAST($days AS DATE[]), arrival_date);
DELETE FROM ingested_files WHERE list_contains(CAST($days AS DATE[]), arrival_date);
