"""Every metric of the catalogue on a tiny hand-written log, against values computed by hand."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import run_log
from tests.logbuilder import Log

DAY = 1440.0


def hand_log() -> Log:
    """Two control users (c1, c2), two empathy users (t1, t2); assignments at minute 0 on 2026-03-02."""
    log = Log()
    for user, arm in (("c1", "control"), ("c2", "control"), ("t1", "prompt_empathy"), ("t2", "prompt_empathy")):
        log.assign(user, arm, minutes=0)
    # pre-period post of c1 (5 days before assignment, inside the 14-day window) and one outside it
    log.post("c1", "pre1", -5 * DAY, 0.9, "b1", "cp1")
    log.post("c1", "pre2", -20 * DAY, 0.9, "b2", "cp2")
    # c1: 2 attempts: posted unchanged (toxic), withdrawn; plus one normal post
    log.draft("c1", "a", 10, 0.85, "a1")
    log.trigger("c1", "a", 10, "control")
    log.post("c1", "a", 11, 0.85, "a1", "k1")
    log.draft("c1", "b", 3 * DAY, 0.95, "a2")
    log.trigger("c1", "b", 3 * DAY, "control")
    log.draft("c1", "n", 20, 0.1, "a3")
    log.post("c1", "n", 21, 0.1, "a3", "k2")
    # c2: no attempts, one normal post
    log.draft("c2", "m", 30, 0.2, "a4")
    log.post("c2", "m", 31, 0.2, "a4", "k3")
    # t1: 3 attempts: changed to below threshold (defused), changed but still toxic, withdrawn (10 days later)
    log.draft("t1", "x", 40, 0.9, "a5")
    log.trigger("t1", "x", 40, "prompt_empathy")
    log.post("t1", "x", 45, 0.3, "a6", "k4")
    log.draft("t1", "y", 1 * DAY + 40, 0.92, "a7")
    log.trigger("t1", "y", 1 * DAY + 40, "prompt_empathy")
    log.post("t1", "y", 1 * DAY + 45, 0.85, "a8", "k5")
    log.draft("t1", "z", 10 * DAY, 0.81, "a9")
    log.trigger("t1", "z", 10 * DAY, "prompt_empathy")
    log.discard("t1", "z", 10 * DAY + 1)
    # t2: 1 attempt posted unchanged
    log.draft("t2", "w", 50, 0.99, "aa")
    log.trigger("t2", "w", 50, "prompt_empathy")
    log.post("t2", "w", 51, 0.99, "aa", "k6")
    # reactions: k1 reported twice and removed by moderation; k5 removed by a creator in bulk; k6 reported once
    log.add("comment_reported", "x1", 60, comment_id="k1", reason="hate")
    log.add("comment_reported", "x2", 61, comment_id="k1", reason="hate")
    log.add("comment_removed", "m1", 62, comment_id="k1", removal_source="moderation")
    log.add("comment_removed", "t1", 2 * DAY, comment_id="k5", removal_source="creator_bulk")
    log.add("comment_reported", "x3", 70, comment_id="k6", reason="spam")
    return log


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return run_log(hand_log(), tmp_path_factory.mktemp("metrics"))


def value(con: duckdb.DuckDBPyConnection, metric: str, segment: tuple[str, str] = ("all", "all")) -> tuple:
    return con.execute(
        "SELECT value_control, value_variant, units_control, units_variant FROM experiment_results "
        "WHERE metric = $m AND segment_dim = $d AND segment_value = $v",
        {"m": metric, "d": segment[0], "v": segment[1]},
    ).fetchall()[0]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        # control: c1 has 2 attempts (1 unchanged, 1 withdrawn); empathy: t1 3 (2 changed, 1 withdrawn), t2 1
        ("withdraw_or_change_rate", (1 / 2, 3 / 4, 1, 2)),
        ("withdrawn_rate", (1 / 2, 1 / 4, 1, 2)),
        ("changed_rate", (0 / 2, 2 / 4, 1, 2)),
        ("withdraw_or_change_rate_user", (0.0, 1 / 2, 1, 2)),  # first attempts: c1 unchanged; t1 changed, t2 not
        ("triggers_per_user_after_first", (1.0, (2 + 0) / 2, 1, 2)),
        # posts in the experiment: c1 k1,k2 (k1 toxic); c2 k3; t1 k4,k5 (k5 toxic); t2 k6 (toxic)
        ("posts_per_user", (3 / 2, 3 / 2, 2, 2)),
        ("toxic_posts_per_user", (1 / 2, 2 / 2, 2, 2)),
        ("reports_per_post", (2 / 3, 1 / 3, 2, 2)),
        ("removals_per_post", (1 / 3, 1 / 3, 2, 2)),
        ("removals_moderation_per_post", (1 / 3, 0 / 3, 2, 2)),
        ("removals_creator_bulk_per_post", (0 / 3, 1 / 3, 2, 2)),
    ],
)
def test_metric_equals_hand_computation(warehouse: duckdb.DuckDBPyConnection, metric: str, expected: tuple) -> None:
    assert value(warehouse, metric) == pytest.approx(expected)


def test_defused_share_of_changed_attempts(warehouse: duckdb.DuckDBPyConnection) -> None:
    # control has no changed attempt: no units, so no comparison row; the empathy arm's value is 1/2
    row = warehouse.execute(
        "SELECT sum(defused), sum(changed) FROM user_metrics WHERE variant = 'prompt_empathy'").fetchall()[0]
    assert row == (1, 2)
    rows = warehouse.execute("SELECT count(*) FROM experiment_results WHERE metric = 'defused_rate'").fetchall()
    assert rows == [(0,)]


def test_toxicity_band_splits_attempts_at_the_midpoint(warehouse: duckdb.DuckDBPyConnection) -> None:
    # bands for T=0.8: [0.80, 0.90) and [0.90, 1.00]; control: a 0.85 (band 1, unchanged), b 0.95 (band 2, withdrawn)
    assert value(warehouse, "withdraw_or_change_rate", ("toxicity_band", "0.80-0.90")) == pytest.approx(
        (0.0, 1.0, 1, 1))  # empathy band 1: z 0.81 withdrawn
    assert value(warehouse, "withdraw_or_change_rate", ("toxicity_band", "0.90-1.00")) == pytest.approx(
        (1.0, 2 / 3, 1, 2))  # empathy band 2: x 0.90 changed, y 0.92 changed, w 0.99 unchanged


def test_prompt_number_numbers_each_users_attempts_by_trigger_time(warehouse: duckdb.DuckDBPyConnection) -> None:
    # control c1: a (1st, unchanged), b (2nd, withdrawn); empathy t1: x (1st, changed), y (2nd, changed),
    # z (3rd, withdrawn); t2: w (1st, unchanged)
    assert value(warehouse, "withdraw_or_change_rate", ("prompt_number", "1")) == pytest.approx((0.0, 1 / 2, 1, 2))
    assert value(warehouse, "withdraw_or_change_rate", ("prompt_number", "2")) == pytest.approx((1.0, 1.0, 1, 1))
    assert value(warehouse, "withdrawn_rate", ("prompt_number", "2")) == pytest.approx((1.0, 0.0, 1, 1))
    assert value(warehouse, "changed_rate", ("prompt_number", "1")) == pytest.approx((0.0, 1 / 2, 1, 2))
    # the third attempt is t1's alone: no control user reached it, so there is no comparison, only the arm's sums
    third = warehouse.execute(
        "SELECT variant, n, m_sum, d_sum FROM arm_statistics WHERE metric = 'withdraw_or_change_rate' "
        "AND segment_dim = 'prompt_number' AND segment_value = '3-5'").fetchall()
    assert third == [("prompt_empathy", 1, 1.0, 1.0)]
    values = {v for (v,) in warehouse.execute(
        "SELECT DISTINCT segment_value FROM arm_statistics WHERE segment_dim = 'prompt_number'").fetchall()}
    assert values <= {"1", "2", "3-5", "6+"}
    defused = warehouse.execute(
        "SELECT variant, m_sum, d_sum FROM arm_statistics WHERE metric = 'defused_rate' "
        "AND segment_dim = 'prompt_number' AND segment_value = '1'").fetchall()
    assert defused == [("prompt_empathy", 1.0, 1.0)]  # x: changed to 0.3 < 0.8


def test_pre_period_covariate_counts_the_14_days_before_assignment(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = dict(warehouse.execute("SELECT user_id, pre_posts FROM user_metrics").fetchall())
    assert rows == {"c1": 1, "c2": 0, "t1": 0, "t2": 0}


def test_learning_curve_counts_later_prompts_by_days_since_the_first(warehouse: duckdb.DuckDBPyConnection) -> None:
    t1 = warehouse.execute(
        "SELECT later_attempts_d0_1, later_attempts_d2_7, later_attempts_d8_plus FROM user_metrics "
        "WHERE user_id = 't1'").fetchall()[0]
    assert t1 == (1, 0, 1)  # y one day after x; z ten days after


def test_segments_come_from_the_assignment(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert value(warehouse, "posts_per_user", ("country", "DE")) == pytest.approx((3 / 2, 3 / 2, 2, 2))
    assert value(warehouse, "posts_per_user", ("platform", "ios")) == pytest.approx((3 / 2, 3 / 2, 2, 2))


def test_guardrail_says_whether_it_held(warehouse: duckdb.DuckDBPyConnection) -> None:
    status = warehouse.execute(
        "SELECT guardrail_status FROM experiment_results WHERE metric = 'posts_per_user' AND segment_dim = 'all'"
    ).fetchall()
    assert status and all(s in ("held", "not_shown", "unknown") for (s,) in status)
    other = warehouse.execute(
        "SELECT count(*) FROM experiment_results WHERE metric <> 'posts_per_user' AND guardrail_status IS NOT NULL"
    ).fetchall()
    assert other == [(0,)]


def awkward_thresholds() -> list[float]:
    """Trigger thresholds whose band labels are hard to round: the doubles on and next to every midpoint between
    two hundredths (0.125 is one exactly; 0.145 lies just below, 0.115 just above), tiny ones, and one whose
    band edge rounds up to 1.00."""
    import math

    out = [0.125, 0.375, 0.625, 0.875, 0.145, 0.115, 0.285, 0.005, 0.015, 1e-5, 2**-11, 0.9995, 0.99999]
    for j in range(0, 100, 7):
        midpoint = (j + 0.5) / 100
        out += [math.nextafter(midpoint, 0), midpoint, math.nextafter(midpoint, 1)]
    return [t for t in out if 0 < t < 1]


def band_label_inputs(con: duckdb.DuckDBPyConnection, thresholds: list[float]) -> dict[str, object]:
    """registry_experiments with one experiment per threshold (band edge as pipelines/registry.py computes it),
    and user_metrics with the warehouse's users who had attempts in both bands, copied into each experiment."""
    import pyarrow as pa

    from pipelines.registry import Experiment

    registry = con.sql("SELECT * FROM registry_experiments LIMIT 1").to_arrow_table().to_pylist()[0]
    ids = [f"t{i}" for i in range(len(thresholds))]
    edges = [Experiment(i, registry["start_date"], registry["end_date"], "control", {}, t).band_edge
             for i, t in zip(ids, thresholds, strict=True)]
    experiments = pa.table({**{k: [v] * len(ids) for k, v in registry.items()}, "experiment_id": ids,
                            "trigger_threshold": thresholds, "band_edge": edges})
    users = con.sql("SELECT * EXCLUDE (experiment_id) FROM user_metrics "
                    "WHERE attempts_band1 > 0 OR attempts_band2 > 0").to_arrow_table()
    assert users.num_rows, "no user with attempts in a toxicity band"
    per_experiment = [users.append_column("experiment_id", pa.array([i] * users.num_rows)) for i in ids]
    return {"registry_experiments": experiments.select(registry.keys()),
            "user_metrics": pa.concat_tables(per_experiment)}


def test_band_labels_round_like_the_registry(warehouse: duckdb.DuckDBPyConnection) -> None:
    """sql/metrics/arm_statistics.sql labels the bands as Experiment.band_labels() (Python's format, as
    printf('%.2f')): rounded from the binary value, ties to the even hundredth."""
    from pipelines.registry import Experiment
    from pipelines.tables import run_file

    thresholds = awkward_thresholds()
    con = duckdb.connect()
    for name, table in band_label_inputs(warehouse, thresholds).items():
        con.register(f"{name}_in", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_in")
    run_file(con, "arm_statistics")
    got = {(e, v) for e, v in con.execute(
        "SELECT DISTINCT experiment_id, segment_value FROM arm_statistics WHERE segment_dim = 'toxicity_band'"
    ).fetchall()}
    start, end = warehouse.execute("SELECT start_date, end_date FROM registry_experiments").fetchall()[0]
    want = {(f"t{i}", label) for i, t in enumerate(thresholds)
            for label in Experiment(f"t{i}", start, end, "control", {}, t).band_labels()}
    assert got <= want and {e for e, _ in got} == {f"t{i}" for i in range(len(thresholds))}
    assert ("t0", "0.12-0.56") in got  # 0.125 is a tie: to the even hundredth
