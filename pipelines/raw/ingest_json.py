"""JSONL files into candidate rows: the scrubbed lines of pipelines/raw/ingest_jsonl.py, parsed by DuckDB's JSON
functions with the contract's types — never by inference — a bounded piece at a time.

Lines reach DuckDB only through :class:`JsonStager`: in Arrow tables of at most :data:`FLUSH_BYTES` of lines
(several files' lines share one, so that DuckDB parses them on every thread), each parsed at once into typed
rows of the temp table ``candidates`` (pipelines/raw/ingest.py). Only those typed rows stay; the lines themselves
are never a DuckDB table. Memory is bounded by one flush, whatever a file holds or expands to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.contract import FIELDS, Field
from pipelines.engine import run_sql
from pipelines.raw import ingest_jsonl

#: Bytes of lines held before they are parsed into candidate rows (and rows per Arrow batch within them:
#: DuckDB scans the batches of one registered table in parallel).
FLUSH_BYTES = 64 << 20
_ROWS_PER_BATCH = 50_000


class Report(Protocol):
    """What a file's reading tells (pipelines/raw/ingest.FileReport)."""

    source_file: str
    rows: int
    finding: str | None
    detail: str | None


def _json_field(f: Field) -> tuple[str, str]:
    """(SQL true when the field's JSON type is acceptable or it is absent/null, SQL of its typed value).

    ``j.<field>`` is the field's JSON text as DuckDB re-serialises it (NULL when absent or null), so its first
    character is its JSON type: ``"`` string, ``t``/``f`` boolean, ``{`` object, ``[`` array, else a number;
    only whole numbers need DuckDB's json_type (BIGINT / UBIGINT, not DOUBLE). A string's value is its text
    between the quotes, decoded by json_extract_string only where an escape is left (``\\u`` escapes of
    printable characters come back decoded already); numbers are cast from their text.
    """
    j = f"j.{f.name}"
    number = (f"NOT (starts_with({j}, '\"') OR starts_with({j}, '{{') OR starts_with({j}, '[') "
              f"OR {j} IN ('true', 'false'))")
    if f.kind in ("string", "timestamp"):
        ok = f"starts_with({j}, '\"')"
        value = "NULL" if f.kind == "timestamp" else f"CASE WHEN {ok} THEN {_json_string(j)} END"  # event_ts: ts_text
    elif f.kind == "boolean":
        ok = f"{j} IN ('true', 'false')"
        value = f"CASE WHEN {ok} THEN {j} = 'true' END"
    elif f.kind == "integer":
        # a whole number beyond BIGINT is the wrong type for the row (as in Parquet), not a missing field
        typed = f"TRY_CAST(CAST({j} AS VARCHAR) AS BIGINT)"
        ok = f"({number} AND json_type({j}) IN ('BIGINT', 'UBIGINT') AND {typed} IS NOT NULL)"
        value = f"CASE WHEN {ok} THEN {typed} END"
    else:
        ok = number
        value = f"CASE WHEN {ok} THEN TRY_CAST(CAST({j} AS VARCHAR) AS DOUBLE) END"
    return f"({j} IS NULL OR {ok})", value


def _json_string(j: str) -> str:
    """The value of the JSON string whose (re-serialised) text is ``j``."""
    return (f"CASE WHEN contains({j}, '\\') THEN json_extract_string({j}, '$') "
            f"ELSE substr({j}, 2, length({j}) - 2) END")


def candidates_expressions() -> dict[str, str]:
    """The placeholders of sql/raw/stage_json_lines.sql, generated from the contract's fields: the struct of
    every field as JSON, the wrong-type checks in field order, the text of a string event_ts, and every field
    typed (NULL when its JSON value has the wrong type)."""
    wrong, typed = [], []
    for f in FIELDS:
        ok, value = _json_field(f)
        wrong.append(f"WHEN NOT {ok} THEN '{f.name}'")
        typed.append(f"{value} AS {f.name}")
    return {
        "json_fields": "{" + ", ".join(f'"{f.name}": "JSON"' for f in FIELDS) + "}",
        "wrong_type_checks": " ".join(wrong),
        "ts_text": _json_string("j.event_ts"),
        "typed_columns": ",\n  ".join(typed),
    }


_EXPRESSIONS = candidates_expressions()


@dataclass
class _File:
    path: Path
    report: Report
    arrival_date: date


class JsonStager:
    """Stages the lines of JSONL files into ``candidates``, holding at most about :data:`FLUSH_BYTES` of them."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._pending: list[pa.Table] = []
        self._bytes = 0

    def add_file(self, path: Path, report: Report, arrival_date: date) -> None:
        """Stage every line of one file; file-level findings (``empty_file``, ``corrupt_gzip``, and a file that
        cannot be opened or read to its end: ``unreadable_file``, its lines up to there kept) go to ``report``,
        whose ``rows`` counts its lines.
        Raises duckdb.Error only when DuckDB fails to parse a flush."""
        try:
            if path.stat().st_size == 0:
                report.finding = "empty_file"
                return
            for batch in ingest_jsonl.line_batches(path, report):
                self._add(batch.table, report.source_file, arrival_date)
                report.rows += batch.num_rows
        except OSError as exc:
            report.finding, report.detail = "unreadable_file", ingest_jsonl.one_line(exc)

    def _add(self, lines: pa.Table, source_file: str, arrival_date: date) -> None:
        n = lines.num_rows
        names = pa.array(np.full(n, source_file, dtype=object), pa.string())
        days = pa.array(np.full(n, np.datetime64(arrival_date, "D")), pa.date32())
        self._pending.append(lines.add_column(0, "source_file", names).add_column(0, "arrival_date", days))
        self._bytes += lines.nbytes
        if self._bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Parse what is held into ``candidates`` and let it go."""
        if not self._pending:
            return
        staged = pa.Table.from_batches(pa.concat_tables(self._pending).to_batches(max_chunksize=_ROWS_PER_BATCH))
        self._pending, self._bytes = [], 0
        self._con.register("staged_lines", staged)
        try:
            run_sql(self._con, "stage_json_lines", None, **_EXPRESSIONS)
        finally:
            self._con.unregister("staged_lines")
