-- How many bytes this database instance holds in spill files now.
SELECT coalesce(sum(temporary_storage_bytes), 0) FROM duckdb_memory()
