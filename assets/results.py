"""Results layer (results-v1): experiment_results, sample_ratio_checks and data_quality."""


import dagster as dg

from assets.raw import POOL
from pipelines import progress, results, warehouse
from pipelines.registry import load_registry
from pipelines.resources import NudgePaths, Warehouse

RESULT_TYPES = {
    "experiment_id": "VARCHAR", "metric": "VARCHAR", "segment_dim": "VARCHAR", "segment_value": "VARCHAR",
    "variant": "VARCHAR", "control": "VARCHAR", "units_control": "BIGINT", "units_variant": "BIGINT",
    "value_control": "DOUBLE", "value_variant": "DOUBLE", "diff": "DOUBLE", "diff_ci_low": "DOUBLE",
    "diff_ci_high": "DOUBLE", "rel_diff": "DOUBLE", "p_value": "DOUBLE", "p_value_adjusted": "DOUBLE",
    "method": "VARCHAR", "seq_ci_low": "DOUBLE", "seq_ci_high": "DOUBLE", "rel_ci_low": "DOUBLE",
    "rel_ci_high": "DOUBLE", "se": "DOUBLE", "variance_reduction": "DOUBLE", "chance_to_beat_control": "DOUBLE",
    "expected_loss": "DOUBLE", "adjustment": "VARCHAR", "decision": "VARCHAR", "guardrail_status": "VARCHAR",
}
assert tuple(RESULT_TYPES) == results.RESULT_COLUMNS

SRM_TYPES = {
    "experiment_id": "VARCHAR", "segment_dim": "VARCHAR", "segment_value": "VARCHAR",
    "assigned_users": "VARCHAR", "planned_split": "VARCHAR", "total_users": "BIGINT", "chi_square": "DOUBLE",
    "degrees_of_freedom": "INTEGER", "p_value": "DOUBLE", "passed": "BOOLEAN",
}


@dg.asset(
    deps=["arm_statistics"],
    description="Sample-ratio mismatch: assigned users per arm against the registry's planned split "
    "(chi-square, fails at p < 0.001), per experiment overall (segment 'all') and per country and platform.",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
)
def sample_ratio_checks(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        counts = warehouse.fetch_dicts(con, "SELECT * FROM sample_ratio_counts")
        rows = results.sample_ratio_checks(counts)
        warehouse.replace_table(con, "sample_ratio_checks", SRM_TYPES, rows)
    overall = [r for r in rows if r["segment_dim"] == "all"]
    progress.step("sample_ratio_checks", ", ".join(f"{r['experiment_id']} {'pass' if r['passed'] else 'FAIL'}"
                                                   for r in overall))
    return dg.MaterializeResult(
        metadata={
            "checks": dg.MetadataValue.md(
                "| experiment | users | p | passed |\n|---|---|---|---|\n"
                + "\n".join(f"| {r['experiment_id']} | {r['assigned_users']} | {r['p_value']:.3g} | {r['passed']} |"
                            for r in overall)
            )
        }
    )


@dg.asset(
    deps=["arm_statistics", "experiment_registry"],
    description="One row per (experiment, metric, segment, treatment arm): per-arm values, the effect with "
    "its 95 % fixed-horizon and always-valid intervals, p-values raw and adjusted, Bayesian chance to beat "
    "control, and the decision (results-v1).",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
)
def experiment_results(warehouse_db: Warehouse, paths: NudgePaths) -> dg.MaterializeResult:
    experiments = load_registry(paths.registry)
    with warehouse_db.get_connection() as con:
        arm_rows = warehouse.fetch_dicts(con, "SELECT * FROM arm_statistics")
        rows = results.experiment_results(arm_rows, experiments)
        warehouse.replace_table(con, "experiment_results", RESULT_TYPES, rows)
    headline = [r for r in rows if r["metric"] == "withdraw_or_change_rate" and r["segment_dim"] == "all"]
    progress.step("experiment_results", f"{len(rows):,} results")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "headline": dg.MetadataValue.md(headline_markdown(headline)),
        }
    )


def headline_markdown(headline: list[dict]) -> str:
    lines = [
        "| experiment | arm | control | arm value | diff (95 % CI) | p (adj.) | decision |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in headline:
        lines.append(
            f"| {r['experiment_id']} | {r['variant']} | {r['value_control']:.1%} | {r['value_variant']:.1%} | "
            f"{r['diff'] * 100:+.1f} pp ({r['diff_ci_low'] * 100:+.1f} to {r['diff_ci_high'] * 100:+.1f}) | "
            f"{r['p_value_adjusted']:.3g} | {r['decision']} |"
        )
    return "\n".join(lines)


@dg.asset(
    deps=["raw_events", "quarantined_events", "events", "triggered_attempts"],
    description="Counts of every kind of bad or suspicious input per arrival date and reason: quarantined "
    "rows and files, duplicates, late events, scrubbed raw text, contamination and trigger findings.",
    kinds={"duckdb"},
    group_name="results",
    pool=POOL,
)
def data_quality(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = warehouse.rebuild(con, "data_quality")
        totals = con.execute("SELECT reason, sum(count) FROM data_quality GROUP BY 1 ORDER BY 1").fetchall()
    progress.step("data_quality", ", ".join(f"{k} {int(v):,}" for k, v in totals) or "clean")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "by_reason": dg.MetadataValue.md(
                "| reason | count |\n|---|---|\n" + "\n".join(f"| {k} | {int(v):,} |" for k, v in totals)
            ),
        }
    )
