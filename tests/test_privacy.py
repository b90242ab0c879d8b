"""Raw comment text never reaches any table, file, log line or report: a canary string is searched for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.simulate import simulate
from pipelines.simulate.constants import CANARY

pytestmark = pytest.mark.slow


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_canary_text_is_nowhere_after_a_run(tmp_path: Path, fmt: str) -> None:
    summary = simulate(tmp_path / "sim", users=1_500, days=7, seed=3, fmt=fmt)  # type: ignore[arg-type]
    assert summary.truth["data_quality"]["text_field_scrubbed"] > 0
    assert files_containing(tmp_path / "sim" / "events", CANARY.encode()), "the simulator must leak the canary"
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--events", str(tmp_path / "sim" / "events"),
         "--registry", str(tmp_path / "sim" / "experiments.yml"), "--warehouse", str(out / "w.duckdb"),
         "--reports", str(out / "reports")],
        capture_output=True, check=True,
    )
    assert CANARY.encode() not in proc.stdout + proc.stderr
    assert files_containing(out, CANARY.encode()) == []
    assert (out / "reports").is_dir() and (out / "w.duckdb").is_file()
