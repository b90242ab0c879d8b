-- The columns of the main-schema tables whose shape changed over time (pipelines/raw/warehouse.py ensure_schema).
SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name IN ('raw_events', 'quarantined_events', 'loaded_partitions', 'redeliveries')
