"""Run `nudge run` as a user would (a subprocess) and read back what the invariants need.

The child's peak resident memory is the high-water mark of its own address space (``VmHWM`` in
``/proc/<pid>/status``), read every 20 ms while it runs: a high-water mark only grows, so the last reading holds
every peak but one in the child's final 20 ms. Not ``ru_maxrss``: Linux keeps it across ``execve``, so a child
forked from a large test process (after the Spark tests, say) reported the parent's size; nor
``getrusage(RUSAGE_CHILDREN)``, the maximum over every child the test process ever had. ``ru_maxrss`` from
``os.wait4`` only stands in where no reading was taken (not on Linux).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tests.hostile.generator import CANARY_NEEDLES, Built

#: How far above ``--memory-limit`` a run's peak RSS may go (stated in the README): DuckDB's limit covers its
#: buffer manager only; the Python interpreter, Dagster, pyarrow/polars and the JSON lines being staged come on
#: top. The suite's runs peak 190–450 MiB above their limit (315–410 MiB at 128 MB, 480–515 MiB at 64 MB under
#: spill pressure); a 160 MiB gzip bomb inflated whole (main, issue 14 defect 3) reaches about 890 MiB.
MEMORY_MARGIN_BYTES = 640 << 20
#: A run that has not ended after this long is killed and reported as hung (a guard, not an assertion on time).
HANG_GUARD_SECONDS = 300
_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def limit_bytes(limit: str) -> int:
    """DuckDB's reading of a memory limit such as ``128MB`` (decimal) or ``1GiB`` (binary)."""
    text = limit.strip().upper()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * _UNITS[unit])
    return int(text)


@dataclass(frozen=True)
class Outcome:
    returncode: int  # negative: killed by that signal
    stdout: str
    stderr: str
    peak_rss: int  # bytes
    hung: bool = False  # killed by the hang guard
    killed: bool = False  # sent SIGKILL because ``kill_when`` said so


def nudge_run(built: Built, warehouse: Path, reports: Path, memory_limit: str,
              kill_when: Callable[[int], bool] | None = None) -> Outcome:
    """`nudge run` on ``built``; sent SIGKILL as soon as ``kill_when(pid)`` is true, if given."""
    # kept beside the warehouse, so that the canary search of its folder reads what the run printed too
    out, err = warehouse.parent / "stdout.txt", warehouse.parent / "stderr.txt"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "NUDGE_MEMORY_LIMIT")}
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--events", str(built.events_root),
             "--registry", str(built.registry), "--warehouse", str(warehouse), "--reports", str(reports),
             "--memory-limit", memory_limit],
            stdout=o, stderr=e, env=env)
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    hung = False
    high_water: int | None = None
    while True:
        high_water = _high_water_mark(proc.pid) or high_water
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        hung = time.monotonic() > deadline
        if hung or (kill_when is not None and kill_when(proc.pid)):
            os.kill(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    killed = proc.returncode == -signal.SIGKILL and not hung and kill_when is not None
    return Outcome(proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
                   high_water or usage.ru_maxrss * 1024, hung, killed)


def _high_water_mark(pid: int) -> int | None:
    """Bytes of the peak resident memory of the process ``pid``'s address space so far (``VmHWM``); None where
    it cannot be read (not Linux, or the process has just ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def files_with_canary(*folders: Path) -> list[str]:
    """Every file under ``folders`` (DuckDB's ``<warehouse>.tmp`` spill folder included when it is there)
    whose bytes or name hold a canary, with what was found."""
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if any(n.decode("latin-1") in path.name for n in CANARY_NEEDLES[:1]):
                found.append(f"{path}: in the name")
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}: {n!r}" for n in CANARY_NEEDLES if n in data]
    return found


@dataclass(frozen=True)
class FileCount:
    events: int
    quarantined: int  # line-level quarantine rows (file-level findings have no line number)
    distinct_lines: int  # distinct line numbers over both: each line once


def counts_per_file(warehouse: Path) -> dict[str, FileCount]:
    """Per source file (``dt=…/name``): its rows in ``raw_events`` and line rows in ``quarantined_events``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("""
            WITH lines AS (
              SELECT source_file, line_no, 1 AS ev, 0 AS q FROM raw_events
              UNION ALL
              SELECT source_file, line_no, 0, 1 FROM quarantined_events WHERE line_no IS NOT NULL)
            SELECT source_file, sum(ev), sum(q), count(DISTINCT line_no) FROM lines GROUP BY 1""").fetchall()
    finally:
        con.close()
    return {str(f): FileCount(int(e), int(q), int(d)) for f, e, q, d in rows}


def one_line_failure(outcome: Outcome) -> str | None:
    """Why ``outcome`` is neither a finished run nor a failure with a one-line cause (None when it is one)."""
    if outcome.hung:
        return "the run did not end (killed by the hang guard)"
    if outcome.returncode < 0:
        return f"the run died of signal {-outcome.returncode}"
    if "Traceback" in outcome.stderr:
        return f"a traceback on stderr:\n{outcome.stderr[-3000:]}"
    if outcome.returncode == 0:
        return None
    errors = [x for x in outcome.stderr.splitlines() if not x.startswith("nudge: warning:")]
    if len(errors) != 1 or not errors[0].startswith("nudge: error: "):
        return f"exit {outcome.returncode} without one `nudge: error:` line:\n{outcome.stderr[-3000:]}"
    return None
