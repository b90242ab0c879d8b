"""The least work target 1 allows, next to its reference scan: how far below 3 × the scan can `nudge run` get?

    python bench/workers/floor.py EVENTS_ROOT

The contract requires every value of every row to be checked (bad rows are quarantined with a reason) and
every event counted once (at-least-once delivery). A lower bound on that work is one DuckDB pass that reads
every contract field's value (the longest string, the largest number or time, any true boolean: cheap
aggregates that still need every value) and counts the distinct event ids — no validation logic, no
outcomes, no metrics, nothing written. Both queries run in this process on the same
files, each the fastest of three (warm file cache).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scan import QUERY as REFERENCE  # noqa: E402

from pipelines.contract import FIELDS  # noqa: E402

SOURCE = "read_parquet($files, union_by_name = true)"


def _touch(kind: str, name: str) -> str:
    return {"string": f"max(length({name}))", "boolean": f"bool_or({name})"}.get(kind, f"max({name})")


FLOOR = ("SELECT count(DISTINCT event_id), " + ", ".join(_touch(f.kind, f.name) for f in FIELDS) + f" FROM {SOURCE}")


def best_of_three(con: duckdb.DuckDBPyConnection, query: str, files: list[str]) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        con.execute(query, {"files": files}).fetchall()
        runs.append(time.perf_counter() - started)
    return min(runs)


def main() -> None:
    files = sorted(str(p) for p in Path(sys.argv[1]).glob("dt=*/*.parquet"))
    con = duckdb.connect()
    reference = best_of_three(con, REFERENCE, files)
    floor = best_of_three(con, FLOOR, files)
    print(json.dumps({"reference_seconds": reference, "floor_seconds": floor, "ratio": floor / reference,
                      "fields": len(FIELDS), "files": len(files)}))


if __name__ == "__main__":
    main()
