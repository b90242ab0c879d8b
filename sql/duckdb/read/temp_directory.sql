-- Where DuckDB spills now.
SELECT current_setting('temp_directory')
