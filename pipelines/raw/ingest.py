"""Read one arrival date's files into typed candidate rows, whatever state the files are in.

Each file is read on its own: a file that cannot be read is reported with its path and the run goes on.
JSONL (plain or gzip) is streamed into scrubbed lines by pipelines/raw/ingest_jsonl.py (salvaging the readable prefix of
a damaged gzip, the raw ``text`` removed) and parsed by DuckDB's JSON functions with the contract's types
(pipelines/raw/ingest_json.py) — never by inference. Parquet is read as
:mod:`pipelines.raw.ingest_parquet` says, its columns checked against the contract's types. Both become rows of
the temp table ``candidates`` with the same columns; ``sql/raw_events.sql`` then decides, row by row, whether
each is a valid event or quarantined.

The raw comment ``text`` field never reaches DuckDB: only whether a row carried it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.contract import FIELDS
from pipelines.engine import run_sql

# file discovery and Parquet reading live in modules of their own; the project uses them as ingest.<name>
from pipelines.raw.discovery import SUFFIXES as SUFFIXES
from pipelines.raw.discovery import arrival_dates as arrival_dates
from pipelines.raw.discovery import file_format
from pipelines.raw.discovery import partition_files as partition_files
from pipelines.raw.discovery import unread_entries as unread_entries
from pipelines.raw.ingest_json import JsonStager
from pipelines.raw.ingest_parquet import parquet_candidate_columns as parquet_candidate_columns
from pipelines.raw.ingest_parquet import parquet_scan as parquet_scan
from pipelines.raw.ingest_parquet import parquet_scan_sql as parquet_scan_sql
from pipelines.raw.ingest_parquet import stage_parquet


@dataclass
class FileReport:
    """What happened to one file: how many lines were read and any file-level finding."""

    source_file: str
    file_format: str
    rows: int = 0
    finding: str | None = None  # one of contract.FILE_REASONS
    detail: str | None = None


def create_candidates_table(con: duckdb.DuckDBPyConnection) -> None:
    """The empty staging table ``candidates`` (sql/raw/candidates.sql)."""
    run_sql(con, "candidates", event_columns=",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS))


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
            for rows in stage_parquet(con, path, source_file, arrival_date):
                report.rows += rows
        else:
            stager = JsonStager(con)
            stager.add_file(path, report, arrival_date)
            stager.flush()
    except (OSError, duckdb.Error, pa.ArrowException) as exc:
        report.finding, report.detail = "unreadable_file", one_line(exc)
    return report


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
