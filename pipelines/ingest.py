"""Read one arrival date's files into typed candidate rows, whatever state the files are in.

Each file is read on its own: a file that cannot be read is reported with its path and the run goes on.
JSONL (plain or gzip) is split into lines here (salvaging the readable prefix of a damaged gzip) and parsed
by DuckDB's JSON functions with the contract's types — never by inference. Parquet is read by DuckDB and its
columns checked against the contract's types. Both become rows of the temp table ``candidates`` with the
same columns; ``sql/raw_events.sql`` then decides, row by row, whether each is a valid event or quarantined.

The raw comment ``text`` field is never read: only whether a row carried it.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract import FIELDS, RAW_TEXT_FIELD, Field

_DT_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
_LINES_PER_BATCH = 250_000
#: What DuckDB's JSON reader tolerates beyond the standard; lines matching are checked strictly.
_LENIENT_SUSPECT = r",\s*[}\]]|NaN|Infinity"

#: JSON types (as named by DuckDB's json_type) accepted for each kind of field.
_JSON_TYPES = {
    "string": ("VARCHAR",),
    "timestamp": ("VARCHAR",),
    "integer": ("BIGINT", "UBIGINT"),
    "number": ("BIGINT", "UBIGINT", "DOUBLE"),
    "boolean": ("BOOLEAN",),
}


@dataclass
class FileReport:
    """What happened to one file: how many lines were read and any file-level finding."""

    source_file: str
    file_format: str
    rows: int = 0
    finding: str | None = None  # one of contract.FILE_REASONS
    detail: str | None = None


def arrival_dates(events_root: Path) -> list[str]:
    """The arrival dates present under ``events_root`` (its ``dt=YYYY-MM-DD`` folders), oldest first."""
    if not events_root.is_dir():
        return []
    found = [m.group(1) for p in events_root.iterdir() if p.is_dir() and (m := _DT_DIR.match(p.name))]
    return sorted(found)


def partition_files(events_root: Path, arrival_date: str) -> list[Path]:
    """Every regular file in the partition's folder, sorted by name (unknown suffixes included, to report)."""
    folder = events_root / f"dt={arrival_date}"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def file_format(path: Path) -> str | None:
    name = path.name
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def create_candidates_table(con: duckdb.DuckDBPyConnection) -> None:
    cols = ",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE candidates (
  source_file VARCHAR, line_no BIGINT, parse_error VARCHAR, wrong_type_field VARCHAR,
  ts_text VARCHAR, has_text BOOLEAN,
  {cols}
)"""
    )


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, source_file: str) -> FileReport:
    """Append the candidate rows of one file to ``candidates``; never raises for bad content."""
    fmt = file_format(path)
    report = FileReport(source_file, fmt or "unknown")
    if fmt is None:
        report.finding = "unreadable_file"
        report.detail = "unsupported file suffix (expected .jsonl, .jsonl.gz, .parquet)"
        return report
    try:
        if path.stat().st_size == 0:
            report.finding = "empty_file"
            return report
        if fmt == "parquet":
            report.rows = _stage_parquet(con, path, source_file)
        else:
            for batch in _json_line_batches(path, report):
                report.rows += _stage_json_lines(con, batch, source_file)
    except (OSError, duckdb.Error) as exc:
        report.finding, report.detail = "unreadable_file", one_line(exc)
    return report


# --- JSONL -----------------------------------------------------------------------------------------------


def _read_bytes(path: Path, report: FileReport) -> bytes:
    raw = path.read_bytes()
    if not path.name.endswith(".gz"):
        return raw
    out: list[bytes] = []
    data = raw
    while data:
        decomp = zlib.decompressobj(wbits=31)
        try:
            out.append(decomp.decompress(data))
            out.append(decomp.flush())
        except zlib.error as exc:
            report.finding, report.detail = "corrupt_gzip", one_line(exc)
            break
        if not decomp.eof:
            report.finding, report.detail = "corrupt_gzip", "gzip stream ends before its end marker (truncated)"
            break
        data = decomp.unused_data  # a further gzip member, if any
    return b"".join(out)


def _not_strict_json(lines: pa.Array) -> pa.Array:
    """True for lines DuckDB's lenient parser would accept but JSON forbids (a trailing comma, NaN, Infinity).

    A vectorised regex finds the few suspects; Python's strict parser decides for those only.
    """
    suspect = pc.match_substring_regex(lines, _LENIENT_SUSPECT).to_pylist()
    flags = [False] * len(suspect)
    for i, hit in enumerate(suspect):
        if hit:
            try:
                json.loads(lines[i].as_py(), parse_constant=_reject_constant)
            except ValueError:
                flags[i] = True
    return pa.array(flags, pa.bool_())


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_line_batches(path: Path, report: FileReport) -> Iterator[pa.Table]:
    text = _read_bytes(path, report).decode("utf-8", errors="replace").removeprefix("\ufeff")
    if not text:
        report.finding = report.finding or "empty_file"
        return
    lines = text.split("\n")
    unterminated_last = not text.endswith("\n")
    if not unterminated_last:
        lines.pop()  # the empty string after the final newline
    n = len(lines)
    for start in range(0, n, _LINES_PER_BATCH):
        chunk = lines[start : start + _LINES_PER_BATCH]
        numbers = list(range(start + 1, start + 1 + len(chunk)))
        last = [False] * len(chunk)
        if unterminated_last and start + len(chunk) == n:
            last[-1] = True
        line_array = pa.array(chunk, pa.string())
        yield pa.table(
            {
                "line_no": pa.array(numbers, pa.int64()),
                "line": line_array,
                "unterminated": pa.array(last, pa.bool_()),
                "not_strict": _not_strict_json(line_array),
            }
        )


def _json_typed(f: Field, i: int) -> str:
    """SQL turning element i of the extracted type/value lists into the field's typed value."""
    ok = " OR ".join(f"t[{i}] = '{t}'" for t in _JSON_TYPES[f.kind])
    value = f"v[{i}]"
    cast = {
        "string": value,
        "timestamp": "NULL",  # parsed from ts_text by the validation SQL
        "integer": f"TRY_CAST({value} AS BIGINT)",
        "number": f"TRY_CAST({value} AS DOUBLE)",
        "boolean": f"TRY_CAST({value} AS BOOLEAN)",
    }[f.kind]
    return f"CASE WHEN {ok} THEN {cast} END AS {f.name}"


