"""Experiment layer: the registry, each user's arm, and each triggered attempt with its outcome."""


import dagster as dg

from assets.metadata import markdown_table
from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, tables
from pipelines.engine import read_tuples
from pipelines.registry import load_registry
from pipelines.resources import NudgeConfig, Warehouse


@dg.asset(
    description="The experiment registry (experiments.yml), validated, as tables registry_experiments and "
    "registry_variants. Re-read on every materialisation.",
    kinds={"duckdb", "yaml"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def experiment_registry(warehouse_db: Warehouse, paths: NudgeConfig) -> dg.MaterializeResult:
    experiments = load_registry(paths.registry)
    with warehouse_db.get_connection() as con:
        tables.write_registry(con, experiments)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(experiments),
            "experiments": dg.MetadataValue.md(markdown_table(
                ["experiment", "start", "end", "arms"],
                [(e.id, e.start, e.end, ", ".join(e.variants)) for e in experiments])),
        }
    )


@dg.asset(
    deps=["events", "experiment_registry"],
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
    deps=["events", "assignments"],
    description="The first nudge_triggered of every draft and its outcome — withdrawn, changed or "
    "posted_unchanged — from comment_posted within 60 minutes (never from nudge_response). Attempts that "
    "cannot be analysed keep their row with the reason in `exclusion`.",
    kinds={"duckdb"},
    group_name="experiment",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def triggered_attempts(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        mode = tables.update_attempt_outcomes(con)
        rows = tables.rebuild(con, "triggered_attempts")
        per_arm = read_tuples(con, "outcomes_per_arm")
        tables.rebuild(con, "experiment_findings")
    progress.step("triggered_attempts", f"{rows:,} attempts ({mode} update of the drafts' outcomes)")
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
                                                      for (e, v), c in by_arm.items()])),
                  "draft_outcomes_update": mode}
    )
