-- The list of Parquet files a grouped scan reads (pipelines/raw/ingest_parquet.py parquet_scan), as a variable of
-- the connection: sql/raw/raw_events.sql's candidate view reads it with getvariable (a view takes no parameters).
SET VARIABLE parquet_scan_paths = $paths;
