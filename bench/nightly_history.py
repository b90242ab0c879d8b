"""Issue 18: does a night's work grow with the experiment's history?

    python bench/nightly_history.py [--data /tmp/nudge-nightly] [--users 20000] [--history 60] [--repeats 3]
                                    [--checkout DIR]

One simulated log (Parquet). Two warehouses are built once: one holding the arrival date just before the new
one ("1"), one holding the `--history` dates before it ("N"). Then the same new arrival date is processed on a
fresh copy of each, as a whole `nudge run` process, alternating 1, N, 1, N, … `--repeats` times each; the
figure is the median. The same is repeated with bench/profile_steps.py (`--dates NEW`: the warehouse steps
one by one in one process, no Dagster) to see which steps grow with history. Finally the fixed start-up cost:
`nudge --help` (imports of the command line) and importing `pipelines.definitions` (Dagster and every asset),
median of three processes each.

`--checkout DIR` measures another checkout of the project (its .venv and bench/profile_steps.py), e.g. the
main branch before a change. Prints one JSON object (also written to DATA/nightly-<label>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import ROOT, machine, run  # noqa: E402
from run_all import simulate  # noqa: E402


def _copy_warehouse(base: Path, target: Path) -> Path:
    for suffix in ("", ".wal"):
        dst = Path(str(target) + suffix)
        dst.unlink(missing_ok=True)
        src = Path(str(base) + suffix)
        if src.exists():
            shutil.copyfile(src, dst)
    return target


def _link(root: Path, source: Path, dates: list[str]) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for d in dates:  # hard links: a symbolic link out of the events root is refused (docs/definitions.md §1)
        (root / d).mkdir()
        for f in (source / d).iterdir():
            os.link(f, root / d / f.name)
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/tmp/nudge-nightly")
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--history", type=int, default=60)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--checkout", default=str(ROOT), help="the project checkout to measure (default: this one)")
    p.add_argument("--label", default="this")
    args = p.parse_args()
    data, checkout, history = Path(args.data), Path(args.checkout), args.history
    nudge, python = str(checkout / ".venv/bin/nudge"), str(checkout / ".venv/bin/python")
    data.mkdir(parents=True, exist_ok=True)
    days = history + 2 - 14 if history + 2 > 14 else 1  # experiment days; the log also holds 14 pre-period days
    sim = simulate(data / f"log-{args.users}", args.users, days, "parquet")
    source, registry = data / f"log-{args.users}" / "events", data / f"log-{args.users}" / "experiments.yml"
    dates = sorted(p.name for p in source.iterdir() if p.name.startswith("dt="))
    new = dates[history]
    work = data / args.label
    work.mkdir(exist_ok=True)
    loads = {"1": dates[history - 1: history], "N": dates[:history]}
    out: dict[str, Any] = {"checkout": str(checkout), "machine": machine(), "users": args.users,
                           "history_dates": history, "new_date": new[3:], "delivered_rows": sim["delivered_rows"],
                           "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}

    def nudge_run(root: Path, warehouse: Path) -> float:
        return run([nudge, "run", "--events", str(root), "--registry", str(registry), "--warehouse",
                    str(warehouse), "--reports", str(work / "reports")], cwd=checkout).seconds

    base: dict[str, Path] = {}
    for label, loaded in loads.items():
        base[label] = _copy_warehouse(Path("/nonexistent"), work / f"base-{label}.duckdb")
        seconds = nudge_run(_link(work / f"root-base-{label}", source, loaded), base[label])
        out[f"setup_{label}"] = round(seconds, 2)
        _link(work / f"root-{label}", source, [*loaded, new])

    runs: dict[str, list[float]] = {"1": [], "N": []}
    steps: dict[str, list[dict[str, float]]] = {"1": [], "N": []}
    for _ in range(args.repeats):
        for label in ("1", "N"):
            wh = _copy_warehouse(base[label], work / f"night-{label}.duckdb")
            runs[label].append(nudge_run(work / f"root-{label}", wh))
    for _ in range(args.repeats):
        for label in ("1", "N"):
            wh = _copy_warehouse(base[label], work / f"night-{label}.duckdb")
            m = run([python, str(checkout / "bench/profile_steps.py"), "--events", str(source), "--registry",
                     str(registry), "--warehouse", str(wh), "--dates", new[3:], "--json"], cwd=checkout)
            assert m.report is not None
            steps[label].append({**m.report["steps"], "total": m.report["total"]})
    out["nudge_run_seconds"] = {k: [round(s, 2) for s in v] for k, v in runs.items()}
    out["nudge_run_median"] = {k: round(statistics.median(v), 2) for k, v in runs.items()}
    out["ratio"] = round(out["nudge_run_median"]["N"] / out["nudge_run_median"]["1"], 2)
    out["steps_median"] = {
        label: {name: round(statistics.median(s.get(name, 0.0) for s in samples), 3)
                for name in dict.fromkeys(n for s in samples for n in s)}
        for label, samples in steps.items()
    }
    startup = {
        "nudge --help": [run([nudge, "--help"], cwd=checkout).seconds for _ in range(3)],
        "import pipelines.definitions": [run([python, "-c", "import pipelines.definitions"], cwd=checkout).seconds
                                         for _ in range(3)],
    }
    out["startup_median"] = {k: round(statistics.median(v), 2) for k, v in startup.items()}
    (data / f"nightly-{args.label}.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
