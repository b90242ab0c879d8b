"""Issue 14, the JSONL path: raw text kept from DuckDB (and its spill files), nesting that crashed the run, gzip
bombs, CR line endings and the scrubbed-text count. Each test fails without its fix."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines import spill, warehouse

CANARY = "CANARY-JSONL-7c41e"


# --- defect 1: DuckDB's spill folder ----------------------------------------------------------------------


def test_spill_files_a_killed_run_left_are_removed_when_the_warehouse_is_opened_for_writing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    folder = tmp_path / "w.duckdb.tmp"
    folder.mkdir()
    stale = [folder / "duckdb_temp_4194304_0_storage_DEFAULT-0.tmp", folder / "duckdb_temp_4194304_0_owner",
             folder / "duckdb_temp_block-4611686018427388032.block"]
    for path in stale:
        path.write_bytes(CANARY.encode())
    (folder / "notes.txt").write_text("not DuckDB's")
    reader = duckdb.connect(str(db), read_only=True)
    warehouse.configure(reader)  # a reader does not hold the warehouse: a writer may be spilling
    reader.close()
    assert all(p.exists() for p in stale)
    con = duckdb.connect(str(db))
    warehouse.configure(con)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [(str(folder),)]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_spill_files_in_use_by_this_process_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    warehouse.configure(con, memory_limit="20MB")
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE TEMP TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(2000000)")
    in_use = con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchall()[0][0]
    assert in_use > 0
    ours = f"duckdb_temp_{os.getpid()}_"
    assert spill.remove_stale_spill_files(con, spill.temp_directory(str(db))) == []
    assert all(p.name.startswith(ours) for p in spill.temp_directory(str(db)).iterdir())
    assert con.execute("SELECT count(*), sum(length(s)) FROM big").fetchall() == [(2_000_000, 64_000_000)]
