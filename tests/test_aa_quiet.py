"""An A/A log, written independently of the simulator (tests/aa_log.py), through the whole asset graph: no
metric, segment, guardrail or segment difference may come out as a finding."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.cli import run
from pipelines.resources import Settings
from tests import aa_log


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("aa")
    events, registry = aa_log.write(root)
    settings = Settings(events, registry, root / "w.duckdb", root / "reports")
    run(settings)
    return duckdb.connect(str(settings.warehouse), read_only=True)


def test_no_metric_in_any_segment_is_called_a_win_or_a_harm(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "SELECT segment_dim, count(*), count(*) FILTER (decision IN ('win', 'harm')) FROM experiment_results "
        "GROUP BY 1 ORDER BY 1").fetchall()
    dims = {d for d, _, _ in rows}
    assert {"all", "country", "platform", "toxicity_band", "prompt_number"} <= dims
    found = warehouse.execute(
        "SELECT metric, segment_dim, segment_value, variant, method, p_value_adjusted, seq_p_value "
        "FROM experiment_results WHERE decision IN ('win', 'harm')").fetchall()
    assert not found, found


def test_the_rare_count_rules_were_exercised(warehouse: duckdb.DuckDBPyConnection) -> None:
    methods = {m.split(" ")[0] for (m,) in warehouse.execute(
        "SELECT DISTINCT method FROM experiment_results").fetchall()}
    assert {"delta_method", "poisson_exact", "too_few_events"} <= methods, methods


def test_no_segment_difference_is_claimed(warehouse: duckdb.DuckDBPyConnection) -> None:
    tested = warehouse.execute("SELECT count(*) FROM segment_heterogeneity WHERE p_value IS NOT NULL").fetchall()
    assert tested[0][0] >= 20
    claimed = warehouse.execute(
        "SELECT metric, segment_dim, variant, statistic, p_value, p_value_adjusted FROM segment_heterogeneity "
        "WHERE p_value_adjusted < 0.05").fetchall()
    assert not claimed, claimed


def test_no_arm_is_shipped_or_stopped(warehouse: duckdb.DuckDBPyConnection) -> None:
    verdicts = warehouse.execute(
        "SELECT variant, verdict, verdict_reasons FROM experiment_results WHERE verdict IS NOT NULL").fetchall()
    assert len(verdicts) == 2
    assert all(v == "inconclusive" for _, v, _ in verdicts), verdicts
    breached = warehouse.execute(
        "SELECT metric, variant FROM experiment_results WHERE guardrail_status = 'breached'").fetchall()
    assert not breached, breached
