-- One batch of a Parquet file read on its own (pipelines/raw/ingest_parquet.py stage_parquet: a file damaged
-- part-way keeps the rows before the damage) into the staging table, from the registered batch staged_parquet.
-- Placeholder columns: the candidate columns for the batch's Parquet types (ingest_parquet.parquet_columns).
INSERT INTO candidates BY NAME
SELECT $arrival_date AS arrival_date, $source_file AS source_file, line_no, {columns}
FROM staged_parquet;
