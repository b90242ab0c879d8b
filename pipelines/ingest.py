"""Read one arrival date's files into typed candidate rows, whatever state the files are in.

Each file is read on its own: a file that cannot be read is reported with its path and the run goes on.
JSONL (plain or gzip) is split into lines here (salvaging the readable prefix of a damaged gzip) and parsed
by DuckDB's JSON functions with the contract's types — never by inference. Parquet is read as
:mod:`pipelines.ingest_parquet` says, its columns checked against the contract's types. Both become rows of
the temp table ``candidates`` with the same columns; ``sql/raw_events.sql`` then decides, row by row, whether
each is a valid event or quarantined.

The raw comment ``text`` field is never read: only whether a row carried it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress
from pipelines.contract import FIELDS, RAW_TEXT_FIELD, Field

# file discovery and Parquet reading live in modules of their own; the project uses them as ingest.<name>
from pipelines.discovery import SUFFIXES as SUFFIXES
from pipelines.discovery import arrival_dates as arrival_dates
from pipelines.discovery import file_format
from pipelines.discovery import partition_files as partition_files
from pipelines.discovery import unread_entries as unread_entries
from pipelines.ingest_parquet import parquet_candidate_columns as parquet_candidate_columns
from pipelines.ingest_parquet import parquet_scan as parquet_scan
from pipelines.ingest_parquet import parquet_scan_sql as parquet_scan_sql
from pipelines.ingest_parquet import stage_parquet

_LINES_PER_BATCH = 250_000
#: What DuckDB's JSON reader tolerates beyond the standard; lines matching are checked strictly.
_LENIENT_SUSPECT = r",\s*[}\]]|NaN|Infinity"
_TRAILING_COMMA = r",\s*[}\]]"

@dataclass
class FileReport:
    """What happened to one file: how many lines were read and any file-level finding."""

    source_file: str
    file_format: str
    rows: int = 0
    finding: str | None = None  # one of contract.FILE_REASONS
    detail: str | None = None


def create_candidates_table(con: duckdb.DuckDBPyConnection) -> None:
    cols = ",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE candidates (
  arrival_date DATE, source_file VARCHAR, line_no BIGINT, parse_error VARCHAR, wrong_type_field VARCHAR,
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
            for rows in stage_parquet(con, path, source_file, arrival_date):
                report.rows += rows
        else:
            for batch in _json_line_batches(path, report):
                report.rows += _stage_json_lines(con, batch, source_file, arrival_date)
    except (OSError, duckdb.Error, pa.ArrowException) as exc:
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
            # damaged member: what decompresses before the damage still counts (event-log-v1 §2)
            report.finding, report.detail = "corrupt_gzip", one_line(exc)
            salvaged, rest = _salvage_gzip_member(data)
            out.append(salvaged)
            if rest is None:
                break
            data = rest  # only the checksum was wrong: the next member, if any, is read as usual
            continue
        if not decomp.eof:
            report.finding, report.detail = "corrupt_gzip", "gzip stream ends before its end marker (truncated)"
            break
        data = decomp.unused_data  # a further gzip member, if any
    return b"".join(out)


_SALVAGE_CHUNK = 1024


def _salvage_gzip_member(data: bytes) -> tuple[bytes, bytes | None]:
    """The bytes a damaged gzip member decompresses to before the damage, and what follows the member when
    its compressed data ended intact (a wrong checksum or length in its trailer), else None.

    The deflate data is read raw (no checksum) in small pieces, keeping every piece's output up to the error.
    """
    start = _gzip_header_length(data)
    if start is None:
        return b"", None
    decomp = zlib.decompressobj(wbits=-15)
    out: list[bytes] = []
    for pos in range(start, len(data), _SALVAGE_CHUNK):
        try:
            out.append(decomp.decompress(data[pos : pos + _SALVAGE_CHUNK]))
        except zlib.error:
            return b"".join(out), None
        if decomp.eof:
            return b"".join(out), decomp.unused_data[8:] + data[pos + _SALVAGE_CHUNK :]
    return b"".join(out), None


def _gzip_header_length(data: bytes) -> int | None:
    """Length of the gzip member header at the start of ``data`` (RFC 1952 §2.3), None if it is not one."""
    if len(data) < 10 or data[:3] != b"\x1f\x8b\x08":
        return None
    flags, pos = data[3], 10
    try:
        if flags & 4:  # FEXTRA
            pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
        if flags & 8:  # FNAME
            pos = data.index(b"\0", pos) + 1
        if flags & 16:  # FCOMMENT
            pos = data.index(b"\0", pos) + 1
    except ValueError:
        return None
    if flags & 2:  # FHCRC
        pos += 2
    return pos if pos <= len(data) else None


def _not_strict_json(lines: pa.Array, *, may_hold_words: bool = True) -> pa.Array:
    """True for lines DuckDB's lenient parser would accept but JSON forbids (a trailing comma, NaN, Infinity).

    A vectorised regex finds the few suspects; Python's strict parser decides for those only. The words are
    looked for line by line only when ``may_hold_words`` (the caller found them somewhere in the file: one
    search of the whole buffer is four times cheaper than the alternation on every line).
    """
    pattern = _LENIENT_SUSPECT if may_hold_words else _TRAILING_COMMA
    suspect = np.flatnonzero(pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False))
    flags = np.zeros(len(lines), np.bool_)
    for i in suspect.tolist():
        try:
            json.loads(lines[i].as_py(), parse_constant=_reject_constant)
        except ValueError:
            flags[i] = True
    return pa.array(flags)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_line_batches(path: Path, report: FileReport) -> Iterator[pa.Table]:
    """:func:`json_lines` of one file in tables of at most _LINES_PER_BATCH lines (the file-by-file path)."""
    table = json_lines(path, report)
    if table is None:
        return
    for batch in table.to_batches(max_chunksize=_LINES_PER_BATCH):
        yield pa.Table.from_batches([batch])


def json_lines(path: Path, report: FileReport) -> pa.Table | None:
    """Every line of a JSONL file as one Arrow table (line_no, line, unterminated, not_strict), split without
    a Python object per line and without copying; None when the file holds nothing (``report`` says why).

    The lines are those of :func:`_json_line_batches` (UTF-8 with U+FFFD for bad bytes, a leading BOM
    dropped, split at ``\\n`` only, the last line flagged when the file does not end with a newline), except
    that each keeps its terminating ``\\n``: JSON ignores it, and blank lines are found by trimming it too.
    """
    whole = _read_bytes(path, report)
    raw = whole[3:] if whole.startswith(b"\xef\xbb\xbf") else whole
    if not raw:
        report.finding = report.finding or "empty_file"
        return None
    buf = np.frombuffer(raw, np.uint8)
    newline = np.flatnonzero(buf == 10)
    unterminated_last = bool(buf[-1] != 10)
    n = len(newline) + (1 if unterminated_last else 0)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    offsets[1 : len(newline) + 1] = newline + 1
    offsets[n] = len(buf)
    lines = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw))
    try:
        lines.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        return _split_undecodable(raw)
    unterminated = np.zeros(n, np.bool_)
    unterminated[-1] = unterminated_last
    return pa.table({
        "line_no": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "line": lines,
        "unterminated": pa.array(unterminated),
        "not_strict": _not_strict_json(lines, may_hold_words=b"NaN" in raw or b"Infinity" in raw),
    })


def read_json_files(files: list[tuple[Path, FileReport, date]]) -> list[pa.Table]:
    """:func:`json_lines` of each file with its ``arrival_date`` and ``source_file`` columns, two files at a time
    (decompression, splitting and the strictness regex release the GIL); file-level findings go to each file's
    report."""

    def read(item: tuple[Path, FileReport, date]) -> pa.Table | None:
        path, report, arrival_date = item
        try:
            if path.stat().st_size == 0:
                report.finding = "empty_file"
                return None
            lines = json_lines(path, report)
        except OSError as exc:
            report.finding, report.detail = "unreadable_file", one_line(exc)
            return None
        if lines is None:
            return None
        report.rows = lines.num_rows
        names = pa.array(np.full(lines.num_rows, report.source_file, dtype=object), pa.string())
        days = pa.array(np.full(lines.num_rows, np.datetime64(arrival_date, "D")), pa.date32())
        return lines.add_column(0, "source_file", names).add_column(0, "arrival_date", days)

    with ThreadPoolExecutor(max_workers=2) as pool:
        tables = []
        for (path, _, _), table in zip(files, pool.map(read, files), strict=True):
            progress.files_read([path])  # from the loading thread, in file order
            if table is not None:
                tables.append(table)
        return tables


def _split_undecodable(raw: bytes) -> pa.Table:
    """:func:`json_lines` of a file that is not valid UTF-8 (rare: Python objects). JSON text is UTF-8
    (RFC 8259 §8.1): a line holding other bytes is not JSON. Decoded with replacement characters it would
    read, and two different ids could become one, so it is marked for the strict check (`not_json`)."""
    parts = raw.split(b"\n")
    unterminated_last = bool(parts[-1])
    if not unterminated_last:
        parts.pop()
    texts, undecodable = [], []
    for part in parts:
        try:
            texts.append(part.decode("utf-8"))
            undecodable.append(False)
        except UnicodeDecodeError:
            texts.append(part.decode("utf-8", errors="replace"))  # not blank: reported, never parsed
            undecodable.append(True)
    line_array = pa.array(texts, pa.large_string())
    unterminated = np.zeros(len(texts), np.bool_)
    unterminated[-1] = unterminated_last
    return pa.table({
        "line_no": pa.array(np.arange(1, len(texts) + 1, dtype=np.int64)),
        "line": line_array,
        "unterminated": pa.array(unterminated),
        "not_strict": pc.or_(_not_strict_json(line_array), pa.array(undecodable)),
    })


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


def _json_candidates_sql(lines: str, source_file: str, arrival_date: str) -> str:
    """Candidate rows of the JSON lines in relation ``lines`` (line_no, line, unterminated, not_strict); the
    SQL expressions ``source_file`` and ``arrival_date`` give those columns.

    Each valid line (json_valid: a cheap scan) is parsed by DuckDB once, into the JSON text of every contract
    field (looked up like the path functions: case-sensitive, escapes decoded, the first of duplicates). A
    valid JSON text is an object exactly when it starts with ``{``.
    """
    as_json = "{" + ", ".join(f'"{f.name}": "JSON"' for f in FIELDS) + "}"
    wrong, typed = [], []
    for f in FIELDS:
        ok, value = _json_field(f)
        wrong.append(f"WHEN NOT {ok} THEN '{f.name}'")
        typed.append(f"{value} AS {f.name}")
    typed_sql = ",\n  ".join(typed)
    # a key written "text" contains those characters literally or as \u escapes
    return f"""
WITH src AS (
  SELECT {arrival_date} AS arrival_date, {source_file} AS source_file, line_no, line, unterminated,
    CASE WHEN NOT not_strict AND json_valid(line) THEN from_json(line, '{as_json}') END AS j
  FROM {lines}
  WHERE starts_with(line, '{{') OR trim(line, ' \t\r\n') <> ''
), parsed AS (
  SELECT arrival_date, source_file, line_no, unterminated, j,
    j IS NOT NULL AND starts_with(ltrim(line, ' \t\r\n'), '{{') AS is_object,
    CASE WHEN j IS NOT NULL AND (contains(line, '"{RAW_TEXT_FIELD}"') OR contains(line, '\\u'))
         THEN json_exists(line, '$."{RAW_TEXT_FIELD}"') ELSE false END AS has_text
  FROM src
)
SELECT
  arrival_date, source_file, line_no,
  CASE WHEN is_object THEN NULL WHEN unterminated THEN 'truncated_line' ELSE 'not_json' END AS parse_error,
  CASE WHEN is_object THEN CASE {" ".join(wrong)} END END AS wrong_type_field,
  CASE WHEN is_object AND starts_with(j.event_ts, '"') THEN {_json_string("j.event_ts")} END AS ts_text,
  is_object AND has_text AS has_text,
  {typed_sql}
FROM parsed
"""


def _json_select_sql() -> str:
    return "INSERT INTO candidates BY NAME\n" + _json_candidates_sql("staged_lines", "$source_file", "$arrival_date")


#: Parse every staged JSON line (table ``staged_json``: arrival_date, source_file and the columns of
#: :func:`json_lines`) once, into the temp table ``json_candidates`` that sql/raw_events.sql then checks.
PARSE_STAGED_JSON_SQL = "CREATE OR REPLACE TEMP TABLE json_candidates AS\n" + _json_candidates_sql(
    "staged_json", "source_file", "arrival_date")


_JSON_SQL = _json_select_sql()


def _stage_json_lines(con: duckdb.DuckDBPyConnection, batch: pa.Table, source_file: str, arrival_date: date) -> int:
    con.register("staged_lines", batch)
    try:
        con.execute(_JSON_SQL, {"source_file": source_file, "arrival_date": arrival_date})
    finally:
        con.unregister("staged_lines")
    return batch.num_rows


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
