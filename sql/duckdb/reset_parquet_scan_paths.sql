-- After a grouped Parquet scan: the list of its files goes.
RESET VARIABLE parquet_scan_paths;
