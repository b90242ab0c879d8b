-- The DuckDB engine's settings for every connection to the warehouse (pipelines/raw/warehouse.py configure), after
-- its spill folder (set_temp_directory.sql). sql/duckdb/ holds the statements that set or inspect the DuckDB
-- engine itself, not the analysis: they are not translated for Spark, whose session has its own settings
-- (pipelines/spark/translate.py SPARK_CONF).
SET TimeZone = 'UTC';
-- memory_limit: --memory-limit, NUDGE_MEMORY_LIMIT or 3GB; beyond it DuckDB spills to <warehouse>.tmp
SET memory_limit = $limit;
-- commits of small partitions (< one 122,880-row group) go through the WAL; checkpointing at each of them
-- rewrote the table's last row group every time. The WAL is checkpointed when the connection closes.
SET checkpoint_threshold = '1GB';
-- no vacuum at checkpoints: merging the partly filled row groups that every partition's parallel insert
-- leaves took 8 s per 10 M rows when the raw layer's connection closed; freed blocks are still reused
SET max_vacuum_tasks = 0;
