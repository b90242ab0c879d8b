-- The staging table of a load: every line or row read from the files, with its parse findings and the contract's
-- fields typed as far as they could be (pipelines/raw/ingest*.py fill it; sql/raw/raw_events.sql checks each row).
-- Placeholder event_columns: the contract's fields and their types (pipelines/contract.py).
CREATE OR REPLACE TEMP TABLE candidates (
  arrival_date DATE, source_file VARCHAR, line_no BIGINT, parse_error VARCHAR, parse_detail VARCHAR,
  wrong_type_field VARCHAR,
  ts_text VARCHAR, has_text BOOLEAN,
  {event_columns}
);
