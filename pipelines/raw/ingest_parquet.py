"""Read Parquet log files into candidate rows: exactly the files named, and only the contract's columns.

Two ways, with the same typed columns (see :func:`parquet_columns`):

- **grouped scan** (the fast path): DuckDB's ``read_parquet`` over a list of files that share a column layout,
  inside ``sql/raw/raw_events.sql``. DuckDB expands a path holding ``*``, ``?`` or ``[`` as a glob pattern — an
  events root ``…/ev[1]`` read ``…/ev1``, ``…/evA*`` read ``…/evAB`` too — and escaping cannot express every
  name (a backslash before ``[`` defeats it). So DuckDB is only ever given paths it reads literally: the path
  itself when it holds none of those characters, else a plainly named link to the file in a private temporary
  folder (:func:`literal_paths`). Nor does the path add columns: Hive partitioning (``key=value`` folders,
  which DuckDB detects by default) is turned off. The arrival date and file name of each row come from the
  file's position in the list (``file_index``), never from parsing the path DuckDB saw.
- **one file on its own** (a file that cannot share a scan, or every file of a date whose scan failed): opened
  by Python and read with pyarrow, only the contract's columns, handed to DuckDB as Arrow batches with their
  line numbers. No path reaches DuckDB, and DuckDB adds no virtual column (``filename``, ``file_row_number``,
  ``file_index``) that a file's own column of that name would clash with: extra columns are ignored, whatever
  their names (event-log-v1 §3).

The raw comment ``text`` column is never handed to DuckDB by the second way: only whether each row had one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.contract import FIELDS, RAW_TEXT_FIELD, Field
from pipelines.engine import run_sql

#: Characters that make DuckDB expand a path as a glob pattern (``{`` is not one in DuckDB 2.0, but costs
#: nothing to avoid); a backslash is literal unless one of these is present.
GLOB_CHARACTERS = frozenset("*?[{")
#: Columns DuckDB's read_parquet adds (virtual columns): a file with its own column of such a name cannot be
#: read with them, so it is read on its own.
VIRTUAL_COLUMNS = frozenset({"filename", "file_row_number", "file_index"})
#: read_parquet options that keep DuckDB to the file's own columns: by default it detects Hive partitioning in
#: the path, and a folder ``user_id=evil/`` above the root (or the ``dt=`` folder) replaced a column of the file.
_LITERAL_OPTIONS = "hive_partitioning = false"
#: Rows per Arrow batch when a file is read on its own.
_BATCH_ROWS = 122_880

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


def parquet_columns(types: dict[str, str]) -> str:
    """The typed candidate columns (everything but arrival_date, source_file and line_no) of a relation whose
    columns have the DuckDB ``types`` {name: type}, as SQL. Only code-generated text: contract field names and
    fixed casts chosen by the column's type."""
    selects, wrong = [], []
    for f in FIELDS:
        expr, bad = _parquet_column(f, types.get(f.name))
        selects.append(expr)
        if bad:
            wrong.append(f"WHEN {bad} THEN '{f.name}'")
    ts_text = '"event_ts"' if types.get("event_ts", "") == "VARCHAR" else "NULL"
    has_text = f'"{RAW_TEXT_FIELD}" IS NOT NULL' if RAW_TEXT_FIELD in types else "false"
    wrong_sql = ("CASE " + " ".join(wrong) + " END") if wrong else "NULL"
    return (f"NULL AS parse_error, {wrong_sql} AS wrong_type_field, {ts_text} AS ts_text, "
            f"{has_text} AS has_text, {', '.join(selects)}")


def _described(con: duckdb.DuckDBPyConnection, relation: str, params: dict[str, object] | None = None
               ) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", params or {}).fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


# --- grouped scan ----------------------------------------------------------------------------------------


@contextmanager
def literal_paths(paths: Sequence[Path]) -> Iterator[list[str]]:
    """Paths that DuckDB reads as exactly the files ``paths`` (not as glob patterns), valid in the block.

    A path holding a glob character is replaced by a link ``<i>.parquet`` in a private temporary folder whose
    own path holds none (checked: a TMPDIR with such characters raises OSError rather than read other files).
    """
    folder: Path | None = None
    out: list[str] = []
    try:
        for i, path in enumerate(paths):
            if not GLOB_CHARACTERS & set(str(path)):
                out.append(str(path))
                continue
            if folder is None:
                folder = Path(tempfile.mkdtemp(prefix="nudge-read-"))
                if GLOB_CHARACTERS & set(str(folder)):
                    raise OSError(f"the temporary folder {folder} has glob characters in its path")
            link = folder / f"{i}.parquet"
            link.symlink_to(path.resolve())
            out.append(str(link))
        yield out
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def parquet_candidate_columns(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, str] | None:
    """:func:`parquet_columns` of a file that can be read together with others in :func:`parquet_scan_sql`,
    and its layout: only files with the same columns SQL *and* the same types of the columns it reads may
    share a scan (read_parquet reads a list of files with the first one's schema: a float32 score there
    narrowed the others' doubles, an int32 there failed on another file's uint64). None when the file has a
    column named like one of DuckDB's virtual columns: it must be read on its own. Raises duckdb.Error when
    DuckDB cannot open it."""
    with literal_paths([path]) as (literal,):
        types = _described(con, f"read_parquet($path, {_LITERAL_OPTIONS})", {"path": literal})
    if types.keys() & VIRTUAL_COLUMNS:
        return None
    read = {f.name for f in FIELDS} | {RAW_TEXT_FIELD}
    layout = ";".join(f"{name}:{types[name]}" for name in sorted(types.keys() & read))
    return parquet_columns(types), layout


