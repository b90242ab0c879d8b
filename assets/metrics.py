"""Metric layer: per-user numerators and denominators, then per-arm sufficient statistics (overall and by
segment, as of each experiment day, and the assigned users per arm for the sample-ratio check)."""


import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, tables
from pipelines.engine import read_tuples
from pipelines.resources import Warehouse


@dg.asset(
    deps=["triggered_attempts", "assignments", "events", "registry_experiments"],
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
    deps=["user_metrics", "registry_experiments"],
    description="Per (experiment, arm, segment, metric): n, sums, sums of squares and cross-products of the "
    "per-user values — with daily_arm_statistics and sample_ratio_counts, the only data that leaves SQL.",
    kinds={"duckdb"},
    group_name="metrics",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def arm_statistics(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "arm_statistics")
        headline = read_tuples(con, "headline_inputs")
    progress.step("arm_statistics", f"{rows:,} rows")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "headline_inputs": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "prompted users", "attempts", "withdrawn or changed", "rate"],
            [(e, v, int(n), int(d), int(m), "–" if r is None else f"{r:.1%}") for e, v, n, d, m, r in headline])),
    })


@dg.asset(
    deps=["triggered_attempts", "registry_experiments"],
    description="The headline metric's sufficient statistics per (experiment, arm) as they stood at the end of each "
    "experiment day (cumulative, by trigger time): the input of the effect-over-time chart and its always-valid "
    "intervals.",
    kinds={"duckdb"},
    group_name="metrics",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def daily_arm_statistics(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "daily_arm_statistics")
    progress.step("daily_arm_statistics", f"{rows:,} rows")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(
    deps=["assignments", "registry_variants"],
    description="Assigned users per (experiment, arm, segment) with the planned share: the input of the "
    "sample-ratio check (contaminated users included under their first arm: the check is about the "
    "assignment mechanism).",
    kinds={"duckdb"},
    group_name="metrics",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def sample_ratio_counts(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "sample_ratio_counts")
        overall = read_tuples(con, "assigned_users_per_arm")
    progress.step("sample_ratio_counts", f"{rows:,} rows")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "assigned_users": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "users", "planned share"],
            [(e, v, int(n), f"{share:.0%}") for e, v, n, share in overall])),
    })
