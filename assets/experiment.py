"""Experiment layer: the registry, each user's arm, each triggered attempt with its outcome, and what was not
analysed."""

from collections.abc import Iterator

import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, tables
from pipelines.engine import read_tuples, row_count
from pipelines.registry import load_registry
from pipelines.resources import NudgeConfig, Warehouse

REGISTRY = ["registry_experiments", "registry_variants"]


@dg.multi_asset(
    name="experiment_registry",
    specs=[
        dg.AssetSpec(
            "registry_experiments",
            description="The experiment registry (experiments.yml), validated: one row per experiment with its "
            "dates, control arm, trigger threshold, toxicity band edge and guardrail margin. Re-read on every "
            "materialisation.",
            kinds={"duckdb", "yaml"},
            group_name="experiment",
            automation_condition=ON_UPSTREAM_CHANGE,
        ),
        dg.AssetSpec(
            "registry_variants",
            description="The registry's arms: one row per (experiment, variant) with its planned traffic share.",
            kinds={"duckdb", "yaml"},
            group_name="experiment",
            automation_condition=ON_UPSTREAM_CHANGE,
        ),
    ],
    pool=POOL,
)
def experiment_registry(warehouse_db: Warehouse, paths: NudgeConfig) -> Iterator[dg.MaterializeResult]:
    experiments = load_registry(paths.registry)
    with warehouse_db.get_connection() as con:
        tables.write_registry(con, experiments)
    yield dg.MaterializeResult(asset_key="registry_experiments", metadata={
        "dagster/row_count": len(experiments),
        "experiments": dg.MetadataValue.md(markdown_table(
            ["experiment", "start", "end", "arms"],
            [(e.id, e.start, e.end, ", ".join(e.variants)) for e in experiments])),
    })
    yield dg.MaterializeResult(asset_key="registry_variants", metadata={
        "dagster/row_count": sum(len(e.variants) for e in experiments),
        "planned_split": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "planned share"],
            [(e.id, v, f"{share:.0%}") for e in experiments for v, share in e.variants.items()])),
    })


@dg.asset(
    deps=["events", *REGISTRY],
    description="Each user's arm per experiment: the first in-date assignment to a registered variant; users "
    "later assigned to another arm are flagged contaminated (and excluded downstream).",
    kinds={"duckdb"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def assignments(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "assignments")
        per_arm = read_tuples(con, "assignments_per_arm")
    contaminated = sum(int(c) for *_, c in per_arm)
    progress.step("assignments", f"{rows:,} assigned users, {contaminated:,} contaminated")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows, "contaminated_users": contaminated,
        "users_per_arm": dg.MetadataValue.md(markdown_table(
            ["experiment", "arm", "users", "contaminated"], [(e, v, int(n), int(c)) for e, v, n, c in per_arm])),
    })


@dg.asset(
    deps=["events", *REGISTRY],
    description="The draft-level part of every triggered attempt: the first nudge_triggered of each draft and "
    "its outcome — withdrawn, changed or posted_unchanged — from comment_posted within 60 minutes (never from "
    "nudge_response). After a nightly load only the drafts with events in the new arrival dates are computed "
    "again; everything when the registry changed or an older date was (re)loaded.",
    kinds={"duckdb"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def attempt_outcomes(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        mode = tables.update_attempt_outcomes(con)
        rows = row_count(con, "attempt_outcomes")
    progress.step("attempt_outcomes", f"{rows:,} attempts ({mode} update)")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "update": mode})


@dg.asset(
    deps=["attempt_outcomes", "assignments", "registry_experiments"],
    description="Every prompted (or, in control, would-have-been-prompted) attempt with its outcome and the "
    "user's arm. Attempts that cannot be analysed keep their row with the reason in `exclusion`.",
    kinds={"duckdb"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def triggered_attempts(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "triggered_attempts")
        per_arm = read_tuples(con, "outcomes_per_arm")
    progress.step("triggered_attempts", f"{rows:,} attempts")
    outcomes: dict[str, int] = {}
    by_arm: dict[tuple[str, str], dict[str, int]] = {}
    for exp_id, variant, outcome, n in per_arm:
        outcomes[outcome] = outcomes.get(outcome, 0) + int(n)
        by_arm.setdefault((exp_id, variant), {})[outcome] = int(n)
    kinds = sorted(outcomes)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "outcomes": dg.MetadataValue.json(outcomes),
                  "outcomes_per_arm": dg.MetadataValue.md(markdown_table(
                      ["experiment", "arm", *kinds], [(e, v, *(c.get(k, 0) for k in kinds))
                                                      for (e, v), c in by_arm.items()]))}
    )


@dg.asset(
    deps=["events", *REGISTRY, "assignments", "triggered_attempts"],
    description="Events kept but not analysed for an experiment, and why, per arrival date: unknown experiment "
    "or variant, outside the experiment's dates, triggers without an assignment or naming another arm, "
    "attempts without a draft, contaminated users.",
    kinds={"duckdb"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def experiment_findings(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = tables.rebuild(con, "experiment_findings")
        by_reason = read_tuples(con, "experiment_findings_by_reason")
    progress.step("experiment_findings", ", ".join(f"{r} {int(n):,}" for r, n in by_reason) or "none")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows,
        "by_reason": dg.MetadataValue.md(
            markdown_table(["reason", "count"], [(r, int(n)) for r, n in by_reason]) if by_reason else "none"),
    })
