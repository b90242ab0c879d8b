"""Run one command in a subprocess and measure it: wall time and peak RSS of the whole process tree.

The peak is sampled (every 20 ms) as the sum of the resident set sizes of the process and all its
descendants, so a child that DuckDB or Dagster might start is counted too. `ru_maxrss` of the children
(the largest single process, from the kernel) is recorded alongside as a cross-check: sampling can miss a
spike shorter than the interval, the kernel figure cannot.

A worker that prints one JSON object as its last stdout line (e.g. the timing of its measured section)
gets it parsed into ``result["report"]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
NUDGE = str(ROOT / ".venv" / "bin" / "nudge")


@dataclass
class Measured:
    command: list[str]
    seconds: float
    peak_rss_bytes: int  # sampled sum over the process tree
    max_single_rss_bytes: int  # kernel's ru_maxrss of the largest finished child
    exit_code: int
    report: dict[str, Any] | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["peak_rss_gib"] = round(self.peak_rss_gib, 3)
        return d


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        interval: float = 0.02, check: bool = True) -> Measured:
    """Run ``command`` to completion; raise (when ``check``) if it fails."""
    full_env = {**os.environ, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=full_env, cwd=str(cwd or ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(ps))
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = None
    lines = [line for line in out.strip().splitlines() if line.strip()]
    if lines and lines[-1].startswith("{"):
        try:
            report = json.loads(lines[-1])
        except json.JSONDecodeError:
            report = None
    # ru_maxrss of the children is a running maximum: it tells this child's peak only when it grew
    m = Measured(command, seconds, peak, after * 1024 if after > before else 0, proc.returncode, report,
                 out[-2000:], err[-4000:])
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{err[-4000:]}")
    return m


def machine() -> dict[str, Any]:
    import platform

    import duckdb

    mem = psutil.virtual_memory()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem.total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
