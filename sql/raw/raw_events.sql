-- Decide for every candidate row whether it is a valid event or which quarantine reason applies first
-- (docs/definitions.md §1), against the arrival date the row came with (column arrival_date: one load may
-- cover several arrival dates). The placeholders in braces are expressions generated from
-- pipelines/contract.py; no input value is ever pasted into this text.
-- The candidates placeholder is the staged lines (temp table `candidates`) or a scan of the Parquet files that
-- share one column layout (pipelines/raw/ingest_parquet.py; its list of files is a variable of the connection).
-- The checks run once: the few rejected rows are kept aside, and the valid rows are every other row, written
-- straight from the scan without being checked again. Every construct here means the same on Spark (the
-- candidates given as a table): pipelines/spark/translate.py, tests/test_spark_parity.py.
CREATE OR REPLACE TEMP VIEW checked_rows AS
WITH candidate AS (
  -- event_ts as the reader typed it (NULL for JSON text, or a Parquet TIMESTAMP), the checked one follows
  SELECT arrival_date, source_file, line_no, parse_error, {parse_detail} AS parse_detail, wrong_type_field, has_text,
         ts_text, event_ts AS typed_ts, {event_columns_but_ts}
  FROM {candidates}
), iso AS (
  -- ISO-8601 extended format: a date, a time (seconds and a fraction optional; `,` or `.`), and `Z` or an
  -- offset within ±14:00; `T`, `Z` in either case. A date alone or a local time is not a point in time.
  SELECT *,
    CASE WHEN regexp_matches(ts_text, '^\d{{4}}-\d{{2}}-\d{{2}}[Tt ]\d{{2}}:\d{{2}}(:\d{{2}}([.,]\d+)?)?([Zz]|[+-]((0\d|1[0-3]):?[0-5]\d|14:?00|0\d|1[0-4]))\z')
         THEN ts_text END AS iso_text
  FROM candidate
), iso_parts AS (
  -- its parts, where the pattern puts them: the date, hour, minute, second (0 when not given), the fraction's
  -- first six digits as microseconds (the rest dropped), and the offset (empty for Z)
  SELECT *,
    TRY_CAST(left(iso_text, 10) AS DATE) AS ts_date,
    CAST(substr(iso_text, 12, 2) AS INTEGER) AS ts_hour,
    CAST(substr(iso_text, 15, 2) AS INTEGER) AS ts_minute,
    CASE WHEN substr(iso_text, 17, 1) = ':' THEN CAST(substr(iso_text, 18, 2) AS INTEGER) ELSE 0 END AS ts_second,
    CAST(rpad(left(regexp_extract(iso_text, '^.{{19}}[.,](\d+)', 1), 6), 6, '0') AS INTEGER) AS ts_micros,
    regexp_extract(iso_text, '[+-]\d{{2}}(:?\d{{2}})?\z', 0) AS ts_offset
  FROM iso
), iso_time AS (
  -- a leap second (:60, any fraction) is read as :59.999999: UTC timestamps cannot hold it, and the event stays
  -- in its minute and day. The offset in minutes, east of UTC positive.
  SELECT *,
    CASE WHEN ts_second = 60 THEN 59 ELSE ts_second END AS ts_whole_second,
    CASE WHEN ts_second = 60 THEN 999999 ELSE ts_micros END AS ts_microsecond,
    CASE WHEN ts_offset = '' THEN 0
         ELSE CASE WHEN left(ts_offset, 1) = '-' THEN -1 ELSE 1 END
              * (CAST(substr(ts_offset, 2, 2) AS INTEGER) * 60
                 + CASE WHEN length(ts_offset) > 3 THEN CAST(right(ts_offset, 2) AS INTEGER) ELSE 0 END)
    END AS ts_offset_minutes
  FROM iso_parts
), typed AS (
  -- the instant, in microseconds since 1970 UTC: a valid date, minutes and seconds below 60, hours below 24
  -- (24:00 exactly is the next midnight)
  SELECT *,
    coalesce(typed_ts, CASE
      WHEN ts_minute <= 59 AND ts_whole_second <= 59
       AND (ts_hour <= 23 OR ts_hour = 24 AND ts_minute = 0 AND ts_whole_second = 0 AND ts_microsecond = 0)
      THEN make_timestamp(epoch_us(CAST(ts_date AS TIMESTAMP))
                          + ((ts_hour * 60 + ts_minute - ts_offset_minutes) * 60 + ts_whole_second)
                            * CAST(1000000 AS BIGINT)
                          + ts_microsecond)
    END) AS event_ts
  FROM iso_time
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

-- detail: why a line is not JSON when the JSONL reader rejected it itself (parse_detail: its column, NULL for a
-- Parquet scan); has_text: the row carried raw text (dropped before DuckDB), counted as text_field_scrubbed.
-- The event date is written as DuckDB writes a DATE (yyyy-mm-dd, more digits after 9999, a year before 1 as
-- 0001 (BC), 0002 (BC), …; Spark would write 0000, -0001, +10000), from its parts.
CREATE OR REPLACE TEMP TABLE rejected AS
WITH r AS (
  SELECT *, CAST(event_ts AS DATE) AS event_date,
         CASE WHEN year(CAST(event_ts AS DATE)) > 0 THEN year(CAST(event_ts AS DATE))
              ELSE 1 - year(CAST(event_ts AS DATE)) END AS event_era_year
  FROM checked_rows WHERE quarantine_reason IS NOT NULL
)
SELECT arrival_date, source_file, line_no, quarantine_reason AS reason, quarantine_field AS field,
       CASE quarantine_reason
         WHEN 'implausible_timestamp' THEN 'event date '
           || CASE WHEN event_era_year < 1000 THEN lpad(CAST(event_era_year AS VARCHAR), 4, '0')
                   ELSE CAST(event_era_year AS VARCHAR) END
           || '-' || lpad(CAST(month(event_date) AS VARCHAR), 2, '0')
           || '-' || lpad(CAST(day(event_date) AS VARCHAR), 2, '0')
           || CASE WHEN year(event_date) <= 0 THEN ' (BC)' ELSE '' END
         WHEN 'unsupported_schema_version' THEN 'schema_version ' || CAST(schema_version AS VARCHAR)
         WHEN 'not_json' THEN parse_detail WHEN 'truncated_line' THEN parse_detail
       END AS detail,
       left(event_id, 200) AS event_id, left(event_type, 100) AS event_type, has_text
FROM r;

INSERT INTO raw_events BY NAME
SELECT arrival_date, source_file, line_no, has_text, {event_columns}
FROM checked_rows c
WHERE NOT EXISTS (SELECT 1 FROM rejected r
                  WHERE r.arrival_date = c.arrival_date AND r.source_file = c.source_file AND r.line_no = c.line_no);

INSERT INTO quarantined_events BY NAME SELECT * FROM rejected;