#: The registered table :func:`parquet_scan` fills: each scanned file's position in the list, arrival date
#: and source file.
_SCAN_FILES = "parquet_scan_files"
#: The connection's variable :func:`parquet_scan` sets to the list of paths the scan reads
#: (sql/duckdb/set_parquet_scan_paths.sql).
_SCAN_PATHS = "parquet_scan_paths"


def parquet_scan_sql(columns: str) -> str:
    """Candidate rows of every file in the list of paths :func:`parquet_scan` sets that shares ``columns``
    (read inside its block). Line numbers count from 1."""
    return (
        f"(SELECT s.arrival_date AS arrival_date, s.source_file AS source_file, "
        f"r.file_row_number + 1 AS line_no, {columns} "
        f"FROM read_parquet(getvariable('{_SCAN_PATHS}'), {_LITERAL_OPTIONS}, file_row_number = true) r "
        f"JOIN {_SCAN_FILES} s ON s.file_index = r.file_index)"
    )


@contextmanager
def parquet_scan(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path]) -> Iterator[None]:
    """For the block: the files ``paths`` (each ``…/dt=YYYY-MM-DD/<name>.parquet``) as :func:`parquet_scan_sql`
    reads them — the list of paths DuckDB reads literally in a variable of the connection (bound as a parameter,
    a view cannot take one), the table of their arrival dates and source files registered."""
    files = [Path(p) for p in paths]
    table = pa.table({
        "file_index": pa.array(range(len(files)), pa.uint64()),
        "arrival_date": pa.array([date.fromisoformat(p.parent.name.removeprefix("dt=")) for p in files],
                                 pa.date32()),
        "source_file": pa.array([f"{p.parent.name}/{p.name}" for p in files], pa.string()),
    })
    with literal_paths(files) as literal:
        run_sql(con, "set_parquet_scan_paths", {"paths": literal})
        con.register(_SCAN_FILES, table)
        try:
            yield
        finally:
            con.unregister(_SCAN_FILES)
            run_sql(con, "reset_parquet_scan_paths")


# --- one file on its own ---------------------------------------------------------------------------------


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, source_file: str, arrival_date: date
                  ) -> Iterator[int]:
    """Append the candidate rows of one Parquet file to the temp table ``candidates``, batch by batch, yielding
    how many rows each added: a file damaged part-way keeps the rows before the damage (event-log-v1 §2).

    Raises OSError or pyarrow.ArrowException where the file cannot be read on, duckdb.Error when its rows cannot
    be staged."""
    with path.open("rb") as handle:
        parquet = pq.ParquetFile(handle)
        present = set(parquet.schema_arrow.names)
        wanted = [f.name for f in FIELDS if f.name in present]
        with_text = RAW_TEXT_FIELD in present
        columns: str | None = None
        rows = 0
        for batch in _batches(parquet, wanted + [RAW_TEXT_FIELD] * with_text):
            staged = _contract_batch(batch, wanted, with_text, first_line=rows + 1)
            con.register("staged_parquet", staged)
            try:
                if columns is None:
                    columns = parquet_columns(_described(con, "staged_parquet"))
                run_sql(con, "stage_parquet_batch", {"arrival_date": arrival_date, "source_file": source_file},
                        columns=columns)
            finally:
                con.unregister("staged_parquet")
            rows += batch.num_rows
            yield batch.num_rows


def _batches(parquet: pq.ParquetFile, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The file's rows in order, row group by row group (pyarrow's batches would otherwise span row groups, and
    a damaged group would take the intact ones before it in the same batch with it)."""
    for group in range(parquet.num_row_groups):
        yield from parquet.iter_batches(batch_size=_BATCH_ROWS, row_groups=[group], columns=columns,
                                        use_threads=False)


def _contract_batch(batch: pa.RecordBatch, wanted: list[str], with_text: bool, first_line: int) -> pa.Table:
    """The contract's columns of ``batch`` (a dictionary-encoded one reaches DuckDB as its value type, as from
    DuckDB's own reader), its line numbers, and in place of the raw text a column ``text`` that is true where
    the row had text and null elsewhere — so that the text never reaches DuckDB, and ``"text" IS NOT NULL``
    still tells."""
    names = batch.schema.names  # a name given twice: its first column, as DuckDB's reader and a JSON line's key

    def first(name: str) -> pa.Array:
        return batch.column(names.index(name))

    data: dict[str, pa.Array] = {
        "line_no": pa.array(np.arange(first_line, first_line + batch.num_rows, dtype=np.int64))}
    for name in wanted:
        data[name] = first(name)
    if with_text:
        has = pc.is_valid(first(RAW_TEXT_FIELD))
        data[RAW_TEXT_FIELD] = pc.if_else(has, pa.scalar(True), pa.scalar(None, pa.bool_()))
    return pa.table(data)
