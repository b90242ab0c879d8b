"""Power planning for the next experiment (``nudge power`` and ``notebooks/plan_next_experiment.ipynb``).

``plan``: the plans, computed from a past experiment's ``arm_statistics`` rows (pure; the formulas are those of
:mod:`pipelines.stats.power`); ``text``: the plain-text table; ``read``: the one database read;
``command``: the argparse wiring of ``nudge power`` (not imported here: :mod:`pipelines.cli` imports it).
"""

from pipelines.planning.plan import (
    HEADLINE,
    PLANNED_METRICS,
    TOXIC,
    PlanningError,
    PowerPlan,
    PowerReport,
    arm_rows_by_metric,
    attempt_share,
    cuped_variances,
    mde_at,
    plan_experiment,
    plan_metric,
    plans_as_records,
    power_at,
)
from pipelines.planning.read import power_from_warehouse, read_arm_statistics
from pipelines.planning.text import format_report, table_rows

__all__ = [
    "HEADLINE",
    "PLANNED_METRICS",
    "TOXIC",
    "PlanningError",
    "PowerPlan",
    "PowerReport",
    "arm_rows_by_metric",
    "attempt_share",
    "cuped_variances",
    "format_report",
    "mde_at",
    "plan_experiment",
    "plan_metric",
    "plans_as_records",
    "power_at",
    "power_from_warehouse",
    "read_arm_statistics",
    "table_rows",
]
