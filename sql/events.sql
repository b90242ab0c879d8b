-- One row per distinct event_id over every arrival date (docs/definitions.md §2): the first delivery is kept
-- (smallest arrival date, then file, then line). No raw text: raw_events never held it.
CREATE OR REPLACE TABLE events AS
SELECT * EXCLUDE (line_no)
FROM raw_events
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY arrival_date, source_file, line_no) = 1;
