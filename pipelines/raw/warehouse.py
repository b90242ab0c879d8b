"""The DuckDB warehouse's raw layer: setting DuckDB's options, the schema of the partition-filled tables, and
loading arrival dates (staged, checked by sql/raw/raw_events.sql, written; file by file when a batch fails).

Everything here takes an open connection; opening and closing it (one writer at a time) is the Dagster
resource's job. Running the files of ``sql/`` is :mod:`pipelines.engine`'s; building the derived tables from
them is :mod:`pipelines.tables`'s. Values from outside (paths, dates) always travel as bound parameters or as
rows of a table, never pasted into SQL text. The only text substituted into SQL files is generated from the
code's own constants (the contract).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import progress
from pipelines.contract import (
    COMMON_REQUIRED,
    ENUMS,
    EVENT_TYPES,
    FIELDS,
    MAX_LATENESS_DAYS,
)
from pipelines.engine import read_tuples, run_sql, sql_path, transaction
from pipelines.raw import ingest, ingest_json, spill
from pipelines.results import RESULT_TYPES, SRM_TYPES

_log = logging.getLogger(__name__)
#: Partitions that fell back to file-by-file staging in this process (see load_arrival_date), for tests
#: and benchmarks: the fast path is expected to hold for every readable log.
FALLBACKS: list[str] = []
EVENT_COLUMNS = ", ".join(f.name for f in FIELDS)


#: DuckDB's memory limit when neither --memory-limit nor NUDGE_MEMORY_LIMIT says otherwise: with Python,
#: Dagster and the staged JSON lines on top, a whole `nudge run` stays within 4 GiB; beyond it DuckDB spills
#: to ``<warehouse>.tmp`` next to the warehouse file.
DEFAULT_MEMORY_LIMIT = "3GB"


def configure(con: duckdb.DuckDBPyConnection, *, memory_limit: str | None = None) -> None:
    spill.use_temp_directory(con)  # <warehouse>.tmp, emptied of a killed run's spill files
    limit = memory_limit or os.environ.get("NUDGE_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    run_sql(con, "configure", {"limit": limit})


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the partition-filled tables and the empty result tables (results-v1) if they do not exist."""
    before = {(t, c) for t, c in read_tuples(con, "columns_to_migrate")}  # what an older warehouse holds
    event_columns = ",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
    run_sql(con, "schema", event_columns=event_columns)
    tables_before = {t for t, _ in before}
    if "loaded_partitions" in tables_before:  # bookkeeping from before its own schema
        with transaction(con):
            run_sql(con, "move_bookkeeping")
    if ("raw_events", "first_delivery") in before:  # kept copies marked in raw_events itself: they move out
        with transaction(con):
            run_sql(con, "move_first_delivery")
            run_sql(con, "events")
    elif "raw_events" in tables_before and "redeliveries" not in tables_before:  # kept copies never recorded
        run_sql(con, "decide_redeliveries_again")
    if "quarantined_events" in tables_before and ("quarantined_events", "has_text") not in before:
        run_sql(con, "add_quarantine_has_text")
    run_sql(con, "results_schema", None, **RESULTS_SCHEMA)


def _columns_sql(types: Mapping[str, str]) -> str:
    return ", ".join(f"{c} {t}" for c, t in types.items())


#: sql/results/results_schema.sql's column lists, from the results-v1 types of pipelines/results.py
RESULTS_SCHEMA = {"experiment_results_columns": _columns_sql(RESULT_TYPES),
                  "sample_ratio_checks_columns": _columns_sql(SRM_TYPES)}


# --- raw layer -------------------------------------------------------------------------------------------


