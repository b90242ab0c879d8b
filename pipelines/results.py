"""From per-arm sufficient statistics to the results-v1 tables, with the pure statistics library.

Input: rows of ``arm_statistics`` and ``sample_ratio_counts`` (tiny: a few per arm, metric and segment).
Output: the rows of ``experiment_results`` (with each arm's verdict on its headline row) and
``sample_ratio_checks``. No database, no Dagster.
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
    EffectEstimate,
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    always_valid_p_value,
    arm_events,
    bayesian_compare,
    benjamini_hochberg,
    compare,
    compare_counts,
    confidence_sequence,
    holm,
    non_inferiority,
    sample_ratio_check,
)

ALPHA = 0.05
HEADLINE = "withdraw_or_change_rate"
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
    "seq_p_value": "DOUBLE", "events_control": "DOUBLE", "events_variant": "DOUBLE", "guardrail_margin": "DOUBLE",
    "guardrail_p_value": "DOUBLE", "verdict": "VARCHAR", "verdict_reasons": "VARCHAR",
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
    verdicts(out, experiments)
    return out


def estimate(metric: Metric, control: Row, variant: Row) -> tuple[EffectEstimate, Any, Any]:
    """The comparison of two arms' rows, by the rule for the metric's kind of count; and the two statistics."""
    c, v = statistic(metric, control), statistic(metric, variant)
    counts = metric.counts
    est = compare(c, v, alpha=ALPHA) if counts is None else compare_counts(c, v, counts=counts, alpha=ALPHA)
    return est, c, v


def normal_approximation(est: EffectEstimate) -> bool:
    """The estimate came from a normal-approximation test (not an exact test, not too few events)."""
    return est.sequential_p_value is None and math.isfinite(est.se) and est.se > 0


def sequential(est: EffectEstimate) -> tuple[float, float, float]:
    """(always-valid interval low, high, always-valid p-value): the confidence sequence for normal-approximation
    tests; for exact ones the beta-binomial mixture p-value and no interval."""
    if est.sequential_p_value is not None:
        return math.nan, math.nan, est.sequential_p_value
    n_total = est.units_control + est.units_variant
    if not normal_approximation(est) or n_total <= 0:
        return math.nan, math.nan, math.nan
    low, high = confidence_sequence(est.diff, est.se, n_total, alpha=ALPHA, tuning_n=SEQUENTIAL_TUNING_N)
    return low, high, always_valid_p_value(est.diff, est.se, n_total, alpha=ALPHA, tuning_n=SEQUENTIAL_TUNING_N)


def _events(metric: Metric, stat: Any) -> float:
    if metric.counts is None:
        return float(stat.sum)  # a proportion: the units with the outcome
    return arm_events(stat, metric.counts)


def _one_result(key: _Key, exp: Experiment, metric: Metric, variant: str, control_row: Row,
                variant_row: Row) -> dict[str, Any]:
    est, c_stat, v_stat = estimate(metric, control_row, variant_row)
    seq_low, seq_high, seq_p = sequential(est)
    chance, loss = math.nan, math.nan
    if normal_approximation(est):  # the Gaussian posterior rests on the same approximation
        bayes = bayesian_compare(est.diff, est.se, higher_is_better=metric.higher_is_better)
        chance, loss = bayes.chance_to_beat_control, bayes.expected_loss
    margin = exp.guardrails.get(metric.id)
    guardrail, guardrail_p = None, None
    if margin is not None:
        guardrail, guardrail_p = "unknown", math.nan
        if normal_approximation(est):
            ni = non_inferiority(est, margin, higher_is_better=metric.higher_is_better, alpha=ALPHA,
                                 tuning_n=SEQUENTIAL_TUNING_N)
            guardrail, guardrail_p = ni.status, ni.p_value
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
        "guardrail_status": guardrail, "seq_p_value": seq_p, "events_control": _events(metric, c_stat),
        "events_variant": _events(metric, v_stat), "guardrail_margin": margin, "guardrail_p_value": guardrail_p,
        "verdict": None, "verdict_reasons": None,
    }


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
    """win / harm / no_evidence / too_few_events for one result.

    The rule: the Holm/BH-adjusted fixed-horizon p-value is below 5 % AND the always-valid p-value is below 5 %
    (for a normal-approximation test: its confidence sequence excludes zero; for an exact test: the beta-binomial
    mixture) - so a nightly re-analysis cannot turn noise into a win by peeking. The sign of the effect and the
    metric's good direction decide between win and harm. With too few events to test there is no decision.
    """
    if str(r["method"]).startswith("too_few_events"):
        return "too_few_events"
    p, seq_p, diff = r["p_value_adjusted"], r["seq_p_value"], r["diff"]
    if any(v is None or not math.isfinite(v) for v in (p, seq_p, diff)):
        return "no_evidence"
    if p >= ALPHA or seq_p >= ALPHA:
        return "no_evidence"
    good = (diff > 0) == BY_ID[r["metric"]].higher_is_better
    return "win" if good else "harm"


def verdicts(results: list[dict[str, Any]], experiments: Sequence[Experiment]) -> None:
    """Fill ``verdict`` and ``verdict_reasons`` on each arm's headline row (segment 'all').

    * ``ship``: the headline is a clear win, no primary metric shows harm, and every guardrail held (shown not
      to have got worse than its margin);
    * ``do_not_ship``: a primary metric (the headline included) shows harm, or a guardrail is breached (shown
      worse than its margin);
    * ``inconclusive``: anything else - no evidence yet on the headline, or a guardrail not yet shown to hold.

    ``verdict_reasons`` says why, as codes separated by ``;``: ``headline_<decision>``, ``harm:<metric>``,
    ``guardrail_<status>:<metric>`` (held, not_shown, breached, unknown).
    """
    registry = {e.id: e for e in experiments}
    overall = {(r["experiment_id"], r["variant"], r["metric"]): r for r in results if r["segment_dim"] == "all"}
    for (exp_id, variant, metric), row in overall.items():
        if metric != HEADLINE or exp_id not in registry:
            continue
        reasons = [f"headline_{row['decision']}"]
        harm = sorted(m.id for m in BY_ID.values()
                      if m.primary and (overall.get((exp_id, variant, m.id)) or {}).get("decision") == "harm")
        reasons += [f"harm:{m}" for m in harm if m != HEADLINE]
        statuses = {}
        for guard in registry[exp_id].guardrails:
            statuses[guard] = (overall.get((exp_id, variant, guard)) or {}).get("guardrail_status") or "unknown"
            reasons.append(f"guardrail_{statuses[guard]}:{guard}")
        if harm or "breached" in statuses.values():
            verdict = "do_not_ship"
        elif row["decision"] == "win" and all(s == "held" for s in statuses.values()):
            verdict = "ship"
        else:
            verdict = "inconclusive"
        row["verdict"], row["verdict_reasons"] = verdict, ";".join(reasons)


DAILY_TYPES = {
    "experiment_id": "VARCHAR", "metric": "VARCHAR", "as_of": "DATE", "variant": "VARCHAR", "control": "VARCHAR",
    "units_control": "BIGINT", "units_variant": "BIGINT", "value_control": "DOUBLE", "value_variant": "DOUBLE",
    "diff": "DOUBLE", "diff_ci_low": "DOUBLE", "diff_ci_high": "DOUBLE", "seq_ci_low": "DOUBLE",
    "seq_ci_high": "DOUBLE", "p_value": "DOUBLE", "seq_p_value": "DOUBLE", "method": "VARCHAR",
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
            est, _, _ = estimate(metric, arms[exp.control], arms[variant])
            seq = sequential(est)
            out.append({
                "experiment_id": exp_id, "metric": metric_id, "as_of": as_of, "variant": variant,
                "control": exp.control, "units_control": est.units_control, "units_variant": est.units_variant,
                "value_control": est.value_control, "value_variant": est.value_variant, "diff": est.diff,
                "diff_ci_low": est.ci_low, "diff_ci_high": est.ci_high, "seq_ci_low": seq[0],
                "seq_ci_high": seq[1], "p_value": est.p_value, "seq_p_value": seq[2], "method": est.method,
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