def _json_wrong_type(fields: tuple[Field, ...]) -> str:
    checks = []
    for i, f in enumerate(fields, start=1):
        allowed = ", ".join(f"'{t}'" for t in _JSON_TYPES[f.kind] + ("NULL",))
        checks.append(f"WHEN t[{i}] IS NOT NULL AND t[{i}] NOT IN ({allowed}) THEN '{f.name}'")
    return "CASE " + " ".join(checks) + " END"


def _json_select_sql() -> str:
    paths = ", ".join(f"'$.\"{f.name}\"'" for f in FIELDS)
    typed = ",\n    ".join(_json_typed(f, i) for i, f in enumerate(FIELDS, start=1))
    ts_index = [f.name for f in FIELDS].index("event_ts") + 1
    return f"""
INSERT INTO candidates BY NAME
WITH src AS (
  SELECT line_no, line, unterminated,
    CASE WHEN not_strict THEN false WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END
      AS is_object
  FROM staged_lines
  WHERE trim(line, ' \t\r') <> ''
), extracted AS (
  SELECT *,
    CASE WHEN is_object THEN json_type(line, [{paths}]) END AS t,
    CASE WHEN is_object THEN json_extract_string(line, [{paths}]) END AS v,
    CASE WHEN is_object THEN json_exists(line, '$."{RAW_TEXT_FIELD}"') ELSE false END AS has_text
  FROM src
)
SELECT
    $source_file AS source_file, line_no,
    CASE WHEN is_object THEN NULL WHEN unterminated THEN 'truncated_line' ELSE 'not_json' END AS parse_error,
    {_json_wrong_type(FIELDS)} AS wrong_type_field,
    CASE WHEN t[{ts_index}] = 'VARCHAR' THEN v[{ts_index}] END AS ts_text,
    has_text,
    {typed}
FROM extracted
"""


_JSON_SQL = _json_select_sql()


def _stage_json_lines(con: duckdb.DuckDBPyConnection, batch: pa.Table, source_file: str) -> int:
    con.register("staged_lines", batch)
    try:
        con.execute(_JSON_SQL, {"source_file": source_file})
    finally:
        con.unregister("staged_lines")
    return batch.num_rows


