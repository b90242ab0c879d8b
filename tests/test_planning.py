"""`nudge power` and pipelines/planning/: hand-computed sample sizes, the MDE round trip, CUPED, the CLI."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.cli import main
from pipelines.metrics import BY_ID
from pipelines.planning import (
    HEADLINE,
    TOXIC,
    PlanningError,
    format_report,
    mde_at,
    plan_experiment,
    plan_metric,
    power_at,
    power_from_warehouse,
    read_arm_statistics,
)
from pipelines.results import statistic
from pipelines.stats import (
    RegressionAdjustedStatistic,
    compare,
    cuped_theta,
    minimum_detectable_effect,
    power_of_test,
    users_per_arm,
)
from tests.notebooks.synthetic import shared_warehouse

# z_{0.975} and z_{0.80}, from a normal table
Z_ALPHA, Z_POWER = 1.959963984540054, 0.8416212335729143
Z2 = (Z_ALPHA + Z_POWER) ** 2  # 7.8489


def headline_row(variant: str, n: int, p: float) -> dict[str, Any]:
    """Users with exactly one attempt each: the delta-method variance is the plain p(1-p) n/(n-1)."""
    k = p * n
    return {"experiment_id": "e", "variant": variant, "metric": HEADLINE, "segment_dim": "all",
            "segment_value": "all", "n": n, "m_sum": k, "m_sum_squares": k, "d_sum": n, "d_sum_squares": n,
            "m_d_sum_of_products": k, "pre_sum": None, "pre_sum_squares": None, "m_pre_sum_of_products": None}


def toxic_row(variant: str, n: int, mean: float, variance: float, **pre: float) -> dict[str, Any]:
    """Per-user toxic posts with the given mean and n-1 sample variance (and optional pre-period sums)."""
    total = mean * n
    return {"experiment_id": "e", "variant": variant, "metric": TOXIC, "segment_dim": "all",
            "segment_value": "all", "n": n, "m_sum": total, "m_sum_squares": total * total / n + (n - 1) * variance,
            "d_sum": n, "d_sum_squares": n, "m_d_sum_of_products": total, "pre_sum": pre.get("pre_sum"),
            "pre_sum_squares": pre.get("pre_sum_squares"), "m_pre_sum_of_products": pre.get("m_pre_sum_of_products")}


ROWS = [
    headline_row("control", 101, 0.2),  # variance 0.2 * 0.8 * 101/100 = 0.1616
    headline_row("prompt", 101, 0.3),  # variance 0.3 * 0.7 * 101/100 = 0.2121
    toxic_row("control", 404, 1.0, 4.0),  # 101 of 404 assigned users have attempts: share 0.25
    toxic_row("prompt", 404, 0.9, 3.0),
]


def test_headline_users_per_arm_by_the_textbook_formula_and_the_attempt_share() -> None:
    report = plan_experiment(ROWS, "control", mde_headline=0.03)
    head = next(p for p in report.plans if p.metric == HEADLINE)
    assert head.variance_control == pytest.approx(0.1616) and head.variance_variant == pytest.approx(0.2121)
    # n = (z_{1-a/2} + z_{1-b})^2 (s_c^2 + s_v^2) / delta^2 = 7.8489 * 0.3737 / 0.0009 = 3259.03 -> 3260
    assert head.units_per_arm == math.ceil(Z2 * (0.1616 + 0.2121) / 0.03**2) == 3260
    assert report.attempt_share == pytest.approx(0.25)
    assert head.assigned_per_arm == 13_040  # 3260 users with attempts / 0.25
    assert report.arms == 2 and report.total_assigned(head) == 26_080
    assert head.control_value == pytest.approx(0.2) and head.mde_relative == pytest.approx(0.15)
    # the MDE the experiment had with its 101 + 101 users with attempts
    assert head.actual_mde == pytest.approx((Z_ALPHA + Z_POWER) * math.sqrt(0.1616 / 101 + 0.2121 / 101))


def test_toxic_relative_mde_is_converted_with_the_control_mean() -> None:
    report = plan_experiment(ROWS, "control", mde_toxic=-0.10, arms=3)
    (toxic,) = [p for p in report.plans if p.metric == TOXIC]  # no pre-period sums: no CUPED plan
    assert toxic.method == "welch"
    assert toxic.mde == pytest.approx(-0.1)  # -10 % of the control mean 1.0
    # 7.8489 * (4 + 3) / 0.1^2 = 5494.2 -> 5495 per arm; every assigned user is a unit
    assert toxic.units_per_arm == toxic.assigned_per_arm == math.ceil(Z2 * 7 / 0.01) == 5495
    assert report.total_assigned(toxic) == 3 * 5495


def test_alpha_and_power_enter_the_formula() -> None:
    z2 = (2.5758293035489004 + 1.2815515655446004) ** 2  # alpha 0.01, power 0.9
    plan = plan_metric(TOXIC, ROWS[2], ROWS[3], mde=0.2, alpha=0.01, power=0.9)
    assert plan.units_per_arm == math.ceil(z2 * 7 / 0.04)


@pytest.mark.parametrize("mde", [0.005, 0.01, 0.03, 0.1])
def test_round_trip_mde_of_the_planned_users_is_the_requested_mde(mde: float) -> None:
    plan = plan_metric(HEADLINE, ROWS[0], ROWS[1], mde=mde, unit_share=0.25)
    n = plan.units_per_arm
    achieved = minimum_detectable_effect(n, n, plan.variance_control, plan.variance_variant)
    assert achieved <= mde and achieved == pytest.approx(mde, rel=2e-3)
    assert mde_at(plan, plan.assigned_per_arm) == pytest.approx(mde, rel=2e-3)
    # one user fewer per arm is not enough
    assert minimum_detectable_effect(n - 1, n - 1, plan.variance_control, plan.variance_variant) > mde
    # and the planned users detect the MDE with (at least) the planned power, a null effect with alpha
    assert power_at(plan, mde, plan.assigned_per_arm) == pytest.approx(0.8, abs=2e-3)
    assert power_at(plan, -mde, plan.assigned_per_arm) >= 0.8
    assert power_at(plan, 0.0, plan.assigned_per_arm) == pytest.approx(0.05)


def test_cuped_plan_uses_the_variance_the_analysis_removes() -> None:
    n = 500
    pre = {"pre_sum": 1.2 * n, "pre_sum_squares": n * 1.2**2 + (n - 1) * 5.0}
    control = toxic_row("control", n, 1.0, 4.0, **pre, m_pre_sum_of_products=n * 1.0 * 1.2 + (n - 1) * 3.0)
    variant = toxic_row("prompt", n, 0.9, 4.0, **pre, m_pre_sum_of_products=n * 0.9 * 1.2 + (n - 1) * 3.0)
    plain = plan_metric(TOXIC, control, variant, mde=-0.1)
    cuped = plan_metric(TOXIC, control, variant, mde=-0.1, cuped=True)
    # theta = 3 / 5; Var(y - theta x) = 4 + 0.36 * 5 - 2 * 0.6 * 3 = 2.2 per arm
    assert cuped.method == "cuped" and cuped.variance_control == pytest.approx(2.2)
    assert cuped.units_per_arm == math.ceil(Z2 * 4.4 / 0.01)
    # equal arms: the saving equals the variance reduction the analysis reports
    est = compare(statistic(BY_ID[TOXIC], control), statistic(BY_ID[TOXIC], variant))
    ratio = (cuped.variance_control + cuped.variance_variant) / (plain.variance_control + plain.variance_variant)
    assert est.variance_reduction is not None and ratio == pytest.approx(1 - est.variance_reduction)


def _cuped_rows(n: int, covariance: float, variance_x: float) -> tuple[dict[str, Any], dict[str, Any]]:
    pre = {"pre_sum": 1.2 * n, "pre_sum_squares": n * 1.2**2 + (n - 1) * variance_x}
    return (toxic_row("control", n, 1.0, 4.0, **pre, m_pre_sum_of_products=n * 1.0 * 1.2 + (n - 1) * covariance),
            toxic_row("prompt", n, 0.9, 3.5, **pre, m_pre_sum_of_products=n * 0.9 * 1.2 + (n - 1) * covariance))


@pytest.mark.parametrize(("mde", "alpha", "power", "unit_share"),
                         [(0.03, 0.05, 0.8, 0.25), (-0.01, 0.01, 0.9, 1.0), (0.2, 0.1, 0.5, 0.6)])
def test_planning_figures_are_the_statistics_cores(mde: float, alpha: float, power: float,
                                                   unit_share: float) -> None:
    """One power formula and one CUPED theta: planning takes every figure from pipelines.stats."""
    control, variant = _cuped_rows(300, 2.5, 5.0)
    for cuped in (False, True):
        plan = plan_metric(TOXIC, control, variant, mde=mde, alpha=alpha, power=power, unit_share=unit_share,
                           cuped=cuped)
        c_stat, v_stat = statistic(BY_ID[TOXIC], control), statistic(BY_ID[TOXIC], variant)
        assert isinstance(c_stat, RegressionAdjustedStatistic) and isinstance(v_stat, RegressionAdjustedStatistic)
        var_c, var_v = c_stat.variance, v_stat.variance
        if cuped:
            theta = cuped_theta(c_stat, v_stat)
            assert theta is not None and theta == pytest.approx(0.5)  # pooled Cov(y, x) / Var(x) = 2.5 / 5
            var_c, var_v = c_stat.adjusted_variance(theta), v_stat.adjusted_variance(theta)
            # the analysis reports the variance reduction of exactly this theta
            est = compare(c_stat, v_stat)
            assert est.variance_reduction == pytest.approx(1 - (var_c + var_v) / (c_stat.variance + v_stat.variance))
        assert (plan.variance_control, plan.variance_variant) == (var_c, var_v)
        assert plan.units_per_arm == users_per_arm(mde, var_c, var_v, alpha=alpha, power=power)
        assert plan.actual_mde == minimum_detectable_effect(300, 300, var_c, var_v, alpha=alpha, power=power)
        for assigned, effect in ((plan.assigned_per_arm, mde), (1_000, mde / 2), (50, 0.0)):
            units = int(assigned * unit_share)
            assert power_at(plan, effect, assigned) == power_of_test(effect, units, units, var_c, var_v, alpha=alpha)
            assert mde_at(plan, assigned) == minimum_detectable_effect(units, units, var_c, var_v, alpha=alpha,
                                                                       power=power)


def test_cuped_theta_is_none_without_pre_period_variance() -> None:
    control, variant = _cuped_rows(300, 0.0, 0.0)
    c_stat, v_stat = statistic(BY_ID[TOXIC], control), statistic(BY_ID[TOXIC], variant)
    assert isinstance(c_stat, RegressionAdjustedStatistic) and isinstance(v_stat, RegressionAdjustedStatistic)
    assert cuped_theta(c_stat, v_stat) is None
    with pytest.raises(PlanningError, match="no variance, CUPED does not apply"):
        plan_metric(TOXIC, control, variant, mde=0.1, cuped=True)


def test_unusable_inputs_raise_planning_errors() -> None:
    with pytest.raises(PlanningError, match="non-zero"):
        plan_metric(HEADLINE, ROWS[0], ROWS[1], mde=0.0)
    with pytest.raises(PlanningError, match="alpha"):
        plan_metric(HEADLINE, ROWS[0], ROWS[1], mde=0.03, alpha=1.5)
    with pytest.raises(PlanningError, match="control arm 'ctrl'"):
        plan_experiment(ROWS, "ctrl")
    with pytest.raises(PlanningError, match="no pre-period covariate"):
        plan_metric(HEADLINE, ROWS[0], ROWS[1], mde=0.03, cuped=True)
    with pytest.raises(PlanningError, match="fewer than 2 users"):
        plan_metric(HEADLINE, headline_row("control", 1, 1.0), ROWS[1], mde=0.03)


# --- the command line -----------------------------------------------------------------------------------


def _hand_made_warehouse(path: Path, experiments: tuple[str, ...]) -> Path:
    """A warehouse holding only the two tables `nudge power` reads."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE registry_experiments (experiment_id VARCHAR, control VARCHAR)")
    columns = list(ROWS[0])
    con.execute("CREATE TABLE arm_statistics (" + ", ".join(
        f"{c} {'VARCHAR' if isinstance(ROWS[0][c], str) else 'DOUBLE'}" for c in columns) + ")")
    for exp in experiments:
        con.execute("INSERT INTO registry_experiments VALUES (?, 'control')", [exp])
        for r in ROWS:
            con.execute(f"INSERT INTO arm_statistics VALUES ({', '.join('?' * len(columns))})",
                        [exp if c == "experiment_id" else r[c] for c in columns])
    con.close()
    return path


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nudge: error: ")
    return err.strip()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.duckdb"
    expected = f"nudge: error: warehouse not found: {missing}"
    assert _error_line(capsys, ["power", "--warehouse", str(missing)]) == expected
    not_duckdb = tmp_path / "notes.txt"
    not_duckdb.write_text("hello\n")
    assert "cannot open warehouse" in _error_line(capsys, ["power", "--warehouse", str(not_duckdb)])
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert _error_line(capsys, ["power", "--warehouse", str(empty)]) == (
        f"nudge: error: warehouse {empty} has no arm_statistics table (run `nudge run` first)")
    two = _hand_made_warehouse(tmp_path / "two.duckdb", ("a", "b"))
    assert "holds 2 experiments (a, b): choose one with --experiment" in _error_line(
        capsys, ["power", "--warehouse", str(two)])
    assert _error_line(capsys, ["power", "--warehouse", str(two), "--experiment", "c"]) == (
        f"nudge: error: experiment 'c' not in {two} (found: a, b)")
    assert "--mde-toxic is a relative change" in _error_line(
        capsys, ["power", "--warehouse", str(two), "--experiment", "a", "--mde-toxic", "-2"])


