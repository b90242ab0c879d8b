"""Results layer (results-v1): sample_ratio_checks, experiment_results, daily_results, segment_heterogeneity and
data_quality. Whether an experiment's results are withheld is decided once, by sql/**/withheld_experiments.sql
over sample_ratio_checks; experiment_results, daily_results and the reports follow it."""


import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import heterogeneity, progress, results, tables
from pipelines.engine import fetch_table, read_tuples, replace_table
from pipelines.registry import load_registry
from pipelines.resources import NudgeConfig, Warehouse


@dg.asset(
    deps=["sample_ratio_counts"],
    description="Sample-ratio mismatch: assigned users per arm against the registry's planned split "
    "(chi-square, fails at p < 0.001), per experiment overall (segment 'all') and per country and platform. "
    "A failure overall withholds that experiment's results: experiment_results and daily_results leave it "
    "out and its report is replaced by a red notice saying why. The other experiments are published as usual.",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
    check_specs=[
        # not blocking: one experiment's mismatch must not hold back the others (experiment_results and the
        # reports withhold the failing experiment themselves)
        dg.AssetCheckSpec("sample_ratio_matches_plan", asset="sample_ratio_checks",
                          description="Every experiment's arms have the planned sizes (p ≥ 0.001); a failing "
                          "experiment's results are withheld.")
    ],
)
def sample_ratio_checks(warehouse_db: Warehouse) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with warehouse_db.get_connection() as con:
        rows = results.sample_ratio_checks(fetch_table(con, "sample_ratio_counts"))
        replace_table(con, "sample_ratio_checks", results.SRM_TYPES, rows)
        withheld = tables.withheld_experiments(con)
    overall = [r for r in rows if r["segment_dim"] == "all"]
    progress.step("sample_ratio_checks", ", ".join(f"{r['experiment_id']} {'pass' if r['passed'] else 'FAIL'}"
                                                   for r in overall))
    table = dg.MetadataValue.md(srm_table(overall))
    yield dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "checks": table})
    yield dg.AssetCheckResult(
        check_name="sample_ratio_matches_plan", passed=not withheld,
        description="Sample-ratio mismatch in " + ", ".join(withheld) if withheld else None,
        metadata={"failing_experiments": dg.MetadataValue.json(withheld),
                  "observed_vs_planned": table, "threshold_p": 0.001,
                  "lowest_p_value": min((float(r["p_value"]) for r in overall if r["p_value"] == r["p_value"]),
                                        default=1.0)},
    )


def srm_table(overall: list[dict]) -> str:
    """Per experiment and arm: users assigned, observed share against the planned one, and the experiment's
    chi-square p-value (the check fails at p < 0.001)."""
    rows = []
    for r in overall:
        observed: dict[str, int] = json.loads(r["assigned_users"])
        planned: dict[str, float] = json.loads(r["planned_split"])
        total = max(sum(observed.values()), 1)
        for arm, users in observed.items():
            rows.append((r["experiment_id"], arm, users, f"{users / total:.2%}", f"{planned.get(arm, 0.0):.2%}",
                         f"{r['p_value']:.3g}", r["passed"]))
    return markdown_table(["experiment", "arm", "users", "observed", "planned", "p", "passed"], rows)


@dg.asset(
    deps=["arm_statistics", "registry_experiments", "registry_variants", "sample_ratio_checks"],
    description="One row per (experiment, metric, segment, treatment arm): per-arm values, the effect with "
    "its 95 % fixed-horizon and always-valid intervals, p-values raw and adjusted, Bayesian chance to beat "
    "control, and the decision (results-v1); each arm's verdict on its headline row. Withheld experiments "
    "(sample-ratio mismatch) are left out.",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
    check_specs=[
        dg.AssetCheckSpec("results_are_complete_and_consistent", asset="experiment_results",
                          description="Every treatment arm of every experiment has the headline result, and "
                          "p_value_adjusted ≥ p_value everywhere."),
    ],
)
def experiment_results(
    warehouse_db: Warehouse, paths: NudgeConfig
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with warehouse_db.get_connection() as con:
        withheld = set(tables.withheld_experiments(con))
        experiments = [e for e in load_registry(paths.registry) if e.id not in withheld]
        rows = results.experiment_results(fetch_table(con, "arm_statistics"), experiments)
        replace_table(con, "experiment_results", results.RESULT_TYPES, rows)
    headline = [r for r in rows if r["metric"] == "withdraw_or_change_rate" and r["segment_dim"] == "all"]
    progress.step("experiment_results", f"{len(rows):,} results")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "headline": dg.MetadataValue.md(headline_markdown(headline)),
            "withheld_experiments": dg.MetadataValue.json(sorted(withheld)),
            "report_index": dg.MetadataValue.path(str(Path(paths.reports_dir) / "index.html")),
        }
    )
    expected = {(e.id, v) for e in experiments for v in e.treatments}
    missing = sorted(expected - {(r["experiment_id"], r["variant"]) for r in headline})
    inconsistent = sum(
        1 for r in rows
        if r["p_value"] is not None and r["p_value_adjusted"] is not None and r["p_value_adjusted"] < r["p_value"]
    )
    yield dg.AssetCheckResult(
        check_name="results_are_complete_and_consistent", passed=not missing and inconsistent == 0,
        metadata={"arms_without_headline": dg.MetadataValue.json([list(m) for m in missing]),
                  "adjusted_below_raw": inconsistent, "arms_expected": len(expected)},
    )


