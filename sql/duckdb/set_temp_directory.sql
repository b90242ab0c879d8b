-- The spill folder: <warehouse>.tmp (pipelines/raw/spill.py). DuckDB refuses to move it once used, so it is set
-- before the first query that could spill.
SET temp_directory = $folder;
