"""Time each SQL step of `nudge run` without Dagster, to see where the time goes.

    python bench/profile_steps.py --events DIR/events --registry DIR/experiments.yml --warehouse /tmp/w.duckdb \
        [--memory-limit 3GB] [--explain events]

Runs the same warehouse functions as the assets, in the same order (raw layer per arrival date, then every
rebuild), and prints seconds per step. `--explain NAME` prints EXPLAIN ANALYZE of each statement of
sql/NAME.sql (run on the finished warehouse).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from pipelines import engine, tables  # noqa: E402
from pipelines.raw import ingest, warehouse  # noqa: E402
from pipelines.registry import load_registry  # noqa: E402

#: After the raw layer, in the assets' order: duplicates (events + delivery_findings), then these rebuilds;
#: attempt_outcomes is brought up to date before triggered_attempts.
REBUILDS = ("assignments", "triggered_attempts", "experiment_findings", "user_metrics", "arm_statistics",
            "sample_ratio_counts", "daily_arm_statistics", "data_quality")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--warehouse", required=True)
    p.add_argument("--memory-limit", default=os.environ.get("NUDGE_MEMORY_LIMIT"))
    p.add_argument("--skip-raw", action="store_true", help="reuse the loaded raw layer")
    p.add_argument("--dates", help="comma-separated arrival dates (YYYY-MM-DD) to load on top of the existing "
                   "warehouse (the nightly case) instead of every date into a new one")
    p.add_argument("--explain", action="append", default=[])
    p.add_argument("--json", action="store_true", help="print the timings as one JSON object instead")
    args = p.parse_args()
    wh = Path(args.warehouse)
    if not args.skip_raw and not args.dates:
        for f in (wh, wh.with_suffix(wh.suffix + ".wal")):
            f.unlink(missing_ok=True)
    con = duckdb.connect(str(wh))
    warehouse.configure(con, memory_limit=args.memory_limit)
    warehouse.ensure_schema(con)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    if not args.skip_raw:
        t0 = time.perf_counter()
        dates = (args.dates.split(",") if args.dates
                 else ingest.arrival_dates(Path(args.events)))
        warehouse.load_arrival_dates(con, Path(args.events), dates)
        timings[f"raw_events ({args.dates or 'all dates'})"] = time.perf_counter() - t0
    tables.write_registry(con, load_registry(Path(args.registry)))
    t0 = time.perf_counter()
    _, mode = tables.resolve_duplicates(con)
    timings[f"events + delivery_findings ({mode})"] = time.perf_counter() - t0
    for name in REBUILDS:
        if name == "triggered_attempts":
            t0 = time.perf_counter()
            mode = tables.update_attempt_outcomes(con)
            timings[f"attempt_outcomes ({mode})"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tables.rebuild(con, name)
        timings[name] = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    if args.json:
        print(json.dumps({"steps": {k: round(v, 3) for k, v in timings.items()}, "total": round(total, 3)}))
    else:
        for k, v in timings.items():
            print(f"{v:8.2f}s  {k}")
        print(f"{total:8.2f}s  total")
    for name in args.explain:
        subs = tables.SUBSTITUTIONS.get(name, {})
        params = tables.PARAMETERS.get(name, {})
        for st in con.extract_statements(engine.sql_text(name, **subs)):
            print(f"--- EXPLAIN ANALYZE {name}")
            used = {k: v for k, v in params.items() if f"${k}" in st.query}
            for row in con.execute("EXPLAIN ANALYZE " + st.query, used).fetchall():
                print(row[1])
    con.close()


if __name__ == "__main__":
    main()
