"""Asset checks: a sample-ratio mismatch withholds its experiment; sanity and quality checks report."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.cli import CliError, run
from pipelines.resources import Settings
from tests.logbuilder import Log


def lopsided_log() -> Log:
    log = Log()
    for i in range(50):
        log.assign(f"t{i}", "prompt_empathy")
    for i in range(10):
        log.assign(f"c{i}", "control")
    for i in range(5):
        log.draft(f"t{i}", f"d{i}", 5, 0.9, "aa")
        log.trigger(f"t{i}", f"d{i}", 5, "prompt_empathy")
        log.draft(f"c{i}", f"e{i}", 5, 0.9, "aa")
        log.trigger(f"c{i}", f"e{i}", 5, "control")
    return log


def test_a_mismatch_in_one_experiment_withholds_only_that_one(tmp_path: Path) -> None:
    import json

    from tests.logbuilder import REGISTRY

    registry = json.loads(json.dumps(REGISTRY))
    registry["experiments"].append({**registry["experiments"][0], "id": "exp2"})
    log = lopsided_log()  # exp1: 50 vs 10 users
    for i in range(20):  # exp2: 20 vs 20
        for arm in ("control", "prompt_empathy"):
            log.assign(f"{arm}{i}", arm, experiment_id="exp2")
            log.draft(f"{arm}{i}", f"x{arm}{i}", 6, 0.9, "aa")
            log.trigger(f"{arm}{i}", f"x{arm}{i}", 6, arm, experiment_id="exp2")
    events_root, registry_path = log.write(tmp_path, registry=registry)
    settings = Settings(events_root, registry_path, tmp_path / "w.duckdb", tmp_path / "reports")
    with pytest.raises(CliError, match="sample-ratio mismatch in exp1:") as raised:
        run(settings)
    summary = raised.value.summary  # type: ignore[attr-defined]
    assert summary.srm_failures == ["exp1"]
    assert [line.split(" / ")[0] for line in summary.headline] == ["exp2"]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("SELECT DISTINCT experiment_id FROM experiment_results").fetchall() == [("exp2",)]
    assert "Results withheld" in (tmp_path / "reports" / "exp1" / "index.html").read_text()
    assert (tmp_path / "reports" / "exp2" / "results.csv").exists()
    assert "Results withheld" not in (tmp_path / "reports" / "exp2" / "index.html").read_text()


def test_sample_ratio_mismatch_blocks_results_and_report(tmp_path: Path) -> None:
    events_root, registry = lopsided_log().write(tmp_path)
    settings = Settings(events_root, registry, tmp_path / "w.duckdb", tmp_path / "reports")
    with pytest.raises(CliError, match="sample-ratio mismatch in exp1"):
        run(settings)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("SELECT passed FROM sample_ratio_checks WHERE segment_dim = 'all'").fetchall() == [(False,)]
    assert con.execute("SELECT count(*) FROM experiment_results").fetchall() == [(0,)]
    page = (tmp_path / "reports" / "exp1" / "index.html").read_text()
    assert 'id="trust-banner"' in page and "sample-ratio mismatch" in page
    assert not (tmp_path / "reports" / "exp1" / "results.csv").exists()
