"""From per-arm sufficient statistics to the results-v1 tables, with the pure statistics library.

Input: rows of ``arm_statistics`` and ``sample_ratio_counts`` (tiny: a few per arm, metric and segment).
Output: the rows of ``experiment_results`` and ``sample_ratio_checks``. No database, no Dagster.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.metrics import BY_ID, Metric
from pipelines.registry import Experiment
from pipelines.stats import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    bayesian_compare,
    benjamini_hochberg,
    compare,
    confidence_sequence,
    holm,
    sample_ratio_check,
)

ALPHA = 0.05
SEQUENTIAL_TUNING_N = 10_000  # users (both arms) at which the confidence sequence is tightest

Row = Mapping[str, Any]

#: Columns of experiment_results (results-v1 first, then our additions) and sample_ratio_checks.
RESULT_TYPES = {
    "experiment_id": "VARCHAR", "metric": "VARCHAR", "segment_dim": "VARCHAR", "segment_value": "VARCHAR",
    "variant": "VARCHAR", "control": "VARCHAR", "units_control": "BIGINT", "units_variant": "BIGINT",
    "value_control": "DOUBLE", "value_variant": "DOUBLE", "diff": "DOUBLE", "diff_ci_low": "DOUBLE",
    "diff_ci_high": "DOUBLE", "rel_diff": "DOUBLE", "p_value": "DOUBLE", "p_value_adjusted": "DOUBLE",
    "method": "VARCHAR", "seq_ci_low": "DOUBLE", "seq_ci_high": "DOUBLE", "rel_ci_low": "DOUBLE",
    "rel_ci_high": "DOUBLE", "se": "DOUBLE", "variance_reduction": "DOUBLE", "chance_to_beat_control": "DOUBLE",
    "expected_loss": "DOUBLE", "adjustment": "VARCHAR", "decision": "VARCHAR", "guardrail_status": "VARCHAR",
}

SRM_TYPES = {
    "experiment_id": "VARCHAR", "segment_dim": "VARCHAR", "segment_value": "VARCHAR",
    "assigned_users": "VARCHAR", "planned_split": "VARCHAR", "total_users": "BIGINT", "chi_square": "DOUBLE",
    "degrees_of_freedom": "INTEGER", "p_value": "DOUBLE", "passed": "BOOLEAN",
}



def statistic(metric: Metric, row: Row) -> Any:
    """The sufficient statistic of one arm for a catalogue metric."""
    n = int(row["n"])
    if metric.kind == "ratio":
        return RatioStatistic(n, row["m_sum"], row["m_sum_squares"], row["d_sum"], row["d_sum_squares"],
                              row["m_d_sum_of_products"])
    if metric.kind == "proportion":
        return ProportionStatistic(n, row["m_sum"])
    if metric.pre is not None and row.get("pre_sum") is not None:
        return RegressionAdjustedStatistic(n, row["m_sum"], row["m_sum_squares"], row["pre_sum"],
                                           row["pre_sum_squares"], row["m_pre_sum_of_products"])
    return SampleMeanStatistic(n, row["m_sum"], row["m_sum_squares"])


@dataclass(frozen=True)
class _Key:
    experiment_id: str
    metric: str
    segment_dim: str
    segment_value: str


def experiment_results(arm_rows: Iterable[Row], experiments: Sequence[Experiment]) -> list[dict[str, Any]]:
    """One result per (experiment, metric, segment, treatment arm) present in ``arm_rows``."""
    by_key: dict[_Key, dict[str, Row]] = {}
    for r in arm_rows:
        key = _Key(r["experiment_id"], r["metric"], r["segment_dim"], r["segment_value"])
        by_key.setdefault(key, {})[r["variant"]] = r
    registry = {e.id: e for e in experiments}
    out: list[dict[str, Any]] = []
    for key, arms in sorted(by_key.items(), key=lambda kv: (kv[0].experiment_id, kv[0].metric,
                                                            kv[0].segment_dim, kv[0].segment_value)):
        exp = registry.get(key.experiment_id)
        if exp is None or key.metric not in BY_ID:
            continue
        metric = BY_ID[key.metric]
        for variant in exp.treatments:
            control_row, variant_row = arms.get(exp.control), arms.get(variant)
            if control_row is None or variant_row is None:
                continue  # an arm with no units in this segment: nothing to compare
            out.append(_one_result(key, exp, metric, variant, control_row, variant_row))
    _adjust(out)
    return out


def _one_result(key: _Key, exp: Experiment, metric: Metric, variant: str, control_row: Row,
                variant_row: Row) -> dict[str, Any]:
    est = compare(statistic(metric, control_row), statistic(metric, variant_row), alpha=ALPHA)
    n_total = est.units_control + est.units_variant
    seq_low, seq_high = (math.nan, math.nan)
    if math.isfinite(est.se) and n_total > 0:
        seq_low, seq_high = confidence_sequence(est.diff, est.se, n_total, alpha=ALPHA, tuning_n=SEQUENTIAL_TUNING_N)
    chance, loss = math.nan, math.nan
    if math.isfinite(est.se) and est.se > 0:
        bayes = bayesian_compare(est.diff, est.se, higher_is_better=metric.higher_is_better)
        chance, loss = bayes.chance_to_beat_control, bayes.expected_loss
    guardrail = None
    if metric.guardrail:
        guardrail = _guardrail_status(est.rel_ci_low, exp.guardrail_margin)
    return {
        "experiment_id": key.experiment_id, "metric": key.metric, "segment_dim": key.segment_dim,
        "segment_value": key.segment_value, "variant": variant, "control": exp.control,
        "units_control": est.units_control, "units_variant": est.units_variant,
        "value_control": est.value_control, "value_variant": est.value_variant,
        "diff": est.diff, "diff_ci_low": est.ci_low, "diff_ci_high": est.ci_high,
        "rel_diff": est.rel_diff, "p_value": est.p_value, "p_value_adjusted": None, "method": est.method,
        "seq_ci_low": seq_low, "seq_ci_high": seq_high, "rel_ci_low": est.rel_ci_low,
        "rel_ci_high": est.rel_ci_high, "se": est.se, "variance_reduction": est.variance_reduction,
        "chance_to_beat_control": chance, "expected_loss": loss, "adjustment": None, "decision": None,
        "guardrail_status": guardrail,
    }


def _guardrail_status(rel_ci_low: float | None, margin: float) -> str:
    """Non-inferiority: held when the whole relative interval lies above the margin (e.g. -2 %)."""
    if rel_ci_low is None or not math.isfinite(rel_ci_low):
        return "unknown"
    return "held" if rel_ci_low > margin else "not_shown"


def _adjust(results: list[dict[str, Any]]) -> None:
    """Fill p_value_adjusted, the family it was adjusted in, and the decision.

    Families: Holm across treatment arms × primary metrics (overall); Holm across arms for every other
    metric (overall); Benjamini–Hochberg across all segment values × arms of a metric (segments).
    """
    families: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in results:
        metric = BY_ID[r["metric"]]
        if r["segment_dim"] == "all" and metric.primary:
            fam: tuple[str, ...] = (r["experiment_id"], "holm", "primary metrics × arms")
        elif r["segment_dim"] == "all":
            fam = (r["experiment_id"], "holm", f"arms of {r['metric']}")
        else:
            fam = (r["experiment_id"], "bh", f"{r['segment_dim']} segments × arms of {r['metric']}",
                   r["segment_dim"], r["metric"])
        families.setdefault(fam, []).append(r)
    for fam, rows in families.items():
        pvals = [r["p_value"] if r["p_value"] is not None else math.nan for r in rows]
        adjusted = holm(pvals) if fam[1] == "holm" else benjamini_hochberg(pvals)
        name = ("Holm" if fam[1] == "holm" else "Benjamini–Hochberg") + ": " + fam[2]
        for r, p in zip(rows, adjusted, strict=True):
            r["p_value_adjusted"] = p
            r["adjustment"] = name
            r["decision"] = decision(r)


def decision(r: Row) -> str:
    """win / harm / no_evidence for one result.

    The rule: the Holm/BH-adjusted fixed-horizon p-value is below 5 % AND the always-valid (sequential)
    interval excludes zero — so a nightly re-analysis cannot turn noise into a win by peeking. The sign of
    the effect and the metric's good direction decide between win and harm.
    """
    p, low, high, diff = r["p_value_adjusted"], r["seq_ci_low"], r["seq_ci_high"], r["diff"]
    if any(v is None or not math.isfinite(v) for v in (p, low, high, diff)):
        return "no_evidence"
    if p >= ALPHA or low <= 0 <= high:
        return "no_evidence"
    good = (diff > 0) == BY_ID[r["metric"]].higher_is_better
    return "win" if good else "harm"


DAILY_TYPES = {
    "experiment_id": "VARCHAR", "metric": "VARCHAR", "as_of": "DATE", "variant": "VARCHAR", "control": "VARCHAR",
    "units_control": "BIGINT", "units_variant": "BIGINT", "value_control": "DOUBLE", "value_variant": "DOUBLE",
    "diff": "DOUBLE", "diff_ci_low": "DOUBLE", "diff_ci_high": "DOUBLE", "seq_ci_low": "DOUBLE",
    "seq_ci_high": "DOUBLE", "p_value": "DOUBLE",
}


def daily_results(daily_rows: Iterable[Row], experiments: Sequence[Experiment]) -> list[dict[str, Any]]:
    """The effect as it stood after each experiment day, with its fixed-horizon interval (valid only for a
    single look) and the always-valid interval (valid at every look) — the picture of the nightly peeking."""
    grouped: dict[tuple[str, str, Any], dict[str, Row]] = {}
    for r in daily_rows:
        grouped.setdefault((r["experiment_id"], r["metric"], r["as_of"]), {})[r["variant"]] = r
    registry = {e.id: e for e in experiments}
    out = []
    for (exp_id, metric_id, as_of), arms in sorted(grouped.items()):
        exp = registry.get(exp_id)
        if exp is None or exp.control not in arms:
            continue
        metric = BY_ID[metric_id]
        for variant in exp.treatments:
            if variant not in arms:
                continue
            est = compare(statistic(metric, arms[exp.control]), statistic(metric, arms[variant]), alpha=ALPHA)
            n_total = est.units_control + est.units_variant
            seq = (math.nan, math.nan)
            if math.isfinite(est.se) and n_total > 0:
                seq = confidence_sequence(est.diff, est.se, n_total, alpha=ALPHA, tuning_n=SEQUENTIAL_TUNING_N)
            out.append({
                "experiment_id": exp_id, "metric": metric_id, "as_of": as_of, "variant": variant,
                "control": exp.control, "units_control": est.units_control, "units_variant": est.units_variant,
                "value_control": est.value_control, "value_variant": est.value_variant, "diff": est.diff,
                "diff_ci_low": est.ci_low, "diff_ci_high": est.ci_high, "seq_ci_low": seq[0],
                "seq_ci_high": seq[1], "p_value": est.p_value,
            })
    return out


def sample_ratio_checks(counts: Iterable[Row]) -> list[dict[str, Any]]:
    """One check per (experiment, segment) of assigned users against the registry's planned split."""
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for r in counts:
        groups.setdefault((r["experiment_id"], r["segment_dim"], r["segment_value"]), []).append(r)
    out = []
    for (exp_id, dim, value), rows in sorted(groups.items()):
        observed = {r["variant"]: int(r["users"]) for r in rows}
        planned = {r["variant"]: float(r["planned_share"]) for r in rows}
        total = sum(observed.values())
        if total == 0:
            check_stat, p, passed = math.nan, math.nan, True
        else:
            check = sample_ratio_check(observed, planned)
            check_stat, p, passed = check.statistic, check.p_value, check.passed
        out.append({
            "experiment_id": exp_id, "segment_dim": dim, "segment_value": value,
            "assigned_users": json.dumps(observed), "planned_split": json.dumps(planned),
            "total_users": total, "chi_square": check_stat, "degrees_of_freedom": len(observed) - 1,
            "p_value": p, "passed": passed,
        })
    return out
