"""The reference scan of target 1: one DuckDB pass over the Parquet files, timed inside the process (best of 3).

    python bench/workers/scan.py EVENTS_ROOT
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

QUERY = ("SELECT event_type, count(*), count(DISTINCT user_id) FROM read_parquet($files, union_by_name = true) "
         "GROUP BY 1")


def main() -> None:
    files = sorted(str(p) for p in Path(sys.argv[1]).glob("dt=*/*.parquet"))
    con = duckdb.connect()
    runs = []
    for _ in range(3):  # the fastest of three (warm file cache): the stricter yardstick
        started = time.perf_counter()
        rows = con.execute(QUERY, {"files": files}).fetchall()
        runs.append(time.perf_counter() - started)
    print(json.dumps({"seconds": min(runs), "runs": runs, "events": sum(r[1] for r in rows), "files": len(files)}))


if __name__ == "__main__":
    main()
