"""Parity, first steps (issue 19): translated sql/ files run on a local Spark session over the very input rows
the DuckDB run read, and give DuckDB's rows. The inputs are the tables of a DuckDB warehouse after a whole run
on a small simulated (dirty) log; each file's query runs on Spark against them, its rows against the table DuckDB
wrote. Also: every statement of every file without findings parses in Spark.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlglot
from sqlglot import exp

from pipelines.cli import run
from pipelines.engine import analysis_files
from pipelines.raw import ingest
from pipelines.raw.warehouse import EVENT_COLUMNS, ensure_schema
from pipelines.resources import Settings
from pipelines.simulate import simulate
from pipelines.spark.translate import translate
from pipelines.tables import PARAMETERS, run_file
from tests.test_metrics import awkward_thresholds, band_label_inputs
from tests.test_spark_translate import PENDING, _substitutions
from tests.test_timestamp_text import awkward_timestamps, candidates_with_timestamps, checked

#: Files whose query runs on Spark here, each with the tables it reads (in the order the graph builds them).
PARITY: dict[str, tuple[str, ...]] = {
    "assignments": ("events", "registry_experiments", "registry_variants"),
    "attempt_outcomes": ("events", "registry_experiments", "registry_variants"),
    "triggered_attempts": ("attempt_outcomes", "registry_experiments", "assignments"),
    "experiment_findings": ("events", "registry_experiments", "registry_variants", "assignments",
                            "triggered_attempts"),
    "user_metrics": ("assignments", "registry_experiments", "events", "triggered_attempts"),
    "sample_ratio_counts": ("registry_variants", "assignments"),
    "daily_arm_statistics": ("triggered_attempts", "registry_experiments"),
    "arm_statistics": ("user_metrics", "registry_experiments"),
}
#: Files whose DOUBLE columns must equal DuckDB's to the last bit: sums of exact DECIMALs, converted once.
EXACT = frozenset({"arm_statistics"})


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A whole DuckDB run on a small simulated dirty log (JSONL, a damaged gzip among the files)."""
    root = tmp_path_factory.mktemp("parity")
    simulate(root / "sim", users=400, days=14, seed=5, fmt="jsonl")  # type: ignore[arg-type]
    settings = Settings(root / "sim" / "events", root / "sim" / "experiments.yml", root / "w.duckdb",
                        root / "reports")
    run(settings)
    return settings


@pytest.fixture(scope="module")
def warehouse(simulated_run: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(simulated_run.warehouse), read_only=True)


def _utc(table: pa.Table) -> pa.Table:
    """Naive timestamps (DuckDB's TIMESTAMP: UTC wall clock) as UTC instants: Spark's TIMESTAMP."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is None:
            table = table.set_column(i, field.name, pc.assume_timezone(table.column(i), "UTC"))
    return table


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, Decimal):
        return float(v)
    return v


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [{k: _value(v) for k, v in row.items()} for row in table.to_pylist()]


def _same(a: Any, b: Any, exact: bool = False) -> bool:
    if exact:
        return bool(a == b) and type(a) is type(b)
    if isinstance(a, float) and isinstance(b, float | int) or isinstance(b, float) and isinstance(a, int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _query(name: str) -> str:
    """The SELECT of the file's one CREATE TABLE … AS statement, in Spark SQL."""
    [statement] = translate(name, **_substitutions(name)).statements
    create = sqlglot.parse_one(statement, read="spark")
    assert isinstance(create, exp.Create) and isinstance(create.expression, exp.Query), statement
    return create.expression.sql(dialect="spark")


def test_every_translated_statement_without_findings_parses_in_spark(spark: Any) -> None:
    """Every statement parses, and every function it calls is one Spark has: SQLGlot writes a function it cannot
    translate by its DuckDB name, and Spark's parser takes any name (regexp_full_match parsed; so did range(…)
    AS t(k) in FROM, written as a call of a function _u)."""
    parser = spark._jsparkSession.sessionState().sqlParser()
    names = sorted(p.stem for p in analysis_files())
    missing: dict[str, set[str]] = {}
    known: dict[str, bool] = {"TRY_CAST": True}  # syntax, not a function of the catalogue
    for name in names:
        if name in PENDING:
            continue
        for statement in translate(name, **_substitutions(name)).statements:
            parser.parsePlan(statement)  # raises ParseException on anything Spark's grammar does not know
            for node in sqlglot.parse_one(statement, read="spark").find_all(exp.Func):
                called = re.match(r"(\w+)\(", node.sql(dialect="spark"))
                if called and not known.setdefault(called[1], spark.catalog.functionExists(called[1])):
                    missing.setdefault(name, set()).add(called[1])
    assert len(known) > 30 and missing == {}


