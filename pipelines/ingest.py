"""Read one arrival date's files into typed candidate rows, whatever state the files are in.

Each file is read on its own: a file that cannot be read is reported with its path and the run goes on.
JSONL (plain or gzip) is streamed into scrubbed lines by pipelines/ingest_jsonl.py (salvaging the readable prefix of
a damaged gzip, the raw ``text`` removed) and parsed by DuckDB's JSON functions with the contract's types
(pipelines/ingest_json.py) — never by inference. Parquet is read by DuckDB and its
columns checked against the contract's types. Both become rows of the temp table ``candidates`` with the
same columns; ``sql/raw_events.sql`` then decides, row by row, whether each is a valid event or quarantined.

The raw comment ``text`` field never reaches DuckDB: only whether a row carried it.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.contract import FIELDS, RAW_TEXT_FIELD, Field
from pipelines.ingest_json import JsonStager

_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")  # fullmatch only: `$` would match before a newline
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")

@dataclass
class FileReport:
    """What happened to one file: how many lines were read and any file-level finding."""

    source_file: str
    file_format: str
    rows: int = 0
    finding: str | None = None  # one of contract.FILE_REASONS
    detail: str | None = None


def arrival_dates(events_root: Path) -> list[str]:
    """The arrival dates present under ``events_root`` (its ``dt=YYYY-MM-DD`` folders), oldest first; folders
    whose name is not a real date are left out (:func:`unread_entries` lists them)."""
    if not events_root.is_dir():
        return []
    found = [m.group(1) for p in events_root.iterdir() if p.is_dir() and (m := _DT_DIR.fullmatch(p.name))]
    return sorted(d for d in found if _is_date(d))


def unread_entries(events_root: Path) -> list[str]:
    """What under ``events_root`` looks like log data but is not read, each with the reason, so that whoever
    runs the pipeline is told (a typo must not drop a day silently): ``dt=…`` folders whose name is not a real
    date, files outside a ``dt=`` folder, and folders inside one (event-log-v1 §2: files sit directly in it).
    Hidden files (a leading dot: uploads in progress) are left alone."""
    if not events_root.is_dir():
        return []
    found = []
    for p in sorted(events_root.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file():
            found.append(f"{p.name}: a file outside any dt=YYYY-MM-DD folder")
        elif p.is_dir() and p.name.startswith("dt="):
            if not ((m := _DT_DIR.fullmatch(p.name)) and _is_date(m.group(1))):
                found.append(f"{p.name}/: not dt=YYYY-MM-DD with a real date")
                continue
            found += [f"{p.name}/{sub.name}/: a folder inside a partition (its files are not read)"
                      for sub in sorted(p.iterdir()) if sub.is_dir() and not sub.name.startswith(".")]
    return found


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


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
  arrival_date DATE, source_file VARCHAR, line_no BIGINT, parse_error VARCHAR, parse_detail VARCHAR,
  wrong_type_field VARCHAR,
  ts_text VARCHAR, has_text BOOLEAN,
  {cols}
)"""
    )


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, source_file: str, arrival_date: date) -> FileReport:
    """Append the candidate rows of one file of ``arrival_date`` to ``candidates``; never raises for bad content."""
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
            report.rows = _stage_parquet(con, path, source_file, arrival_date)
        else:
            stager = JsonStager(con)
            stager.add_file(path, report, arrival_date)
            stager.flush()
    except (OSError, duckdb.Error) as exc:
        report.finding, report.detail = "unreadable_file", one_line(exc)
    return report


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
    if f.kind == "number" and base == "FLOAT":
        # a float32 0.7 is 0.699999988 as a double: read the shortest decimal that round-trips, as written
        return f"CAST(CAST({name} AS VARCHAR) AS DOUBLE) AS {f.name}", None
    if f.kind == "integer" and base in _PARQUET_OK["integer"]:
        # a value too large for the contract's integer is a wrong type for that row, not an unreadable file
        typed = f"TRY_CAST({name} AS {f.sql_type})"
        return f"{typed} AS {f.name}", f"{name} IS NOT NULL AND {typed} IS NULL"
    if base in _PARQUET_OK[f.kind] or (f.kind == "number" and base == "DECIMAL"):
        return f"CAST({name} AS {f.sql_type}) AS {f.name}", None
    return f"NULL::{f.sql_type} AS {f.name}", f"{name} IS NOT NULL"


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, dict[str, str]]:
    """The typed candidate columns of one Parquet file (everything but source_file and line_no), as SQL, and
    the file's own columns with their DuckDB types.

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
    return columns, types


class ParquetNotGroupable(Exception):
    """A Parquet file that must be staged on its own (see :func:`parquet_candidate_columns`)."""


def parquet_candidate_columns(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, str]:
    """:func:`_parquet_columns` of a file that can be read together with others in :func:`parquet_scan_sql`,
    and its layout: only files with the same columns SQL *and* the same types of the columns it reads may
    share a scan (read_parquet reads a list of files with the first one's schema: a float32 score there
    narrowed the others' doubles, an int32 there failed on another file's uint64). Raises ParquetNotGroupable
    when the file's own columns would clash with the scan's filename / file_row_number, or its name holds
    glob characters (read_parquet would expand it)."""
    if GLOB_CHARACTERS & set(path.name):
        raise ParquetNotGroupable(path.name)
    columns, types = _parquet_columns(con, path)
    if types.keys() & {"filename", "file_row_number"}:
        raise ParquetNotGroupable(path.name)
    read = {f.name for f in FIELDS} | {RAW_TEXT_FIELD}
    layout = ";".join(f"{name}:{types[name]}" for name in sorted(types.keys() & read))
    return columns, layout


def parquet_scan_sql(columns: str) -> str:
    """Candidate rows of every file in the list ``paths`` (a macro parameter) that shares ``columns``.

    Each path ends in ``dt=YYYY-MM-DD/<name>.parquet`` (its partition folder): the arrival date and the
    source file (``dt=YYYY-MM-DD/<name>.parquet``) come from it, computed once per chunk of rows (the file
    name is constant within one). Line numbers count from 1.
    """
    folder = "parse_filename(parse_dirpath(filename, 'system'), false, 'system')"
    return (
        f"(SELECT CAST(substr({folder}, 4) AS DATE) AS arrival_date, "
        f"{folder} || '/' || parse_filename(filename, false, 'system') AS source_file, "
        f"file_row_number + 1 AS line_no, {columns} "
        "FROM read_parquet(paths, filename = true, file_row_number = true))"
    )


#: Characters that make DuckDB's read_parquet expand a path as a glob pattern.
GLOB_CHARACTERS = frozenset("*?[{")


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, source_file: str, arrival_date: date) -> int:
    if GLOB_CHARACTERS & set(path.name):  # read through a plainly named link, so that it is this file alone
        with tempfile.TemporaryDirectory() as tmp:
            link = Path(tmp) / "file.parquet"
            link.symlink_to(path.resolve())
            return _stage_parquet(con, link, source_file, arrival_date)
    columns, _ = _parquet_columns(con, path)
    sql = f"""
INSERT INTO candidates BY NAME
SELECT $arrival_date AS arrival_date, $source_file AS source_file, file_row_number + 1 AS line_no, {columns}
FROM read_parquet($path, file_row_number = true)
"""
    before = _count(con)
    con.execute(sql, {"path": str(path), "source_file": source_file, "arrival_date": arrival_date})
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM candidates").fetchall()[0][0])


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
