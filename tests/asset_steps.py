"""The warehouse steps of the asset graph, run in the graph's order on one connection without Dagster, and a
table-by-table comparison of two warehouses: what the tests of the incremental path (tests/test_incremental.py,
tests/test_incremental_orders.py) need to play nights of loads and to check the result against one full rebuild.

Each step calls what its asset in assets/ calls, so that a step made incremental there is incremental here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines import heterogeneity, results, tables
from pipelines.engine import fetch_table, replace_table
from pipelines.raw import warehouse
from pipelines.registry import load_registry

T = TypeVar("T")


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse as the Dagster resource opens it: configured, its schema created."""
    con = duckdb.connect(str(path))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    return con


def _registry(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
    tables.write_registry(con, load_registry(registry))
    return "full"


def _sample_ratio_checks(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
    replace_table(con, "sample_ratio_checks", results.SRM_TYPES,
                  results.sample_ratio_checks(fetch_table(con, "sample_ratio_counts")))
    return "full"


def _experiment_results(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
    withheld = set(tables.withheld_experiments(con))
    experiments = [e for e in load_registry(registry) if e.id not in withheld]
    replace_table(con, "experiment_results", results.RESULT_TYPES,
                  results.experiment_results(fetch_table(con, "arm_statistics"), experiments))
    return "full"


def _daily_results(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
    withheld = set(tables.withheld_experiments(con))
    experiments = [e for e in load_registry(registry) if e.id not in withheld]
    replace_table(con, "daily_results", results.DAILY_TYPES,
                  results.daily_results(fetch_table(con, "daily_arm_statistics"), experiments))
    return "full"


def _segment_heterogeneity(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
    replace_table(con, "segment_heterogeneity", heterogeneity.HETEROGENEITY_TYPES,
                  heterogeneity.segment_heterogeneity(fetch_table(con, "experiment_results")))
    return "full"


def _rebuilt(name: str) -> Callable[[duckdb.DuckDBPyConnection, Path], str]:
    def step(con: duckdb.DuckDBPyConnection, registry: Path) -> str:
        tables.rebuild(con, name)
        return "full"
    return step


#: After raw_events: every asset that writes the warehouse with SQL, in an order the graph allows (assets/*.py),
#: by the name of its main table. Each step returns how its table was brought up to date ("full",
#: "incremental", "unchanged").
SQL_STEPS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], str]] = {
    "events": lambda con, registry: tables.resolve_duplicates(con)[1],
    "registry_experiments": _registry,
    "assignments": _rebuilt("assignments"),
    "attempt_outcomes": lambda con, registry: tables.update_attempt_outcomes(con),
    "triggered_attempts": _rebuilt("triggered_attempts"),
    "experiment_findings": _rebuilt("experiment_findings"),
    "data_quality": _rebuilt("data_quality"),
    "user_metrics": _rebuilt("user_metrics"),
    "arm_statistics": _rebuilt("arm_statistics"),
    "daily_arm_statistics": _rebuilt("daily_arm_statistics"),
    "sample_ratio_counts": _rebuilt("sample_ratio_counts"),
}
#: Then the results-v1 tables, computed in Python from the small per-arm tables alone (pipelines/results.py,
#: pipelines/heterogeneity.py). The reports (files, not tables) are left out.
RESULTS_STEPS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], str]] = {
    "sample_ratio_checks": _sample_ratio_checks,
    "experiment_results": _experiment_results,
    "daily_results": _daily_results,
    "segment_heterogeneity": _segment_heterogeneity,
}
STEPS = {**SQL_STEPS, **RESULTS_STEPS}


def analyse(con: duckdb.DuckDBPyConnection, registry: Path,
            steps: dict[str, Callable[[duckdb.DuckDBPyConnection, Path], str]] = STEPS,
            until: str | None = None) -> dict[str, str]:
    """Run ``steps`` in order, up to and including ``until`` (all of them when None); return each step's update
    mode."""
    modes = {}
    for name, step in steps.items():
        modes[name] = step(con, registry)
        if name == until:
            break
    return modes


#: The full versions of the steps that have an incremental path, in order: the files each step runs when it
#: decides everything again (pipelines/tables.py), with the parameters that make them do so, by step. A step that
#: gets an incremental path (per-user state by deltas, issue 18) belongs here with its full file.
FULL_VERSIONS: dict[str, list[tuple[str, dict[str, object]]]] = {
    "events": [("redelivered", {}), ("redeliveries", {"complete": True}), ("events", {}), ("delivery_findings", {})],
    "attempt_outcomes": [("attempt_outcomes", {})],
}


