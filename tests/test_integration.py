"""The whole graph on simulated logs with a known truth: every value equals `truth.json` exactly, dirty
JSONL and Parquet alike, and the headline interval equals a textbook delta-method computation."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from scipy import stats as sps

from pipelines.cli import run
from pipelines.resources import Settings
from pipelines.simulate import simulate

EXPERIMENT = "reconsider_prompt_2026q1"


def simulate_and_run(root: Path, fmt: str, users: int = 3_000, seed: int = 11) -> tuple[dict[str, Any], Path]:
    simulate(root / "sim", users=users, days=14, seed=seed, fmt=fmt)  # type: ignore[arg-type]
    settings = Settings(root / "sim" / "events", root / "sim" / "experiments.yml", root / "w.duckdb",
                        root / "reports")
    run(settings)
    truth = json.loads((root / "sim" / "truth.json").read_text())
    return truth, settings.warehouse


@pytest.fixture(scope="module", params=["jsonl", "parquet"])
def simulated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    return simulate_and_run(tmp_path_factory.mktemp(request.param), request.param)


def test_every_metric_equals_the_truth(simulated: tuple[dict, Path]) -> None:
    truth, warehouse = simulated
    exp = truth["experiments"][EXPERIMENT]
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "SELECT metric, segment_dim, segment_value, variant, control, value_variant, value_control, units_variant, "
        "units_control FROM experiment_results WHERE experiment_id = $e", {"e": EXPERIMENT}).fetchall()
    got = {(m, d, v, arm): (vv, vc, uv, uc) for m, d, v, arm, _, vv, vc, uv, uc in rows}
    checked = 0
    for metric, by_dim in exp["metrics"].items():
        for dim, by_value in by_dim.items():
            for value, arms in by_value.items():
                control = arms[exp["control"]]
                for arm, want in arms.items():
                    if arm == exp["control"] or want["units"] == 0 or control["units"] == 0:
                        continue
                    key = (metric, dim, value, arm)
                    assert key in got, f"missing result {key}"
                    vv, vc, uv, uc = got[key]
                    assert (uv, uc) == (want["units"], control["units"]), key
                    for observed, expected in ((vv, want["value"]), (vc, control["value"])):
                        if expected is None:
                            assert observed is None, key
                        else:
                            assert observed == pytest.approx(expected, rel=1e-12, abs=1e-12), key
                    checked += 1
    assert checked >= 10 * 2 * 3


def test_sample_ratio_counts_equal_the_truth(simulated: tuple[dict, Path]) -> None:
    truth, warehouse = simulated
    con = duckdb.connect(str(warehouse), read_only=True)
    observed = json.loads(con.execute(
        "SELECT assigned_users FROM sample_ratio_checks WHERE experiment_id = $e AND segment_dim = 'all'",
        {"e": EXPERIMENT}).fetchall()[0][0])
    assert observed == truth["experiments"][EXPERIMENT]["sample_ratio"]["observed"]


def test_data_quality_names_each_kind_of_junk_with_its_count(simulated: tuple[dict, Path]) -> None:
    truth, warehouse = simulated
    con = duckdb.connect(str(warehouse), read_only=True)
    got = dict(con.execute("SELECT reason, sum(count)::BIGINT FROM data_quality GROUP BY 1").fetchall())
    want = {k: v for k, v in truth["data_quality"].items() if v}
    assert {k: v for k, v in got.items() if v} == want  # nothing missing, nothing extra


def test_headline_interval_is_the_textbook_delta_method(simulated: tuple[dict, Path]) -> None:
    """Recompute from per-user numbers with numpy: Var(R) ≈ (1/n μd²)(σm² − 2R σmd + R² σd²)."""
    _, warehouse = simulated
    con = duckdb.connect(str(warehouse), read_only=True)
    per_arm = {}
    for arm in ("control", "prompt_empathy"):
        m, d = np.array(con.execute(
            "SELECT withdrawn_or_changed, attempts FROM user_metrics WHERE experiment_id = $e AND variant = $v "
            "AND attempts > 0", {"e": EXPERIMENT, "v": arm}).fetchall(), dtype=float).T
        n, r = len(m), m.sum() / d.sum()
        cov = np.cov(m, d, ddof=1)
        var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * d.mean() ** 2)
        per_arm[arm] = (r, var)
    diff = per_arm["prompt_empathy"][0] - per_arm["control"][0]
    se = math.sqrt(per_arm["prompt_empathy"][1] + per_arm["control"][1])
    z = sps.norm.ppf(0.975)
    row = con.execute(
        "SELECT diff, diff_ci_low, diff_ci_high, p_value FROM experiment_results WHERE experiment_id = $e AND "
        "metric = 'withdraw_or_change_rate' AND segment_dim = 'all' AND variant = 'prompt_empathy'",
        {"e": EXPERIMENT}).fetchall()[0]
    assert row[0] == pytest.approx(diff, rel=1e-12)
    assert row[1] == pytest.approx(diff - z * se, rel=1e-9)
    assert row[2] == pytest.approx(diff + z * se, rel=1e-9)
    assert row[3] == pytest.approx(2 * sps.norm.sf(abs(diff / se)), rel=1e-6, abs=1e-300)


def test_data_quality_counts_land_on_the_right_arrival_date(simulated: tuple[dict, Path]) -> None:
    truth, warehouse = simulated
    con = duckdb.connect(str(warehouse), read_only=True)
    got = {(d, r): n for d, r, n in con.execute(
        "SELECT arrival_date::VARCHAR, reason, sum(count)::BIGINT FROM data_quality GROUP BY 1, 2").fetchall()}
    want = {(d, r): n for d, reasons in truth["data_quality_by_date"].items() for r, n in reasons.items() if n}
    assert {k: v for k, v in got.items() if v} == want


def test_every_table_of_the_main_schema_is_an_asset_of_the_graph(simulated: tuple[dict, Path]) -> None:
    """What a user may read is what the graph shows (issue 17): every table and view of the warehouse's main
    schema is an asset; bookkeeping lives in its own schema, and nothing else is left behind."""
    from pipelines.definitions import build_definitions

    _, warehouse = simulated
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        by_schema: dict[str, set[str]] = {}
        for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                         "WHERE table_catalog = current_database()").fetchall():
            by_schema.setdefault(schema, set()).add(table)
    finally:
        con.close()
    settings = Settings(warehouse.parent / "sim" / "events", warehouse.parent / "sim" / "experiments.yml",
                        warehouse, warehouse.parent / "reports")
    assets = {key.to_user_string() for key in build_definitions(settings).resolve_all_asset_keys()}
    assert by_schema["main"] <= assets, by_schema["main"] - assets
    assert set(by_schema) == {"main", "bookkeeping"}
    assert by_schema["bookkeeping"] == {"dedup_pending", "attempts_pending", "attempts_state", "loaded_partitions"}