def _missing_field_sql() -> str:
    def absent(name: str) -> str:
        if name == "event_ts":
            return "(event_ts IS NULL AND (ts_text IS NULL OR ts_text = ''))"
        field = next(f for f in FIELDS if f.name == name)
        return f"({name} IS NULL OR {name} = '')" if field.kind == "string" else f"{name} IS NULL"

    common = " ".join(f"WHEN {absent(n)} THEN '{n}'" for n in COMMON_REQUIRED)
    per_type = []
    for event_type, names in EVENT_TYPES.items():
        checks = " ".join(f"WHEN {absent(n)} THEN '{n}'" for n in names)
        if event_type == "nudge_triggered":
            checks += " WHEN shown AND (prompt_id IS NULL OR prompt_id = '') THEN 'prompt_id'"
        per_type.append(f"WHEN '{event_type}' THEN CASE {checks} END")
    return f"coalesce(CASE {common} END, CASE event_type {' '.join(per_type)} END)"


def _invalid_value_sql() -> str:
    checks = [
        f"WHEN {name} IS NOT NULL AND {name} NOT IN ({', '.join(repr(v) for v in allowed)}) THEN '{name}'"
        for name, allowed in ENUMS.items()
    ]
    checks += [
        "WHEN text_length < 0 THEN 'text_length'",
        # anchored partial matches, not regexp_full_match (which Spark lacks); \z, not $ (which Java's regexes
        # also match before a final line break)
        "WHEN text_hash IS NOT NULL AND NOT regexp_matches(text_hash, '^[0-9a-fA-F]+\\z') THEN 'text_hash'",
        "WHEN country IS NOT NULL AND NOT regexp_matches(country, '^[A-Z]{2}\\z') THEN 'country'",
    ]
    return "CASE " + " ".join(checks) + " END"


_VALIDATION = {
    "missing_field": _missing_field_sql(),
    "invalid_value": _invalid_value_sql(),
    "event_types": ", ".join(f"'{t}'" for t in EVENT_TYPES),
    "max_lateness_days": str(MAX_LATENESS_DAYS),
    "event_columns": EVENT_COLUMNS,
    "event_columns_but_ts": ", ".join(f.name for f in FIELDS if f.name != "event_ts"),
}


@dataclass(frozen=True)
class PartitionLoad:
    """Counts of one arrival date's load."""

    arrival_date: str
    files: int
    rows_read: int
    rows_valid: int
    rows_quarantined: int
    file_findings: dict[str, int]


def load_arrival_date(con: duckdb.DuckDBPyConnection, events_root: Path, arrival_date: str) -> PartitionLoad:
    """:func:`load_arrival_dates` of one arrival date."""
    return load_arrival_dates(con, events_root, [arrival_date])[0]


#: How much JSON (bytes on disk, gzip counted eightfold) one load stages at most: arrival dates are loaded
#: together up to this size, so a long backfill neither runs a statement per date nor stages every date's rows
#: at once (the lines are held a bounded piece at a time, pipelines/raw/ingest_json.py; their typed rows wait in
#: DuckDB). Parquet files are scanned, not staged, and do not count.
_JSON_BYTES_PER_LOAD = 512 * 2**20


def load_arrival_dates(con: duckdb.DuckDBPyConnection, events_root: Path, arrival_dates: Sequence[str]
                       ) -> list[PartitionLoad]:
    """Replace everything loaded for each arrival date with what its folder holds now.

    Re-running it gives the same rows (files are immutable; a late batch adds files), so a partition can be
    re-materialised any number of times. Dates are loaded together, several per transaction (a run killed
    half-way leaves each date as it was before or fully replaced, never half). An arrival date whose files
    (names, sizes, modification times) and checking rules are those of its last load is not read again:
    reading it would give the same rows.
    """
    for batch in _batches(_changed(con, events_root, arrival_dates)):
        try:
            _load(con, batch, fast=True)
            continue
        except duckdb.Error as exc:
            failed = exc  # the transaction has been rolled back
        # e.g. a Parquet file that opens but cannot be read to its end: date by date, and the failing date file
        # by file, so that only the damaged file is reported unreadable
        for part in batch:
            if len(batch) > 1:
                try:
                    _load(con, [part], fast=True)
                    continue
                except duckdb.Error as exc:
                    failed = exc
            _log.warning("dt=%s: reading file by file after %s", part.arrival_date, ingest.one_line(failed))
            FALLBACKS.append(f"dt={part.arrival_date}: {ingest.one_line(failed)}")
            _load(con, [part], fast=False)
    return [_loaded(con, d) for d in arrival_dates]


