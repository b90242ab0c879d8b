"""A run killed with SIGKILL in the middle, then re-run, leaves the same tables as an uninterrupted run.

The kill is proven to land mid-run: the killed `nudge run` records its runs in its own Dagster instance, and the
test waits until that instance shows a run in progress with some, but not all, of the clean run's steps done
before it sends SIGKILL; afterwards the instance still shows that run as started (it never finished), and the
re-run marks it failed before converging to the clean run's tables.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli import run
from pipelines.resources import Settings
from pipelines.simulate import simulate
from tests.test_delivery import snapshot

pytestmark = pytest.mark.slow

STARTED = dg.DagsterRunStatus.STARTED
ROOT = Path(__file__).resolve().parents[1]


def settings(root: Path, name: str) -> Settings:
    return Settings(root / "sim" / "events", root / "sim" / "experiments.yml", root / f"{name}.duckdb",
                    root / f"reports-{name}")


def new_dagster_home(folder: Path) -> Path:
    """A Dagster instance of its own, configured as the project's (dagster_home/dagster.yaml)."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", folder / "dagster.yaml")
    return folder


def progress(home: Path) -> tuple[list[dg.DagsterRun], int]:
    """The runs of the instance in ``home`` and how many steps of them have succeeded."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = list(instance.get_runs())
        done = sum(len(instance.all_logs(r.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)) for r in runs)
    return runs, done


@pytest.mark.parametrize("seed", [1])
def test_killed_run_then_rerun_equals_uninterrupted_run(tmp_path: Path, seed: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    simulate(tmp_path / "sim", users=6_000, days=14, seed=5)
    clean_home = new_dagster_home(tmp_path / "clean-instance")
    monkeypatch.setenv("DAGSTER_HOME", str(clean_home))
    run(settings(tmp_path, "clean"))
    clean_runs, clean_steps = progress(clean_home)
    assert {r.status for r in clean_runs} == {dg.DagsterRunStatus.SUCCESS} and clean_steps >= 3

    # kill after a random number of finished steps: at least one done, at least one still to come
    kill_after = random.Random(seed).randint(1, clean_steps - 1)
    killed_home = new_dagster_home(tmp_path / "killed-instance")
    interrupted = settings(tmp_path, "killed")
    stderr = tmp_path / "killed-stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--events", str(interrupted.events_root), "--registry",
             str(interrupted.registry), "--warehouse", str(interrupted.warehouse), "--reports",
             str(interrupted.reports_dir)],
            stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "DAGSTER_HOME": str(killed_home)},
        )
        deadline = time.monotonic() + 600
        while True:
            runs, done = progress(killed_home)
            in_progress = [r for r in runs if r.status == STARTED]
            if in_progress and done >= kill_after:
                break
            assert proc.poll() is None, f"`nudge run` ended before the kill: {stderr.read_text()}"
            assert time.monotonic() < deadline, "no run in progress with enough finished steps in time"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the process had already ended when the kill was sent"

    # the evidence that the kill landed mid-run: a run the instance still shows as started, and fewer steps
    # done than the clean run's
    runs, done = progress(killed_home)
    (killed_run,) = [r for r in runs if r.status == STARTED]
    assert kill_after <= done < clean_steps

    monkeypatch.setenv("DAGSTER_HOME", str(killed_home))
    run(interrupted)
    with dg.DagsterInstance.from_config(str(killed_home)) as instance:
        record = instance.get_run_by_id(killed_run.run_id)
        assert record is not None and record.status == dg.DagsterRunStatus.FAILURE  # released by the re-run
    assert snapshot(interrupted.warehouse) == snapshot(tmp_path / "clean.duckdb")
