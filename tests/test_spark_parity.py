"""Parity, first steps (issue 19): translated sql/ files run on a local Spark session over the very input rows
the DuckDB run read, and give DuckDB's rows. The inputs are the tables of a DuckDB warehouse after a whole run
on a small simulated (dirty) log; each file's query runs on Spark against them, its rows against the table DuckDB
wrote. Also: every statement of every file without findings parses in Spark.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlglot
from sqlglot import exp

from pipelines.cli import run
from pipelines.engine import analysis_files
from pipelines.resources import Settings
from pipelines.simulate import simulate
from pipelines.spark.translate import translate
from pipelines.tables import PARAMETERS, run_file
from tests.test_metrics import awkward_thresholds, band_label_inputs
from tests.test_spark_translate import PENDING, _substitutions

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
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("parity")
    simulate(root / "sim", users=400, days=14, seed=5, fmt="jsonl")  # type: ignore[arg-type]
    settings = Settings(root / "sim" / "events", root / "sim" / "experiments.yml", root / "w.duckdb",
                        root / "reports")
    run(settings)
    return duckdb.connect(str(settings.warehouse), read_only=True)


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
    parser = spark._jsparkSession.sessionState().sqlParser()
    names = sorted(p.stem for p in analysis_files())
    for name in names:
        if name in PENDING:
            continue
        for statement in translate(name, **_substitutions(name)).statements:
            parser.parsePlan(statement)  # raises ParseException on anything Spark's grammar does not know


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
    want = _rows(duckdb_rows)
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
