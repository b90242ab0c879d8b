"""Does the effect differ between segments? The rows of ``segment_heterogeneity`` (results-v1 §3).

One row per (experiment, metric, segment dimension, treatment arm): Cochran's Q over the effects of the
dimension's values in ``experiment_results`` (pipelines.stats.heterogeneity), using only the segments with a
valid estimate - a normal-approximation test (delta method, Welch, CUPED, z) with a positive standard error. A
segment with too few events, or tested exactly, has no variance on the scale Q needs and is left out (counted in
``segments_total`` but not in ``segments``). The p-values are adjusted by Holm over all rows of an experiment:
a difference is claimed only where it survives every dimension, metric and arm looked at. No database, no
Dagster: rows in, rows out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.stats import cochran_q, holm

Row = Mapping[str, Any]

#: The tests whose estimate and standard error are normal approximations (``method`` starts with one of them).
NORMAL_TESTS = ("delta_method", "welch_t", "cuped_welch_t", "z_test")
ADJUSTMENT = "Holm over all rows of the experiment"

HETEROGENEITY_TYPES = {
    "experiment_id": "VARCHAR", "metric": "VARCHAR", "segment_dim": "VARCHAR", "variant": "VARCHAR",
    "statistic": "DOUBLE", "df": "INTEGER", "p_value": "DOUBLE", "p_value_adjusted": "DOUBLE", "method": "VARCHAR",
    "segments": "INTEGER", "segments_total": "INTEGER", "pooled_diff": "DOUBLE", "adjustment": "VARCHAR",
}


def valid_estimate(r: Row) -> bool:
    """A segment's effect can enter Q: a normal-approximation test with a finite effect and positive SE."""
    method = str(r.get("method") or "")
    if method.split(" ")[0] not in NORMAL_TESTS or "(undefined" in method:
        return False
    diff, se = r.get("diff"), r.get("se")
    return isinstance(diff, int | float) and isinstance(se, int | float) and math.isfinite(diff) \
        and math.isfinite(se) and se > 0


def segment_heterogeneity(results: Iterable[Row]) -> list[dict[str, Any]]:
    """Cochran's Q per (experiment, metric, segment dimension, arm) over the rows of ``experiment_results``."""
    groups: dict[tuple[str, str, str, str], list[Row]] = {}
    for r in results:
        if r["segment_dim"] == "all":
            continue
        groups.setdefault((r["experiment_id"], r["metric"], r["segment_dim"], r["variant"]), []).append(r)
    out: list[dict[str, Any]] = []
    for (exp_id, metric, dim, variant), rows in sorted(groups.items()):
        valid = [r for r in rows if valid_estimate(r)]
        test = cochran_q([float(r["diff"]) for r in valid], [float(r["se"]) for r in valid])
        out.append({
            "experiment_id": exp_id, "metric": metric, "segment_dim": dim, "variant": variant,
            "statistic": test.statistic, "df": test.df, "p_value": test.p_value, "p_value_adjusted": None,
            "method": test.method, "segments": test.segments, "segments_total": len(rows),
            "pooled_diff": test.pooled_effect, "adjustment": ADJUSTMENT,
        })
    by_experiment: dict[str, list[dict[str, Any]]] = {}
    for row in out:
        by_experiment.setdefault(row["experiment_id"], []).append(row)
    for family in by_experiment.values():
        for row, p in zip(family, holm([r["p_value"] for r in family]), strict=True):
            row["p_value_adjusted"] = p
    return out
