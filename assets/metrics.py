"""Metric layer: per-user numerators and denominators, then per-arm sufficient statistics."""


import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, tables
from pipelines.engine import read_tuples
from pipelines.resources import Warehouse


@dg.asset(
    deps=["triggered_attempts", "assignments"],
    description="One row per (experiment, analysed user): attempts by outcome, posts, toxic posts, reports, "
    "removals, pre-period covariates (CUPED) and the user's country and platform.",
    kinds={"duckdb"},
    group_name="metrics",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def user_metrics(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "user_metrics")
        dates = read_tuples(con, "experiment_dates")
    progress.step("user_metrics", f"{rows:,} users")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "experiment_dates": dg.MetadataValue.md(markdown_table(["experiment", "from", "to"], dates)),
    })


@dg.asset(
    deps=["user_metrics"],
    description="Per (experiment, arm, segment, metric): n, sums, sums of squares and cross-products of the "
    "per-user values — the only data that leaves SQL — and the assigned users per arm for the sample-ratio "
    "check (sample_ratio_counts), and the headline metric's statistics as of each experiment day "
    "(daily_arm_statistics).",
    kinds={"duckdb"},
    group_name="metrics",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def arm_statistics(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "arm_statistics")
        tables.rebuild(con, "sample_ratio_counts")
        tables.rebuild(con, "daily_arm_statistics")
        headline = read_tuples(con, "headline_inputs")
    progress.step("arm_statistics", f"{rows:,} rows")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "headline_inputs": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "prompted users", "attempts", "withdrawn or changed", "rate"],
            [(e, v, int(n), int(d), int(m), "–" if r is None else f"{r:.1%}") for e, v, n, d, m, r in headline])),
    })