@pytest.mark.parametrize("name", list(PARITY))
def test_file_on_spark_gives_duckdbs_rows(name: str, spark: Any, warehouse: duckdb.DuckDBPyConnection) -> None:
    inputs = {table: warehouse.sql(f"SELECT * FROM {table}").to_arrow_table() for table in PARITY[name]}
    _assert_same_rows(name, spark, inputs, warehouse.sql(f"SELECT * FROM {name}").to_arrow_table())


def test_arm_statistics_on_spark_round_like_duckdb(spark: Any, warehouse: duckdb.DuckDBPyConnection) -> None:
    """arm_statistics over registries whose thresholds are hard to round (tests/test_metrics.py) and exposures
    whose cast to DECIMAL(18, 6) rounds differently on Spark: every row, band labels and exact sums included,
    as DuckDB computes it."""
    inputs = band_label_inputs(warehouse, awkward_thresholds())
    users = inputs["user_metrics"]
    awkward = [33.1653975, 32.8675065, 64.8856345, 73.1652745, 0.5000005, 2.5e-7]  # x * 10^6 ends near a half
    exposures = pa.array([awkward[i % len(awkward)] for i in range(users.num_rows)], pa.float64())
    inputs["user_metrics"] = users.set_column(users.schema.get_field_index("exposure_d0_1"), "exposure_d0_1",
                                              exposures)
    con = duckdb.connect()
    for table, rows in inputs.items():
        con.register(f"{table}_in", rows)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_in")
    run_file(con, "arm_statistics")
    _assert_same_rows("arm_statistics", spark, inputs, con.sql("SELECT * FROM arm_statistics").to_arrow_table())


def _assert_same_rows(name: str, spark: Any, inputs: dict[str, pa.Table], duckdb_rows: pa.Table) -> None:
    """The query of ``name`` on Spark over ``inputs`` gives ``duckdb_rows``, every row."""
    for table, rows in inputs.items():
        spark.createDataFrame(_utc(rows)).createOrReplaceTempView(table)
    got = _rows(spark.sql(_query(name), args=PARAMETERS.get(name, {})).toArrow())
    _assert_same(name, got, _rows(duckdb_rows))