# --- Parquet ---------------------------------------------------------------------------------------------

_PARQUET_OK = {
    "string": ("VARCHAR",),
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"),
    "number": ("FLOAT", "DOUBLE", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT"),
    "boolean": ("BOOLEAN",),
}


def _parquet_column(f: Field, col_type: str | None) -> tuple[str, str | None]:
    """(typed select expression, wrong-type condition or None) for one contract field."""
    name = f'"{f.name}"'
    if col_type is None:
        return f"NULL::{f.sql_type} AS {f.name}", None
    base = col_type.split("(")[0]
    if f.kind == "timestamp":
        if base.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"timezone('UTC', {name}) AS {f.name}", None
        if base.startswith("TIMESTAMP"):  # TIMESTAMP, TIMESTAMP_NS/MS/S: the contract says UTC
            return f"CAST({name} AS TIMESTAMP) AS {f.name}", None
        if base == "VARCHAR":  # lenient: parsed like JSON text by the validation SQL
            return f"NULL::TIMESTAMP AS {f.name}", None
        return f"NULL::TIMESTAMP AS {f.name}", f"{name} IS NOT NULL"
    if base in _PARQUET_OK[f.kind] or (f.kind == "number" and base == "DECIMAL"):
        return f"CAST({name} AS {f.sql_type}) AS {f.name}", None
    return f"NULL::{f.sql_type} AS {f.name}", f"{name} IS NOT NULL"


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, set[str]]:
    """The typed candidate columns of one Parquet file (everything but source_file and line_no), as SQL, and
    the names of the file's own columns.

    Read from the file's schema only (``DESCRIBE``); raises duckdb.Error for a file DuckDB cannot open. Only
    code-generated text: contract field names and fixed casts chosen by the column's type.
    """
    described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    types = {str(row[0]): str(row[1]) for row in described}
    selects, wrong = [], []
    for f in FIELDS:
        expr, bad = _parquet_column(f, types.get(f.name))
        selects.append(expr)
        if bad:
            wrong.append(f"WHEN {bad} THEN '{f.name}'")
    ts_type = types.get("event_ts", "")
    ts_text = '"event_ts"' if ts_type == "VARCHAR" else "NULL"
    has_text = f'"{RAW_TEXT_FIELD}" IS NOT NULL' if RAW_TEXT_FIELD in types else "false"
    wrong_sql = ("CASE " + " ".join(wrong) + " END") if wrong else "NULL"
    columns = (f"NULL AS parse_error, {wrong_sql} AS wrong_type_field, {ts_text} AS ts_text, "
               f"{has_text} AS has_text, {', '.join(selects)}")
    return columns, set(types)


class ParquetNotGroupable(Exception):
    """A Parquet file that must be staged on its own (see :func:`parquet_candidate_columns`)."""


def parquet_candidate_columns(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """:func:`_parquet_columns` of a file that can be read together with others in :func:`parquet_scan_sql`;
    raises ParquetNotGroupable when its own columns would clash with the scan's filename / file_row_number."""
    columns, names = _parquet_columns(con, path)
    if names & {"filename", "file_row_number"}:
        raise ParquetNotGroupable(path.name)
    return columns


def parquet_scan_sql(columns: str) -> str:
    """Candidate rows of every file in the list ``paths`` (a macro parameter) that shares ``columns``.

    ``prefix`` (also a macro parameter) is the partition's ``dt=YYYY-MM-DD/``; line numbers count from 1.
    """
    return (
        "(SELECT prefix || parse_filename(filename, false, 'forward_slash') AS source_file, "
        f"file_row_number + 1 AS line_no, {columns} "
        "FROM read_parquet(paths, filename = true, file_row_number = true))"
    )


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, source_file: str) -> int:
    columns, _ = _parquet_columns(con, path)
    sql = f"""
INSERT INTO candidates BY NAME
SELECT $source_file AS source_file, file_row_number + 1 AS line_no, {columns}
FROM read_parquet($path, file_row_number = true)
"""
    before = _count(con)
    con.execute(sql, {"path": str(path), "source_file": source_file})
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM candidates").fetchall()[0][0])


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
