"""Where DuckDB spills to disk, and that no spill file outlives the process that wrote it.

Beyond its memory limit DuckDB writes evicted buffers to files in its ``temp_directory``. It removes them when it
closes, but a process killed with SIGKILL (or the machine going down) leaves them behind, and nothing removed
them later: whatever they held stayed on disk. Raw comment text never reaches DuckDB (pipelines/raw/ingest_jsonl.py
strips it first), so these files hold only what the tables hold; they are still the warehouse's data, kept next to
it and cleaned up as soon as it is safe: when a read-write connection holds the warehouse file (DuckDB admits one
writing process, so no other process can be using spill files of this warehouse then).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import duckdb

from pipelines.engine import read_tuples, run_sql

_log = logging.getLogger(__name__)
#: DuckDB's names for its spill files (``duckdb_temp_<pid>_<n>_storage_<size>-<n>.tmp``, ``…_owner``,
#: ``duckdb_temp_block-<id>.block``): only these are removed from the folder, whatever else it holds.
SPILL_PREFIX = "duckdb_temp_"
_PID_NAMED = re.compile(SPILL_PREFIX + r"\d+_")


def temp_directory(database_path: str) -> Path:
    """The spill folder of the warehouse file ``database_path``: ``<warehouse>.tmp`` beside it (DuckDB's own
    default, set explicitly so that no setting elsewhere sends spill files to another place)."""
    return Path(database_path + ".tmp")


def use_temp_directory(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Point ``con``'s spill files to :func:`temp_directory` of its database and, when ``con`` writes to it,
    remove the spill files a killed process left there. None for an in-memory database (nothing to clean)."""
    row = read_tuples(con, "database_file")
    if not row or not row[0][0]:
        return None
    path, readonly = str(row[0][0]), bool(row[0][1])
    folder = temp_directory(path)
    current = read_tuples(con, "temp_directory")[0][0]
    if Path(str(current)) != folder:
        # DuckDB refuses to move it once used; it is set here, before the first query that could spill
        run_sql(con, "set_temp_directory", {"folder": str(folder)})
    if not readonly:
        remove_stale_spill_files(con, folder)
    return folder


def remove_stale_spill_files(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Remove DuckDB's spill files that no live process uses from ``folder``; return the names removed.

    Called with the warehouse held for writing, so only this process can be using spill files there: those named
    with another process id are stale. So are those named without one (``duckdb_temp_block-…``) unless this
    database instance is spilling already (another connection of this process), when they may be its own.
    Files named with this process's id are kept, and files that are not DuckDB's are left alone.
    """
    if not folder.is_dir():
        return []
    spilling = read_tuples(con, "spilled_bytes")[0][0]
    ours = f"{SPILL_PREFIX}{os.getpid()}_"
    removed = []
    for entry in folder.iterdir():
        name = entry.name
        if not name.startswith(SPILL_PREFIX) or name.startswith(ours) or entry.is_dir():
            continue
        if spilling and not _PID_NAMED.match(name):
            continue
        entry.unlink(missing_ok=True)  # a symlink is removed itself, never what it points to
        removed.append(name)
    if removed:
        _log.info("removed %d spill file(s) a previous process left in %s", len(removed), folder)
    return removed
