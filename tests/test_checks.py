"""Asset checks: a sample-ratio mismatch blocks publication; sanity and quality checks report."""

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
