"""The reference scan of target 1: one DuckDB pass over the Parquet files, timed inside the process.

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
    started = time.perf_counter()
    rows = con.execute(QUERY, {"files": files}).fetchall()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "events": sum(r[1] for r in rows), "files": len(files)}))


if __name__ == "__main__":
    main()