def test_cli_table_on_a_hand_made_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = _hand_made_warehouse(tmp_path / "w.duckdb", ("a", "b"))
    main(["power", "--warehouse", str(warehouse), "--experiment", "b", "--arms", "3"])
    out = capsys.readouterr().out
    assert out.startswith("power plan from b (control arm: control): two-sided alpha = 0.05, power = 80 %")
    head = next(line for line in out.splitlines() if line.startswith(HEADLINE))
    assert head.split()[3:9] == ["prompt", "20.0", "%", "+3.0", "pp", "(+15"]
    assert "3,260" in head and "13,040" in head and "39,120" in head  # units, assigned per arm, 3 arms
    assert "5,495" in next(line for line in out.splitlines() if line.startswith(TOXIC))
    assert "25.0 %" in out  # the attempt share used for the conversion is stated


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        return shared_warehouse(tmp_path_factory.getbasetemp())


def test_cli_on_a_warehouse_built_by_the_asset_graph(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["power", "--warehouse", str(warehouse), "--mde-headline", "0.05", "--mde-toxic", "-0.2"])
    out = capsys.readouterr().out
    report = power_from_warehouse(warehouse, mde_headline=0.05, mde_toxic=-0.2)
    assert out.strip() == format_report(report)
    assert {(p.metric, p.method, p.variant) for p in report.plans} == {
        (HEADLINE, "delta_method", "prompt_empathy"), (HEADLINE, "delta_method", "prompt_neutral"),
        (TOXIC, "welch", "prompt_empathy"), (TOXIC, "welch", "prompt_neutral"),
        (TOXIC, "cuped", "prompt_empathy"), (TOXIC, "cuped", "prompt_neutral"),
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        share, units = con.execute(
            "SELECT avg(CAST(attempts > 0 AS DOUBLE)), count(*) FILTER (attempts > 0 AND variant = 'control') "
            "FROM user_metrics").fetchone() or (None, None)
    finally:
        con.close()
    assert report.attempt_share == pytest.approx(share) and report.arms == 3
    for p in report.plans:
        if p.metric == HEADLINE:
            assert p.actual_units_control == units
            assert p.assigned_per_arm == math.ceil(p.units_per_arm / share - 1e-9)
        assert p.units_per_arm == math.ceil(Z2 * (p.variance_control + p.variance_variant) / p.mde**2 - 1e-9)
    _, control, rows = read_arm_statistics(warehouse)
    assert control == "control" and {r["segment_dim"] for r in rows} == {"all"}
