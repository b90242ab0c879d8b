-- A warehouse from before quarantined_events.has_text (sql/raw/schema.sql): add the column, false for the old rows
-- (their partitions are read again anyway: the reading rules changed, so the fingerprints differ).
ALTER TABLE quarantined_events ADD COLUMN has_text BOOLEAN DEFAULT false;
