-- Tables of the warehouse that are filled partition by partition (replace-by-partition), created once.
-- Unpartitioned tables are rebuilt by their own sql/<table>.sql file.
CREATE TABLE IF NOT EXISTS raw_events (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL, has_text BOOLEAN NOT NULL,
  {event_columns}
);
CREATE TABLE IF NOT EXISTS quarantined_events (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT, reason VARCHAR NOT NULL,
  field VARCHAR, detail VARCHAR, event_id VARCHAR, event_type VARCHAR
);
CREATE TABLE IF NOT EXISTS ingested_files (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, file_format VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL, rows_valid BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL,
  finding VARCHAR, detail VARCHAR
);
