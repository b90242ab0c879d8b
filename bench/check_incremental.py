"""Check that processing a log in pieces gives the same warehouse as one run over all of it.

    python bench/check_incremental.py EVENTS_ROOT REGISTRY WORKDIR

Builds a reference warehouse with one `nudge run` over every arrival date, then warehouses that saw the
dates in other orders and with re-loads: the newest half first and the older half later (first deliveries
move to an older date), the dates one batch at a time, and a partition re-loaded after a file of it changed.
Every table must equal the reference (bench/compare_warehouses.py). This exercises the incremental
first-delivery resolution (sql/raw/events.sql) and the skipping of unchanged partitions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_warehouses import compare  # noqa: E402
from measure import NUDGE  # noqa: E402


def nudge_run(root: Path, registry: Path, warehouse: Path, reports: Path) -> None:
    subprocess.run([NUDGE, "run", "--events", str(root), "--registry", str(registry), "--warehouse",
                    str(warehouse), "--reports", str(reports)], check=True, stdout=subprocess.DEVNULL)


def link_dates(root: Path, source: Path, dates: list[str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for d in dates:  # hard links: a symbolic link out of the events root is refused (docs/definitions.md §1)
        if not (root / d).exists():
            (root / d).mkdir()
            for f in (source / d).iterdir():
                os.link(f, root / d / f.name)


def main() -> None:
    source, registry, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    dates = sorted(p.name for p in source.iterdir() if p.name.startswith("dt="))
    reference = work / "reference.duckdb"
    nudge_run(source, registry, reference, work / "reports-reference")
    failures = []

    def check(name: str, warehouse: Path) -> None:
        print(f"--- {name}")
        problems = compare(str(reference), str(warehouse))
        failures.extend(f"{name}: {p}" for p in problems)

    half = len(dates) // 2
    # newest half first, then the older half: kept copies move to older arrival dates
    root = work / "root-reversed"
    link_dates(root, source, dates[half:])
    nudge_run(root, registry, work / "reversed.duckdb", work / "reports-reversed")
    link_dates(root, source, dates[:half])
    nudge_run(root, registry, work / "reversed.duckdb", work / "reports-reversed")
    check("newest half first", work / "reversed.duckdb")

    # in batches of five dates, oldest first (the nightly case)
    root = work / "root-batches"
    for i in range(0, len(dates), 5):
        link_dates(root, source, dates[: i + 5])
        nudge_run(root, registry, work / "batches.duckdb", work / "reports-batches")
    check("batches of five dates", work / "batches.duckdb")

    # a partition whose file changed (here: only its modification time) is read again; its rows were
    # decided before, so every event id is decided again
    copy = work / "copy"
    shutil.copytree(source, copy, symlinks=False)
    nudge_run(copy, registry, work / "reloaded.duckdb", work / "reports-reloaded")
    some_file = sorted((copy / dates[half]).iterdir())[0]
    st = some_file.stat()
    os.utime(some_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    nudge_run(copy, registry, work / "reloaded.duckdb", work / "reports-reloaded")
    check("partition re-loaded", work / "reloaded.duckdb")

    for f in failures:
        print("DIFF", f)
    print("all equal" if not failures else f"{len(failures)} differences")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
