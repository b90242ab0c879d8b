"""The project's raw layer alone (no Dagster): every arrival date of EVENTS_ROOT into a fresh warehouse.

    python bench/workers/ingest_json.py EVENTS_ROOT WAREHOUSE [MEMORY_LIMIT]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import duckdb  # noqa: E402

from pipelines.raw import ingest, warehouse  # noqa: E402


def main() -> None:
    root, target = Path(sys.argv[1]), Path(sys.argv[2])
    for f in (target, target.with_suffix(target.suffix + ".wal")):
        f.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    warehouse.configure(con, memory_limit=sys.argv[3] if len(sys.argv) > 3 else None)
    warehouse.ensure_schema(con)
    started = time.perf_counter()
    rows_read = rows_valid = 0
    for load in warehouse.load_arrival_dates(con, root, ingest.arrival_dates(root)):
        rows_read += load.rows_read
        rows_valid += load.rows_valid
    con.execute("CHECKPOINT").fetchall()
    seconds = time.perf_counter() - started
    con.close()
    print(json.dumps({"seconds": seconds, "rows_read": rows_read, "rows_valid": rows_valid}))


if __name__ == "__main__":
    main()
