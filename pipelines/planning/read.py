"""The one database read of power planning: a past experiment's ``arm_statistics`` rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.planning.plan import PlanningError, PowerReport, plan_experiment


def read_arm_statistics(warehouse: Path, experiment_id: str | None = None
                        ) -> tuple[str, str, list[dict[str, Any]]]:
    """``(experiment_id, control arm, arm_statistics rows)`` of one experiment, ``segment_dim = 'all'``.

    Opens the DuckDB file read-only. Without ``experiment_id`` the warehouse must hold exactly one
    experiment. Raises :class:`PlanningError` with a one-line reason otherwise.
    """
    import duckdb

    from pipelines.engine import read, table_exists

    if not warehouse.is_file():
        raise PlanningError(f"warehouse not found: {warehouse}")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise PlanningError(f"cannot open warehouse {warehouse}: {str(exc).splitlines()[0]}") from None
    try:
        for table in ("arm_statistics", "registry_experiments"):
            if not table_exists(con, table):
                raise PlanningError(f"warehouse {warehouse} has no {table} table (run `nudge run` first)")
        known = [r["experiment_id"] for r in read(con, "planning_experiments")]
        if experiment_id is None:
            if len(known) != 1:
                listed = ", ".join(known) if known else "none"
                raise PlanningError(f"warehouse {warehouse} holds {len(known)} experiments ({listed}): "
                                    "choose one with --experiment")
            experiment_id = known[0]
        elif experiment_id not in known:
            raise PlanningError(f"experiment {experiment_id!r} not in {warehouse} "
                                f"(found: {', '.join(known) or 'none'})")
        params = {"e": experiment_id}
        control = read(con, "planning_control", params)
        if not control:
            raise PlanningError(f"experiment {experiment_id!r} is not in the warehouse's registry")
        rows = read(con, "planning_arm_statistics", params)
    except duckdb.Error as exc:
        raise PlanningError(f"cannot read warehouse {warehouse}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return experiment_id, str(control[0]["control"]), rows


def power_from_warehouse(warehouse: Path, experiment_id: str | None = None, **settings: Any) -> PowerReport:
    """:func:`plan_experiment` on the rows :func:`read_arm_statistics` reads."""
    exp_id, control, rows = read_arm_statistics(warehouse, experiment_id)
    return plan_experiment(rows, control, experiment_id=exp_id, **settings)

