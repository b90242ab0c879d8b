"""Experiment layer: the registry, each user's arm, and each triggered attempt with its outcome."""


import dagster as dg

from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress, warehouse
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
        warehouse.write_registry(con, experiments)
    return dg.MaterializeResult(
        metadata={
            "experiments": dg.MetadataValue.md(
                "\n".join(f"- `{e.id}`: {e.start} – {e.end}, arms {', '.join(e.variants)}" for e in experiments)
            )
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
        rows = warehouse.rebuild(con, "assignments")
        contaminated = con.execute("SELECT count(*) FROM assignments WHERE contaminated").fetchall()[0][0]
    progress.step("assignments", f"{rows:,} assigned users, {contaminated:,} contaminated")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "contaminated_users": int(contaminated)})


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
        mode = warehouse.update_attempt_outcomes(con)
        rows = warehouse.rebuild(con, "triggered_attempts")
        outcomes = con.execute(
            "SELECT outcome, count(*) FROM triggered_attempts WHERE exclusion IS NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
        warehouse.rebuild(con, "experiment_findings")
    progress.step("triggered_attempts", f"{rows:,} attempts ({mode} update of the drafts' outcomes)")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "outcomes": dg.MetadataValue.json({k: int(v) for k, v in outcomes}),
                  "draft_outcomes_update": mode}
    )