def recomputed_in_full(con: duckdb.DuckDBPyConnection, until: str | None = None) -> list[str]:
    """How the main tables and views (``events``: which copies are kept) would change if the steps with an
    incremental path (up to ``until``) decided everything again from the rows loaded now: one line per table
    that would, as :func:`differences` says it. Nothing is kept (a transaction, rolled back), so the warehouse
    goes on from its incremental state.

    Each table is first compared by its digest (row count and sum of row hashes), and only a table whose
    digest changes is copied, in a second pass, to show its rows."""
    names = sorted(main_tables(con, con.execute("SELECT current_database()").fetchall()[0][0]))
    before = _digests(con, names)
    changed = [name for name, digest in _in_full(con, until, lambda: _digests(con, names)).items()
               if digest != before[name]]
    if not changed:
        return []

    def compare() -> list[str]:
        found = []
        for name in changed:
            (more, more_rows), (less, less_rows) = (_extra_rows(con, f"main.{name}", f"temp.before_{name}"),
                                                    _extra_rows(con, f"temp.before_{name}", f"main.{name}"))
            found.append(f"{name}: {_rows(more, more_rows)} more in full, {_rows(less, less_rows)} only in the "
                         "incremental result")
        return found

    for name in changed:
        con.execute(f"CREATE OR REPLACE TEMP TABLE before_{name} AS SELECT * FROM main.{name}")
    return _in_full(con, until, compare)


def _in_full(con: duckdb.DuckDBPyConnection, until: str | None, then: Callable[[], T]) -> T:
    """``then()`` after the full versions of the steps up to ``until`` ran, in a transaction rolled back."""
    con.execute("BEGIN TRANSACTION")
    try:
        for step, files in FULL_VERSIONS.items():
            for file, params in files:
                tables.run_file(con, file, params)
            if step == until:
                break
        return then()
    finally:
        con.execute("ROLLBACK")


def _digests(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, tuple]:
    return {name: con.execute(f"SELECT count(*), sum(hash(r)::HUGEINT) FROM main.{name} r").fetchall()[0]
            for name in names}


def _extra_rows(con: duckdb.DuckDBPyConnection, a: str, b: str) -> tuple[int, str]:
    """How many rows ``a`` has that ``b`` has not (as multisets, by a hash of all columns), and a few of them."""
    rows = f"SELECT hash(r) AS h FROM {a} r EXCEPT ALL SELECT hash(r) FROM {b} r"
    n = con.execute(f"SELECT count(*) FROM ({rows})").fetchall()[0][0]
    if not n:
        return 0, ""
    sample = repr(con.execute(f"SELECT * FROM {a} r WHERE hash(r) IN (SELECT h FROM ({rows})) LIMIT 2").fetchall())
    return n, sample if len(sample) <= 500 else sample[:500] + "…"


def _rows(n: int, sample: str) -> str:
    return f"{n} rows (e.g. {sample})" if n else "0 rows"


def main_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    """The tables and views users read (schema main) of an attached or the open database ``catalog``."""
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = $c AND table_schema = 'main' "
        "AND table_type IN ('BASE TABLE', 'VIEW')", {"c": catalog}).fetchall()}


def differences(con: duckdb.DuckDBPyConnection, other: Path, names: set[str] | None = None) -> list[str]:
    """How the main tables of ``con`` differ from those of the warehouse file ``other`` as multisets of rows: one
    line per table that differs, with a few of its differing rows. ``names``: only these tables, each of which
    must exist in both; otherwise every table of either, and a table only one of them has is a difference too.

    Rows are compared by a hash of all their columns (EXCEPT ALL both ways): as exact as comparing the rows
    themselves but for a 64-bit collision, and a fraction of the time on the raw tables' wide rows."""
    con.execute("ATTACH $p AS other_db (READ_ONLY)", {"p": str(other)})
    try:
        here = main_tables(con, con.execute("SELECT current_database()").fetchall()[0][0])
        there = main_tables(con, "other_db")
        found = [f"{t}: only in {which}" for which, ts in (("this warehouse", here - there), (str(other), there - here))
                 for t in sorted(ts) if names is None or t in names]
        for table in sorted(names if names is not None else here & there):
            (mine, mine_rows), (theirs, their_rows) = (_extra_rows(con, table, f"other_db.{table}"),
                                                       _extra_rows(con, f"other_db.{table}", table))
            if mine or theirs:
                found.append(f"{table}: {_rows(mine, mine_rows)} only here, {_rows(theirs, their_rows)} only in "
                             "the other")
        return found
    finally:
        con.execute("DETACH other_db")
