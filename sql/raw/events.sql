-- One row per event over every arrival date (docs/definitions.md §2): raw_events without the copies that
-- sql/raw/redeliveries.sql found (redeliveries.kept false). No raw text: raw_events never held it.
CREATE OR REPLACE VIEW events AS
SELECT r.* EXCLUDE (line_no)
FROM raw_events r
WHERE NOT EXISTS (SELECT 1 FROM redeliveries d
                  WHERE NOT d.kept AND d.arrival_date = r.arrival_date AND d.source_file = r.source_file
                    AND d.line_no = r.line_no);
