"""DuckDB's own JSON reader, the yardstick of target 2: read_ndjson with the contract's schema given
explicitly (no inference) into a table of a fresh database file, timed inside the process.

    python bench/workers/ndjson_baseline.py FILE_LIST.json DATABASE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import duckdb  # noqa: E402

from pipelines.contract import FIELDS  # noqa: E402


def main() -> None:
    files = json.loads(Path(sys.argv[1]).read_text())
    target = Path(sys.argv[2])
    for f in (target, target.with_suffix(target.suffix + ".wal")):
        f.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET TimeZone = 'UTC'").fetchall()
    columns = {f.name: ("TIMESTAMPTZ" if f.kind == "timestamp" else f.sql_type) for f in FIELDS}
    started = time.perf_counter()
    con.execute(
        "CREATE TABLE events AS SELECT * FROM read_ndjson($files, columns = $columns, ignore_errors = true, "
        "format = 'newline_delimited')",
        {"files": files, "columns": columns},
    ).fetchall()
    con.execute("CHECKPOINT").fetchall()
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    con.close()
    print(json.dumps({"seconds": seconds, "rows": rows, "files": len(files)}))


if __name__ == "__main__":
    main()
