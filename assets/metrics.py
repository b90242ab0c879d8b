"""Metric layer: per-user numerators and denominators, then per-arm sufficient statistics."""


import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, warehouse
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
        rows = warehouse.rebuild(con, "user_metrics")
        dates = con.execute(  # the analysed window of each experiment (the registry: a small table)
            "SELECT experiment_id, start_date::VARCHAR, end_date::VARCHAR FROM registry_experiments ORDER BY 1"
        ).fetchall()
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
        rows = warehouse.rebuild(con, "arm_statistics")
        warehouse.rebuild(con, "sample_ratio_counts")
        warehouse.rebuild(con, "daily_arm_statistics")
        headline = con.execute(  # arm_statistics is small: a few rows per (experiment, arm, segment, metric)
            "SELECT experiment_id, variant, n, d_sum, m_sum, m_sum / nullif(d_sum, 0) FROM arm_statistics "
            "WHERE metric = 'withdraw_or_change_rate' AND segment_dim = 'all' ORDER BY 1, 2").fetchall()
    progress.step("arm_statistics", f"{rows:,} rows")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "headline_inputs": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "prompted users", "attempts", "withdrawn or changed", "rate"],
            [(e, v, int(n), int(d), int(m), "–" if r is None else f"{r:.1%}") for e, v, n, d, m, r in headline])),
    })
