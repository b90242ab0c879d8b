"""Power planning: users per arm for the next experiment, from a past experiment's variances (`nudge power`).

For the two primary metrics — the headline ``withdraw_or_change_rate`` (an absolute difference in share,
e.g. 0.03 = 3 percentage points) and ``toxic_posts_per_user`` (a relative change, e.g. -0.10 = 10 % fewer,
turned into an absolute one with the control mean) — it answers two questions:

* how many users per arm the next experiment needs to detect that effect with the given power, by the
  textbook formula ``n = (z_{1-alpha/2} + z_{power})^2 (var_c + var_v) / delta^2``
  (:func:`pipelines.stats.users_per_arm`), equal arms, two-sided test;
* which effect the past experiment could detect with the users it actually had
  (:func:`pipelines.stats.minimum_detectable_effect`).

The per-user variances are those of the past experiment's control arm and each treatment arm, read from
``arm_statistics`` (``segment_dim = 'all'``) through :func:`pipelines.results.statistic`, so they are the
variances the analysis itself uses: the delta-method variance for the ratio metric, the plain or the
CUPED-adjusted variance for the mean (with :func:`pipelines.stats.cuped_theta`, the theta
:func:`pipelines.stats.compare` uses). Every formula is the statistics core's (:mod:`pipelines.stats.power`);
this module only picks the rows, variances and units.

**Users with attempts vs assigned users.** The headline is a ratio over triggered attempts whose unit is a
user *with at least one triggered attempt*; its per-user variance refers to those users. The number of
*assigned* users needed is that number divided by the share of assigned users who had at least one analysed
triggered attempt in the past experiment (pooled over all arms; the first prompt comes before any effect of
the arm can show). This assumes the next experiment runs as long, on a similar population.

Everything here works on plain dict rows (the columns of ``arm_statistics``), so notebooks can reuse it; the
text of ``nudge power`` is :mod:`pipelines.planning.text`, the one database read :mod:`pipelines.planning.read`,
the command's wiring :mod:`pipelines.planning.command`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pipelines.metrics import BY_ID
from pipelines.results import statistic
from pipelines.stats import (
    RatioStatistic,
    RegressionAdjustedStatistic,
    cuped_theta,
    minimum_detectable_effect,
    power_of_test,
    users_per_arm,
)

HEADLINE = "withdraw_or_change_rate"
TOXIC = "toxic_posts_per_user"
PLANNED_METRICS = (HEADLINE, TOXIC)

Row = Mapping[str, Any]
Method = Literal["delta_method", "welch", "cuped"]


class PlanningError(ValueError):
    """The inputs do not allow a plan (missing data, an unusable parameter); the message says why."""


@dataclass(frozen=True)
class PowerPlan:
    """One metric, one treatment arm of the past experiment: what the next experiment needs.

    Variances are per unit (``variance / n`` is the variance of an arm's mean); units are the metric's users
    (for the headline: users with >= 1 triggered attempt), assigned users the randomised ones.
    """

    metric: str  # catalogue id
    method: Method  # delta_method (ratio), welch (plain mean), cuped (mean adjusted by its pre-period covariate)
    variant: str  # the past treatment arm whose variance stands in for the next variant's
    control_value: float  # the metric in the past control arm
    mde: float  # absolute effect to detect (toxic_posts_per_user: relative MDE x control value)
    mde_relative: float  # mde / control_value (NaN when that is 0)
    variance_control: float
    variance_variant: float
    unit_share: float  # share of assigned users who are units of the metric (1 for per-assigned-user metrics)
    units_per_arm: int  # units needed per arm, by the textbook formula
    assigned_per_arm: int  # ceil(units_per_arm / unit_share)
    actual_units_control: int  # units the past experiment had
    actual_units_variant: int
    actual_mde: float  # smallest absolute effect the past experiment could detect with that power
    alpha: float  # two-sided, per comparison
    power: float

    @property
    def actual_mde_relative(self) -> float:
        """The past experiment's MDE relative to its control value (NaN when that is 0)."""
        return self.actual_mde / self.control_value if self.control_value else math.nan


@dataclass(frozen=True)
class PowerReport:
    """All plans for one past experiment, and the settings they were made with."""

    experiment_id: str
    control: str
    arms: int  # arms of the next experiment, control included
    alpha: float
    power: float
    attempt_share: float  # share of assigned users with >= 1 triggered attempt in the past experiment
    plans: tuple[PowerPlan, ...]

    def total_assigned(self, plan: PowerPlan) -> int:
        """Assigned users the next experiment needs in all its arms together for ``plan``."""
        return self.arms * plan.assigned_per_arm


# --- pure planning over rows ----------------------------------------------------------------------------


def arm_rows_by_metric(rows: Iterable[Row]) -> dict[str, dict[str, Row]]:
    """``{metric: {variant: row}}`` of the ``segment_dim = 'all'`` rows (other segments are ignored)."""
    out: dict[str, dict[str, Row]] = {}
    for r in rows:
        if r.get("segment_dim", "all") == "all":
            out.setdefault(r["metric"], {})[r["variant"]] = r
    return out


def attempt_share(rows: Iterable[Row]) -> float:
    """Share of assigned users with at least one analysed triggered attempt, pooled over all arms.

    Users behind the headline (``n`` of its rows: users with attempts >= 1) over users behind
    ``toxic_posts_per_user`` (``n`` of its rows: every analysed assigned user).
    """
    by_metric = arm_rows_by_metric(rows)
    with_attempts = sum(int(r["n"]) for r in by_metric.get(HEADLINE, {}).values())
    assigned = sum(int(r["n"]) for r in by_metric.get(TOXIC, {}).values())
    if assigned == 0 or with_attempts == 0:
        raise PlanningError("no assigned users with a triggered attempt: the headline's variance is unknown")
    return with_attempts / assigned


def cuped_variances(control: RegressionAdjustedStatistic, variant: RegressionAdjustedStatistic
                    ) -> tuple[float, float] | None:
    """Per-user variances of ``y - theta x`` in both arms, with the theta ``compare`` uses (:func:`cuped_theta`).

    None when the pre-period covariate carries no information (its pooled variance is 0 or undefined).
    """
    theta = cuped_theta(control, variant)
    if theta is None:
        return None
    return control.adjusted_variance(theta), variant.adjusted_variance(theta)


def plan_metric(metric_id: str, control_row: Row, variant_row: Row, *, mde: float, unit_share: float = 1.0,
                alpha: float = 0.05, power: float = 0.8, cuped: bool = False) -> PowerPlan:
    """The plan for one metric and one treatment arm; ``mde`` is absolute (in the metric's unit).

    ``unit_share`` converts the metric's units into assigned users (see the module docstring). With
    ``cuped`` the CUPED-adjusted variances are used (the metric must have a pre-period covariate).
    """
    if not (math.isfinite(mde) and mde != 0):
        raise PlanningError(f"the minimum detectable effect must be a non-zero number, got {mde}")
    if not 0 < unit_share <= 1:
        raise PlanningError(f"the share of assigned users behind {metric_id} must be in (0, 1], got {unit_share}")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise PlanningError(f"{name} must be between 0 and 1, got {value}")
    metric = BY_ID[metric_id]
    control, variant = statistic(metric, control_row), statistic(metric, variant_row)
    method: Method = "delta_method" if isinstance(control, RatioStatistic) else "welch"
    var_c, var_v = control.variance, variant.variance
    if cuped:
        if not isinstance(control, RegressionAdjustedStatistic) or not isinstance(
                variant, RegressionAdjustedStatistic):
            raise PlanningError(f"{metric_id} has no pre-period covariate: CUPED does not apply")
        adjusted = cuped_variances(control, variant)
        if adjusted is None:
            raise PlanningError(f"{metric_id}: the pre-period covariate has no variance, CUPED does not apply")
        var_c, var_v, method = adjusted[0], adjusted[1], "cuped"
    if not (math.isfinite(var_c) and math.isfinite(var_v)):
        raise PlanningError(f"{metric_id}: fewer than 2 users in arm {control_row['variant']!r} or "
                            f"{variant_row['variant']!r}, so its variance is unknown")
    units = users_per_arm(mde, var_c, var_v, alpha=alpha, power=power)
    control_value = control.mean
    return PowerPlan(
        metric=metric_id, method=method, variant=str(variant_row["variant"]), control_value=control_value,
        mde=mde, mde_relative=mde / control_value if control_value else math.nan,
        variance_control=var_c, variance_variant=var_v, unit_share=unit_share, units_per_arm=units,
        assigned_per_arm=math.ceil(units / unit_share - 1e-9),
        actual_units_control=control.unit_count, actual_units_variant=variant.unit_count,
        actual_mde=minimum_detectable_effect(control.unit_count, variant.unit_count, var_c, var_v,
                                             alpha=alpha, power=power),
        alpha=alpha, power=power,
    )


def plan_experiment(rows: Iterable[Row], control: str, *, experiment_id: str = "", mde_headline: float = 0.03,
                    mde_toxic: float = -0.10, alpha: float = 0.05, power: float = 0.8,
                    arms: int | None = None) -> PowerReport:
    """Plans for the headline (absolute ``mde_headline``) and ``toxic_posts_per_user`` (relative
    ``mde_toxic``; with CUPED too when the rows carry pre-period sums), one per treatment arm.

    ``rows`` are ``arm_statistics`` rows of one experiment; ``arms`` (control included) defaults to the
    number of arms the past experiment had.
    """
    rows = list(rows)
    by_metric = arm_rows_by_metric(rows)
    for metric_id in PLANNED_METRICS:
        if control not in by_metric.get(metric_id, {}):
            raise PlanningError(f"no {metric_id} statistics for the control arm {control!r}")
    if not (math.isfinite(mde_toxic) and -1 < mde_toxic != 0):
        raise PlanningError(f"--mde-toxic is a relative change such as -0.10, got {mde_toxic}")
    past_arms = set(by_metric[TOXIC])
    arms = len(past_arms) if arms is None else arms
    if arms < 2:
        raise PlanningError(f"an experiment needs at least 2 arms, got {arms}")
    share = attempt_share(rows)
    plans: list[PowerPlan] = []
    for variant in sorted(past_arms - {control}):
        head = by_metric[HEADLINE]
        if variant in head:
            plans.append(plan_metric(HEADLINE, head[control], head[variant], mde=mde_headline, unit_share=share,
                                     alpha=alpha, power=power))
    for variant in sorted(past_arms - {control}):
        tox = by_metric[TOXIC]
        c_row, v_row = tox[control], tox[variant]
        toxic_mde = mde_toxic * statistic(BY_ID[TOXIC], c_row).mean
        if toxic_mde == 0:
            raise PlanningError(f"{TOXIC} is 0 in the control arm: a relative effect is undefined")
        plans.append(plan_metric(TOXIC, c_row, v_row, mde=toxic_mde, alpha=alpha, power=power))
        c_stat, v_stat = statistic(BY_ID[TOXIC], c_row), statistic(BY_ID[TOXIC], v_row)
        if (isinstance(c_stat, RegressionAdjustedStatistic) and isinstance(v_stat, RegressionAdjustedStatistic)
                and cuped_variances(c_stat, v_stat) is not None):  # else no usable covariate: plain plan only
            plans.append(plan_metric(TOXIC, c_row, v_row, mde=toxic_mde, alpha=alpha, power=power, cuped=True))
    if not plans:
        raise PlanningError("the experiment has no treatment arm besides the control")
    return PowerReport(experiment_id, control, arms, alpha, power, share, tuple(plans))


def mde_at(plan: PowerPlan, assigned_per_arm: float) -> float:
    """The absolute MDE of ``plan``'s metric with ``assigned_per_arm`` assigned users in each arm."""
    units = max(int(assigned_per_arm * plan.unit_share), 0)
    return minimum_detectable_effect(units, units, plan.variance_control, plan.variance_variant,
                                     alpha=plan.alpha, power=plan.power)


def power_at(plan: PowerPlan, effect: float, assigned_per_arm: float) -> float:
    """Probability that the two-sided level-``plan.alpha`` test detects a true absolute ``effect`` with
    ``assigned_per_arm`` assigned users per arm (both tails counted; normal approximation,
    :func:`pipelines.stats.power_of_test`); NaN below 2 units per arm."""
    units = int(assigned_per_arm * plan.unit_share)
    if units < 2:
        return math.nan
    return power_of_test(effect, units, units, plan.variance_control, plan.variance_variant, alpha=plan.alpha)


def plans_as_records(report: PowerReport) -> Sequence[dict[str, Any]]:
    """The plans as plain dicts (numbers, not text), e.g. for a data frame in a notebook."""
    return [{**p.__dict__, "actual_mde_relative": p.actual_mde_relative,
             "total_assigned": report.total_assigned(p)} for p in report.plans]
