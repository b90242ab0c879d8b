-- Decide for every candidate row whether it is a valid event or which quarantine reason applies first
-- (docs/definitions.md §1), against the arrival date the row came with (column arrival_date: one load may
-- cover several arrival dates). The placeholders in braces are expressions generated from
-- pipelines/contract.py; no input value is ever pasted into this text.
-- The candidates placeholder is the staged lines (temp table `candidates`), the parsed JSON lines (temp
-- table `json_candidates`), or a scan of the Parquet files in the list `paths` that share one column layout
-- (pipelines/raw/ingest.py). The checks run once: the few rejected rows are kept aside, and the valid rows are
-- every other row, written straight from the scan without being checked again.
CREATE OR REPLACE TEMP MACRO checked_rows(paths) AS TABLE
WITH typed AS (
  SELECT * REPLACE (
      coalesce(
        event_ts,
        -- ISO-8601 extended format: a date, a time (seconds and a fraction optional; `,` or `.`), and `Z` or an
        -- offset within ±14:00; `T`, `Z` in either case. A leap second (:60, any fraction) is read as :59.999999. A date alone or a local time is not a point in time.
        CASE WHEN regexp_matches(ts_text, '^\d{{4}}-\d{{2}}-\d{{2}}[Tt ]\d{{2}}:\d{{2}}(:\d{{2}}([.,]\d+)?)?([Zz]|[+-]((0\d|1[0-3]):?[0-5]\d|14:?00|0\d|1[0-4]))$')
             THEN timezone('UTC', TRY_CAST(regexp_replace(replace(upper(ts_text), ',', '.'),
               '(\d{{2}}:\d{{2}}):60(\.\d+)?', '\1:59.999999') AS TIMESTAMPTZ)) END
      ) AS event_ts
    ),
    ts_text IS NOT NULL AS ts_given_as_text
  FROM {candidates}
), found AS (
  SELECT *,
    {missing_field} AS missing_field,
    {invalid_value} AS invalid_field
  FROM typed
)
SELECT *,
  CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    WHEN wrong_type_field IS NOT NULL THEN 'wrong_type'
    WHEN missing_field IS NOT NULL THEN 'missing_field'
    WHEN schema_version <> 1 THEN 'unsupported_schema_version'
    WHEN event_type NOT IN ({event_types}) THEN 'unknown_event_type'
    WHEN event_ts IS NULL THEN 'bad_timestamp'
    WHEN CAST(event_ts AS DATE) > arrival_date
      OR CAST(event_ts AS DATE) < arrival_date - INTERVAL {max_lateness_days} DAY THEN 'implausible_timestamp'
    WHEN toxicity_score IS NOT NULL AND (isnan(toxicity_score) OR toxicity_score < 0 OR toxicity_score > 1)
      THEN 'score_out_of_range'
    WHEN invalid_field IS NOT NULL THEN 'invalid_value'
  END AS quarantine_reason,
  CASE
    WHEN parse_error IS NOT NULL THEN NULL
    WHEN wrong_type_field IS NOT NULL THEN wrong_type_field
    WHEN missing_field IS NOT NULL THEN missing_field
    WHEN schema_version <> 1 THEN 'schema_version'
    WHEN event_type NOT IN ({event_types}) THEN 'event_type'
    WHEN event_ts IS NULL THEN 'event_ts'
    WHEN CAST(event_ts AS DATE) > arrival_date
      OR CAST(event_ts AS DATE) < arrival_date - INTERVAL {max_lateness_days} DAY THEN 'event_ts'
    WHEN toxicity_score IS NOT NULL AND (isnan(toxicity_score) OR toxicity_score < 0 OR toxicity_score > 1)
      THEN 'toxicity_score'
    ELSE invalid_field
  END AS quarantine_field
FROM found;

-- detail: why a line is not JSON when the JSONL reader rejected it itself ({parse_detail}: its column, or NULL for
-- a Parquet scan); has_text: the row carried raw text (dropped before DuckDB), counted as text_field_scrubbed.
CREATE OR REPLACE TEMP TABLE rejected AS
SELECT arrival_date, source_file, line_no, quarantine_reason AS reason, quarantine_field AS field,
       CASE quarantine_reason WHEN 'implausible_timestamp' THEN 'event date ' || CAST(CAST(event_ts AS DATE) AS VARCHAR)
                   WHEN 'unsupported_schema_version' THEN 'schema_version ' || CAST(schema_version AS VARCHAR)
                   WHEN 'not_json' THEN {parse_detail} WHEN 'truncated_line' THEN {parse_detail}
       END AS detail,
       left(event_id, 200) AS event_id, left(event_type, 100) AS event_type, has_text
FROM checked_rows($paths) WHERE quarantine_reason IS NOT NULL;

INSERT INTO raw_events BY NAME
SELECT arrival_date, source_file, line_no, has_text, {event_columns}
FROM checked_rows($paths) c
WHERE NOT EXISTS (SELECT 1 FROM rejected r
                  WHERE r.arrival_date = c.arrival_date AND r.source_file = c.source_file AND r.line_no = c.line_no);

INSERT INTO quarantined_events BY NAME SELECT * FROM rejected;
