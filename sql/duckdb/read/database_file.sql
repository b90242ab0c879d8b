-- The file of the connection's database (NULL in memory) and whether it is open read-only.
SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()