def changed_arrival_dates(con: duckdb.DuckDBPyConnection, events_root: Path, arrival_dates: Sequence[str]
                          ) -> list[str]:
    """The arrival dates among ``arrival_dates`` that :func:`load_arrival_dates` would read: never loaded, or
    their files (names, sizes, modification times) or the checking rules changed since their last load."""
    return [p.arrival_date for p in _changed(con, events_root, arrival_dates)]


def _changed(con: duckdb.DuckDBPyConnection, events_root: Path, arrival_dates: Sequence[str]) -> list[_Partition]:
    todo: list[_Partition] = []
    for arrival_date in arrival_dates:
        files = ingest.partition_files(events_root, arrival_date)
        fingerprint = _partition_fingerprint(files)
        stored = read_tuples(con, "loaded_fingerprint", {"d": date.fromisoformat(arrival_date)})
        if not (stored and stored[0][0] == fingerprint):
            todo.append(_Partition(arrival_date, files, fingerprint))
    return todo


@dataclass(frozen=True)
class _Partition:
    arrival_date: str
    files: list[Path]
    fingerprint: str

    @property
    def json_bytes(self) -> int:
        return sum(p.stat().st_size * (8 if p.name.endswith(".gz") else 1) for p in self.files
                   if ingest.file_format(p) in ("jsonl", "jsonl.gz"))


def _batches(todo: list[_Partition]) -> Iterator[list[_Partition]]:
    batch: list[_Partition] = []
    size = 0
    for part in todo:
        part_size = part.json_bytes
        if batch and size + part_size > _JSON_BYTES_PER_LOAD:
            yield batch
            batch, size = [], 0
        batch.append(part)
        size += part_size
    if batch:
        yield batch


def _loaded(con: duckdb.DuckDBPyConnection, arrival_date: str) -> PartitionLoad:
    """The counts of one arrival date as loaded (from ingested_files)."""
    day = date.fromisoformat(arrival_date)
    rows = read_tuples(con, "loaded_files", {"arrival_date": day})
    findings: dict[str, int] = {}
    for finding, *_ in rows:
        if finding:
            findings[finding] = findings.get(finding, 0) + 1
    return PartitionLoad(arrival_date, len(rows), sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows),
                         sum(int(r[3]) for r in rows), findings)


def _load(con: duckdb.DuckDBPyConnection, batch: list[_Partition], *, fast: bool) -> None:
    """Stage, check and write the arrival dates of ``batch`` in one transaction; the Parquet files straight
    from their scan when ``fast``, every file staged on its own otherwise."""
    ingest.create_candidates_table(con)
    reports: dict[str, list[ingest.FileReport]] = {}
    parquet_groups: dict[tuple[str, str], list[str]] = {}  # (columns SQL, layout) -> paths of files sharing them
    scanned: set[str] = set()
    json_files: list[tuple[Path, ingest.FileReport, date]] = []  # staged together, outside the transaction
    for part in batch:
        day = date.fromisoformat(part.arrival_date)
        prefix = f"dt={part.arrival_date}/"
        reports[part.arrival_date] = day_reports = []
        for path in part.files:
            source_file = prefix + path.name
            fmt = ingest.file_format(path)
            if fast and fmt in ("jsonl", "jsonl.gz"):
                report = ingest.FileReport(source_file, fmt)
                day_reports.append(report)
                json_files.append((path, report, day))
                continue
            if fast and fmt == "parquet" and path.stat().st_size > 0:
                try:
                    group = ingest.parquet_candidate_columns(con, path)  # None: read it on its own
                except (OSError, duckdb.Error) as exc:
                    day_reports.append(ingest.FileReport(source_file, "parquet", finding="unreadable_file",
                                                         detail=ingest.one_line(exc)))
                    continue
                if group is not None:
                    day_reports.append(ingest.FileReport(source_file, "parquet"))
                    scanned.add(source_file)  # its rows are counted once written
                    parquet_groups.setdefault(group, []).append(str(path))
                    continue
            day_reports.append(ingest.stage_file(con, path, source_file, day))
    days = [date.fromisoformat(part.arrival_date) for part in batch]
    run_sql(con, "bulk_load_settings")
    try:
        _stage_json(con, json_files)
        with transaction(con):
            had_rows = [d for (d,) in read_tuples(con, "dates_with_rows", {"days": days})]
            run_sql(con, "clear_arrival_dates", {"days": days})
            if read_tuples(con, "staged_rows")[0][0]:
                run_sql(con, "raw_events", None, candidates="candidates", parse_detail="parse_detail", **_VALIDATION)
            for (columns, _), paths in parquet_groups.items():
                with ingest.parquet_scan(con, paths):  # DuckDB reads exactly these files
                    run_sql(con, "raw_events", None, candidates=ingest.parquet_scan_sql(columns), parse_detail="NULL",
                            **_VALIDATION)
            _record_files(con, days, reports, scanned)
            run_sql(con, "loaded_arrival_dates",
                    {"days": days, "had_rows": had_rows, "fingerprints": [p.fingerprint for p in batch]})
        progress.dates_written([p.arrival_date for p in batch], [f for p in batch for f in p.files])
    finally:
        run_sql(con, "bulk_load_settings_reset")


