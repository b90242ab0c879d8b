"""A run killed with SIGKILL at a random point, then re-run, leaves the same tables as an uninterrupted run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.cli import run
from pipelines.resources import Settings
from pipelines.simulate import simulate
from tests.test_delivery import snapshot

pytestmark = pytest.mark.slow


def settings(root: Path, name: str) -> Settings:
    return Settings(root / "sim" / "events", root / "sim" / "experiments.yml", root / f"{name}.duckdb",
                    root / f"reports-{name}")


@pytest.mark.parametrize("seed", [1])
def test_killed_run_then_rerun_equals_uninterrupted_run(tmp_path: Path, seed: int) -> None:
    simulate(tmp_path / "sim", users=6_000, days=14, seed=5)
    started = time.monotonic()
    run(settings(tmp_path, "clean"))
    duration = time.monotonic() - started

    interrupted = settings(tmp_path, "killed")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--events", str(interrupted.events_root), "--registry",
         str(interrupted.registry), "--warehouse", str(interrupted.warehouse), "--reports",
         str(interrupted.reports_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(random.Random(seed).uniform(1.0, max(1.5, duration)))  # the CLI also pays its import time
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run(interrupted)
    assert snapshot(interrupted.warehouse) == snapshot(tmp_path / "clean.duckdb")