@dg.asset(
    deps=["daily_arm_statistics", "registry_experiments", "registry_variants", "sample_ratio_checks"],
    description="The headline effect per (experiment, treatment arm) as it stood after each experiment day, with "
    "its fixed-horizon interval (valid for one look) and the always-valid interval (valid at every look). "
    "Withheld experiments (sample-ratio mismatch) are left out.",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def daily_results(warehouse_db: Warehouse, paths: NudgeConfig) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        withheld = set(tables.withheld_experiments(con))
        experiments = [e for e in load_registry(paths.registry) if e.id not in withheld]
        rows = results.daily_results(fetch_table(con, "daily_arm_statistics"), experiments)
        replace_table(con, "daily_results", results.DAILY_TYPES, rows)
    progress.step("daily_results", f"{len(rows):,} daily looks")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows),
                                          "withheld_experiments": dg.MetadataValue.json(sorted(withheld))})


@dg.asset(
    deps=["experiment_results"],
    description="Does the effect differ between segments? One row per (experiment, metric, segment dimension, "
    "treatment arm): Cochran's Q over the segments' effects in experiment_results (only segments with a "
    "normal-approximation estimate), its degrees of freedom, p-value and Holm-adjusted p-value over all rows of "
    "the experiment (results-v1 §3).",
    kinds={"duckdb", "python"},
    group_name="results",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def segment_heterogeneity(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = heterogeneity.segment_heterogeneity(fetch_table(con, "experiment_results"))
        replace_table(con, "segment_heterogeneity", heterogeneity.HETEROGENEITY_TYPES, rows)
    differ = [r for r in rows if r["p_value_adjusted"] is not None and r["p_value_adjusted"] < results.ALPHA]
    progress.step("segment_heterogeneity", f"{len(rows):,} tests, {len(differ)} showing a difference")
    table = "| experiment | metric | segments | arm | Q (df) | p (adj.) |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {r['experiment_id']} | {r['metric']} | {r['segment_dim']} | {r['variant']} | "
        f"{r['statistic']:.1f} ({r['df']}) | {r['p_value_adjusted']:.3g} |" for r in differ)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "differences": dg.MetadataValue.md(table)})


def headline_markdown(headline: list[dict]) -> str:
    lines = [
        "| experiment | arm | control | arm value | diff (95 % CI) | p (adj.) | decision | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in headline:
        lines.append(
            f"| {r['experiment_id']} | {r['variant']} | {r['value_control']:.1%} | {r['value_variant']:.1%} | "
            f"{r['diff'] * 100:+.1f} pp ({r['diff_ci_low'] * 100:+.1f} to {r['diff_ci_high'] * 100:+.1f}) | "
            f"{r['p_value_adjusted']:.3g} | {r['decision']} | {r.get('verdict') or '–'} |"
        )
    return "\n".join(lines)


@dg.asset(
    deps=["raw_events", "quarantined_events", "ingested_files", "events", "delivery_findings", "experiment_findings"],
    description="Counts of every kind of bad or suspicious input per arrival date and reason: quarantined "
    "rows and files, duplicates, late events, scrubbed raw text, contamination and trigger findings.",
    kinds={"duckdb"},
    group_name="results",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def data_quality(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "data_quality")
        totals = read_tuples(con, "data_quality_by_reason")
    progress.step("data_quality", ", ".join(f"{k} {int(v):,}" for k, v in totals) or "clean")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "by_reason": dg.MetadataValue.md(markdown_table(["reason", "count"], [(k, int(v)) for k, v in totals])),
        }
    )