def _stage_json(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, ingest.FileReport, date]]) -> None:
    """The candidate rows of every JSONL file of the load, into ``candidates`` a bounded piece at a time."""
    stager = ingest_json.JsonStager(con)
    for path, report, arrival_date in files:
        stager.add_file(path, report, arrival_date)
        progress.files_read([path])
    stager.flush()


_READING_MODULES = ("ingest.py", "ingest_json.py", "ingest_jsonl.py", "gzip_stream.py", "ingest_parquet.py",
                    "../contract.py", "warehouse.py")
#: Everything that decides what a partition's rows become (the checking code and SQL, the contract, DuckDB's
#: parsers): when any of it changes, every partition is read again.
_RULES_VERSION = hashlib.sha256(b"\0".join(
    [duckdb.__version__.encode()]
    + [(Path(__file__).resolve().parent / name).read_bytes() for name in _READING_MODULES]
    + [sql_path("raw_events").read_bytes(), sql_path("schema").read_bytes()]
)).hexdigest()


def _partition_fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256(_RULES_VERSION.encode())
    for path in files:
        st = path.stat()
        h.update(f"\0{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _record_files(con: duckdb.DuckDBPyConnection, days: list[date], reports: dict[str, list[ingest.FileReport]],
                  scanned: set[str]) -> None:
    """One ingested_files row per file; a file in ``scanned`` was read straight into the tables: every row of
    it is either valid or quarantined."""
    by_file = {str(f): (int(valid), int(quarantined))
               for f, valid, quarantined in read_tuples(con, "rows_per_file", {"days": days})}
    file_rows = []
    for arrival_date, day_reports in reports.items():
        day = date.fromisoformat(arrival_date)
        for r in day_reports:
            valid, quarantined = by_file.get(r.source_file, (0, 0))
            if r.source_file in scanned:
                r.rows = valid + quarantined
            if r.file_format == "parquet" and r.rows == 0 and r.finding is None:
                r.finding = "empty_file"  # a Parquet file with a schema and no rows, as an empty JSONL file
            file_rows.append((day, r.source_file, r.file_format, r.rows, valid, quarantined, r.finding, r.detail))
    if file_rows:
        reports_table = pa.Table.from_pylist(
            [dict(zip(_FILE_REPORT.names, row, strict=True)) for row in file_rows], schema=_FILE_REPORT)
        con.register("file_reports", reports_table)
        try:
            run_sql(con, "ingested_files")
        finally:
            con.unregister("file_reports")


#: The reader's report of one file, as sql/raw/ingested_files.sql reads it.
_FILE_REPORT = pa.schema([("arrival_date", pa.date32()), ("source_file", pa.string()), ("file_format", pa.string()),
                          ("rows_read", pa.int64()), ("rows_valid", pa.int64()), ("rows_quarantined", pa.int64()),
                          ("finding", pa.string()), ("detail", pa.string())])
