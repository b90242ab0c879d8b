-- Settings of the connection that loads arrival dates (pipelines/raw/warehouse.py).
-- Raw rows have no order (every reader sorts or ranks explicitly); unordered inserts are ~13 % cheaper.
SET preserve_insertion_order = false;
-- Parquet min/max statistics leave NaN out (as the format says), and DuckDB's statistics propagation then
-- folds isnan(toxicity_score) to false for a file it reads alone: a NaN row was neither valid nor
-- quarantined. The checks must see every value as it is.
SET disabled_optimizers = 'statistics_propagation';
