-- One flush of scrubbed JSONL lines (the registered table staged_lines: arrival_date, source_file and the columns
-- of pipelines/raw/ingest_jsonl.py LineBatch) into the staging table, as candidate rows.
--
-- Each line that is neither blank nor rejected by the reader (not_strict) and is valid JSON (json_valid: a cheap
-- scan) is parsed by DuckDB once, into the JSON text of every contract field (looked up like the path functions:
-- case-sensitive, escapes decoded, the first of duplicates). A valid JSON text is an object exactly when it starts
-- with a brace. has_text is the reader's: whether the line carried a `text` key at any depth (removed before
-- this), also on a line that is quarantined.
-- Placeholders, generated from the contract's fields (pipelines/raw/ingest_json.py): json_fields (every field
-- as JSON), wrong_type_checks (the first field whose JSON value has the wrong type), ts_text (the text of a
-- string event_ts) and typed_columns (every field with its contract type, NULL when of the wrong type).
INSERT INTO candidates BY NAME
WITH src AS (
  SELECT arrival_date, source_file, line_no, line, unterminated, has_text, reject_detail,
    CASE WHEN NOT not_strict AND json_valid(line) THEN from_json(line, '{json_fields}') END AS j
  FROM staged_lines
  WHERE starts_with(line, '{{') OR trim(line, ' ' || chr(9) || chr(13) || chr(10)) <> ''
), parsed AS (
  SELECT arrival_date, source_file, line_no, unterminated, has_text, reject_detail, j,
    j IS NOT NULL AND starts_with(ltrim(line, ' ' || chr(9) || chr(13) || chr(10)), '{{') AS is_object
  FROM src
)
SELECT
  arrival_date, source_file, line_no,
  CASE WHEN is_object THEN NULL WHEN unterminated THEN 'truncated_line' ELSE 'not_json' END AS parse_error,
  CASE WHEN NOT is_object THEN reject_detail END AS parse_detail,
  CASE WHEN is_object THEN CASE {wrong_type_checks} END END AS wrong_type_field,
  CASE WHEN is_object AND starts_with(j.event_ts, '"') THEN {ts_text} END AS ts_text,
  has_text,
  {typed_columns}
FROM parsed;
