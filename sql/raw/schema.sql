-- Tables of the warehouse that are filled partition by partition (replace-by-partition), created once.
-- Unpartitioned tables are rebuilt by their own sql/<table>.sql file.
CREATE TABLE IF NOT EXISTS raw_events (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL, has_text BOOLEAN NOT NULL,
  {event_columns}
);
-- One row per delivery of an event id with another delivery within 2 arrival days: whether it is the kept one
-- (docs/definitions.md §2; a raw_events row not in it is an only copy). Written by sql/raw/redeliveries.sql for
-- the arrival dates listed in dedup_pending.
CREATE TABLE IF NOT EXISTS redeliveries (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT NOT NULL, event_id VARCHAR NOT NULL,
  kept BOOLEAN NOT NULL
);
-- Bookkeeping, in a schema of its own (not tables users read, not assets): what the next incremental step has
-- to look at.
CREATE SCHEMA IF NOT EXISTS bookkeeping;
-- Arrival dates loaded since the last first-delivery resolution; `complete` when rows that had been resolved
-- were replaced (their event ids may have lost their kept copy, so every event id is looked at again).
CREATE TABLE IF NOT EXISTS bookkeeping.dedup_pending (arrival_date DATE NOT NULL, complete BOOLEAN NOT NULL);
-- The same for attempt_outcomes (sql/experiment/attempt_outcomes.sql), and the registry it was last computed with.
CREATE TABLE IF NOT EXISTS bookkeeping.attempts_pending (arrival_date DATE NOT NULL, complete BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS bookkeeping.attempts_state (registry_fingerprint VARCHAR NOT NULL);
-- What each arrival date was loaded from (its files' names, sizes, times and the checking rules), so an
-- unchanged partition is not read again.
CREATE TABLE IF NOT EXISTS bookkeeping.loaded_partitions (arrival_date DATE NOT NULL, fingerprint VARCHAR NOT NULL);
-- has_text: the row carried a raw `text` field (dropped before it reached DuckDB); false for file findings.
CREATE TABLE IF NOT EXISTS quarantined_events (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, line_no BIGINT, reason VARCHAR NOT NULL,
  field VARCHAR, detail VARCHAR, event_id VARCHAR, event_type VARCHAR, has_text BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS ingested_files (
  arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, file_format VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL, rows_valid BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL,
  finding VARCHAR, detail VARCHAR
);
