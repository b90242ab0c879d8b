"""Check that two warehouses hold the same analysis: every table a run writes, compared row for row.

    python bench/compare_warehouses.py A.duckdb B.duckdb

Used to show that an optimisation changes nothing: build one warehouse with a reference commit (e.g. in a
`git worktree`) and one with the working tree, from the same logs, then compare. Rows are compared as sorted
multisets (tables are unordered); floating-point values must be equal to 1e-12 relative.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import duckdb

TABLES = ("events", "quarantined_events", "ingested_files", "delivery_findings", "assignments",
          "triggered_attempts", "experiment_findings", "user_metrics", "arm_statistics", "sample_ratio_counts",
          "daily_arm_statistics", "data_quality", "experiment_results", "daily_results", "sample_ratio_checks")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return bool(a == b)


def compare(path_a: str, path_b: str) -> list[str]:
    problems = []
    a = duckdb.connect(path_a, read_only=True)
    b = duckdb.connect(path_b, read_only=True)
    for t in TABLES:
        cols_a = [r[0] for r in a.execute(f"DESCRIBE {t}").fetchall()]
        cols_b = [r[0] for r in b.execute(f"DESCRIBE {t}").fetchall()]
        if cols_a != cols_b:
            problems.append(f"{t}: columns differ {cols_a} vs {cols_b}")
            continue
        query = f"SELECT * FROM {t} ORDER BY ALL"
        rows_a, rows_b = a.execute(query).fetchall(), b.execute(query).fetchall()
        if len(rows_a) != len(rows_b):
            problems.append(f"{t}: {len(rows_a)} vs {len(rows_b)} rows")
            continue
        bad = sum(1 for ra, rb in zip(rows_a, rows_b, strict=True)
                  if not all(_same(x, y) for x, y in zip(ra, rb, strict=True)))
        print(f"{t:24s} {len(rows_a):>10,} rows  {'same' if not bad else f'{bad} rows differ'}")
        if bad:
            problems.append(f"{t}: {bad} rows differ")
    return problems


if __name__ == "__main__":
    found = compare(sys.argv[1], sys.argv[2])
    for p in found:
        print("DIFF", p)
    sys.exit(1 if found else 0)