def _assert_same(name: str, got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert want, f"{name}: the simulated log gives no rows to compare"
    columns = list(want[0])
    assert got, f"{name}: no rows on Spark, {len(want)} in DuckDB"
    assert sorted(got[0]) == sorted(columns), f"{name}: columns {sorted(got[0])} on Spark, {sorted(columns)}"

    def key(row: dict[str, Any]) -> str:
        return repr([str(row[c]) if not isinstance(row[c], float) else round(row[c], 6) for c in columns])

    got_sorted, want_sorted = sorted(got, key=key), sorted(want, key=key)
    assert len(got_sorted) == len(want_sorted), f"{name}: {len(got_sorted)} rows on Spark, {len(want_sorted)}"
    for g, w in zip(got_sorted, want_sorted, strict=True):
        differ = {c: (g[c], w[c]) for c in columns if not _same(g[c], w[c], exact=name in EXACT)}
        assert not differ, f"{name}: Spark vs DuckDB {differ} in {w}"


# --- the raw layer's checks: sql/raw/raw_events.sql ----------------------------------------------------------


def _staged_candidates(events_root: Path) -> pa.Table:
    """The candidate rows the project's reader stages from every file of the log (pipelines/raw/ingest.py), as
    the DuckDB run staged them before sql/raw/raw_events.sql checked them (a run keeps only what they became)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ingest.create_candidates_table(con)
    for day in ingest.arrival_dates(events_root):
        for path in ingest.partition_files(events_root, day):
            ingest.stage_file(con, path, f"dt={day}/{path.name}", date.fromisoformat(day))
    return con.sql("SELECT * FROM candidates").to_arrow_table()


def _run_on_spark(spark: Any, name: str, substitutions: dict[str, str], candidates: pa.Table
                  ) -> dict[str, list[dict[str, Any]]]:
    """Every statement of the file on Spark over ``candidates`` as an engine would run it, and the rows each
    INSERT would add, by table: a view is created as it stands, a temp table as a view of its query (nothing it
    reads changes before its last use in these files). The candidates are cached: the checks read them thrice."""
    frame = spark.createDataFrame(_utc(candidates)).cache()
    frame.createOrReplaceTempView("candidates")
    translation = translate(name, **substitutions)
    inserted: dict[str, list[dict[str, Any]]] = {}
    try:
        for statement in translation.statements:
            tree = sqlglot.parse_one(statement, read="spark")
            if isinstance(tree, exp.Create) and tree.kind == "VIEW":
                spark.sql(statement)
            elif isinstance(tree, exp.Create) and tree.this.name in translation.temp_tables:
                spark.sql(tree.expression.sql(dialect="spark")).createOrReplaceTempView(tree.this.name)
            elif isinstance(tree, exp.Insert):
                inserted[tree.this.name] = _rows(spark.sql(tree.expression.sql(dialect="spark")).toArrow())
            else:
                raise AssertionError(f"{name}: no way here to run {statement[:100]}")
    finally:
        frame.unpersist()
    return inserted


_RAW_EVENTS = {**_substitutions("raw_events")}
_QUARANTINED = "arrival_date, source_file, line_no, reason, field, detail, event_id, event_type, has_text"


def test_raw_events_on_spark_gives_duckdbs_rows(spark: Any, simulated_run: Settings,
                                                warehouse: duckdb.DuckDBPyConnection) -> None:
    """The checks of every line of the dirty log (staged by the project's reader) on Spark: the valid events
    and the quarantined lines (reason, field, detail, line number) the DuckDB run wrote."""
    got = _run_on_spark(spark, "raw_events", _RAW_EVENTS, _staged_candidates(simulated_run.events_root))
    valid = warehouse.sql(f"SELECT arrival_date, source_file, line_no, has_text, {EVENT_COLUMNS} FROM raw_events")
    quarantined = warehouse.sql(f"SELECT {_QUARANTINED} FROM quarantined_events WHERE line_no IS NOT NULL")
    _assert_same("raw_events", got["raw_events"], _rows(valid.to_arrow_table()))
    _assert_same("raw_events (quarantined)", got["quarantined_events"], _rows(quarantined.to_arrow_table()))
    assert {r["reason"] for r in got["quarantined_events"]} >= {"bad_timestamp", "implausible_timestamp",
                                                                "not_json", "truncated_line", "invalid_value"}


def test_awkward_timestamps_on_spark_read_as_on_duckdb(spark: Any) -> None:
    """Every string of tests/test_timestamp_text.py as event_ts, arriving on 2024-03-01: the same valid events
    and the same quarantine rows, the event dates of the implausible ones (years 0 and 10000 among them) written
    alike."""
    candidates = candidates_with_timestamps(awkward_timestamps(), date(2024, 3, 1))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ensure_schema(con)
    con.register("candidates", candidates)
    checked(con)
    got = _run_on_spark(spark, "raw_events", _RAW_EVENTS, candidates)
    valid = con.sql(f"SELECT arrival_date, source_file, line_no, has_text, {EVENT_COLUMNS} FROM raw_events")
    quarantined = con.sql(f"SELECT {_QUARANTINED} FROM quarantined_events")
    _assert_same("raw_events", got["raw_events"], _rows(valid.to_arrow_table()))
    _assert_same("raw_events (quarantined)", got["quarantined_events"], _rows(quarantined.to_arrow_table()))
    details = {r["detail"] for r in got["quarantined_events"]}
    assert {"event date 0001-01-01 (BC)", "event date 10000-01-01"} <= details
