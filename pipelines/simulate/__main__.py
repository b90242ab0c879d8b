"""`python -m pipelines.simulate --out DIR [--users N] [--days D] [--seed S] [--format jsonl|parquet] [--clean]`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .core import simulate
from .dirt import Dirt


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, simulate, print a one-paragraph summary."""
    p = argparse.ArgumentParser(prog="python -m pipelines.simulate", description=__doc__)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    p.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 5))
    p.add_argument("--clean", action="store_true", help="no dirt: every event once, on time, valid")
    a = p.parse_args(argv)
    s = simulate(
        a.out,
        users=a.users,
        days=a.days,
        seed=a.seed,
        fmt=a.format,
        dirt=Dirt.none() if a.clean else Dirt(),
        start=a.start,
    )
    print(
        f"{s.valid_events:,} valid events, {s.delivered_rows:,} rows in {len(s.files)} files "
        f"under {s.events_dir} in {s.seconds:.1f} s; registry {s.registry_path}; truth {s.truth_path}"
    )


if __name__ == "__main__":
    main()
