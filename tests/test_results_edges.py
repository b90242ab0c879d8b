"""The results layer at the edges (pipelines.results, pipelines.heterogeneity): a zero-event arm, the verdict,
guardrails from the registry, and the segment_heterogeneity rows - on hand-made arm statistics."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pytest
from scipy import stats

from pipelines.heterogeneity import segment_heterogeneity
from pipelines.registry import Experiment, RegistryError, parse_registry
from pipelines.results import decision, experiment_results, verdicts

EXP = Experiment("e1", date(2026, 3, 1), date(2026, 3, 14), "control",
                 {"control": 0.5, "prompt_a": 0.25, "prompt_b": 0.25}, 0.8)


def _rate_row(variant: str, metric: str, n: int, events: int, exposure: float, *, per_user: int = 1,
              dim: str = "all", value: str = "all") -> dict[str, Any]:
    """Arm statistics of a rate: `events` spread `per_user` to a user, exposure split evenly over n users."""
    d = exposure / n
    holders = events // per_user
    return {"experiment_id": "e1", "variant": variant, "segment_dim": dim, "segment_value": value,
            "metric": metric, "n": n, "m_sum": float(events), "m_sum_squares": float(holders * per_user**2),
            "d_sum": exposure, "d_sum_squares": n * d * d, "m_d_sum_of_products": events * d,
            "pre_sum": None, "pre_sum_squares": None, "m_pre_sum_of_products": None}


def _result(rows: list[dict[str, Any]], metric: str, variant: str) -> dict[str, Any]:
    return next(r for r in experiment_results(rows, [EXP])
                if r["metric"] == metric and r["variant"] == variant and r["segment_dim"] == "all")


def test_a_zero_event_arm_against_ten_is_tested_exactly_and_not_a_win():
    """The demo's case before issue 15: removals by creators in bulk, 10 in control and 0 in an arm with half the
    posts, came out `win` from the delta method (p = 0.0016)."""
    metric = "removals_creator_bulk_per_post"
    rows = [_rate_row("control", metric, 9_481, 10, 147_399.0), _rate_row("prompt_a", metric, 4_723, 0, 73_810.0),
            _rate_row("prompt_b", metric, 4_787, 5, 74_059.0)]
    r = _result(rows, metric, "prompt_a")
    assert r["method"] == "poisson_exact"
    assert (r["events_control"], r["events_variant"]) == (10, 0)
    assert r["decision"] == "no_evidence"
    assert r["p_value"] == pytest.approx(stats.binomtest(0, 10, 73_810 / (147_399 + 73_810)).pvalue)
    assert math.isnan(r["seq_ci_low"]) and r["seq_p_value"] > 0.05
    assert math.isnan(r["chance_to_beat_control"])  # no Gaussian posterior from an exact test


def test_too_few_clustered_events_is_its_own_status():
    metric = "reports_per_post"
    rows = [_rate_row("control", metric, 200, 6, 3_000.0, per_user=3), _rate_row("prompt_a", metric, 100, 2, 1_500.0),
            _rate_row("prompt_b", metric, 100, 0, 1_500.0)]
    r = _result(rows, metric, "prompt_a")
    assert r["method"].startswith("too_few_events")
    assert r["decision"] == "too_few_events"
    assert r["p_value_adjusted"] is None or math.isnan(r["p_value_adjusted"])


def test_decision_needs_the_always_valid_p_value_too():
    row = {"method": "delta_method", "metric": "withdraw_or_change_rate", "p_value_adjusted": 0.001, "diff": 0.1,
           "seq_p_value": 0.2}
    assert decision(row) == "no_evidence"
    assert decision({**row, "seq_p_value": 0.01}) == "win"
    assert decision({**row, "seq_p_value": 0.01, "diff": -0.1}) == "harm"


def _headline(variant: str, dec: str) -> dict[str, Any]:
    return {"experiment_id": "e1", "metric": "withdraw_or_change_rate", "segment_dim": "all", "variant": variant,
            "decision": dec, "verdict": None, "verdict_reasons": None}


def _metric(variant: str, metric: str, dec: str = "no_evidence", guardrail: str | None = None) -> dict[str, Any]:
    return {"experiment_id": "e1", "metric": metric, "segment_dim": "all", "variant": variant, "decision": dec,
            "guardrail_status": guardrail}


@pytest.mark.parametrize(("headline", "toxic", "posts", "verdict"), [
    ("win", "win", "held", "ship"),
    ("win", "win", "not_shown", "inconclusive"),
    ("win", "win", "unknown", "inconclusive"),
    ("no_evidence", "win", "held", "inconclusive"),
    ("win", "win", "breached", "do_not_ship"),
    ("win", "harm", "held", "do_not_ship"),
    ("harm", "no_evidence", "held", "do_not_ship"),
    ("too_few_events", "no_evidence", "held", "inconclusive"),
])
def test_verdict_combines_the_headline_the_primary_metrics_and_the_guardrails(headline, toxic, posts, verdict):
    rows = [_headline("prompt_a", headline), _metric("prompt_a", "toxic_posts_per_user", toxic),
            _metric("prompt_a", "posts_per_user", guardrail=posts)]
    verdicts(rows, [EXP])
    assert rows[0]["verdict"] == verdict
    assert f"guardrail_{posts}:posts_per_user" in rows[0]["verdict_reasons"].split(";")
    assert all(r["verdict"] is None for r in rows[1:] if "verdict" in r)


def test_a_registry_guardrail_must_hold_too():
    exp = Experiment(EXP.id, EXP.start, EXP.end, EXP.control, EXP.variants, 0.8,
                     extra_guardrails={"reports_per_post": 0.1})
    rows = [_headline("prompt_a", "win"), _metric("prompt_a", "posts_per_user", guardrail="held"),
            _metric("prompt_a", "reports_per_post", guardrail="not_shown")]
    verdicts(rows, [exp])
    assert rows[0]["verdict"] == "inconclusive"
    assert "guardrail_not_shown:reports_per_post" in rows[0]["verdict_reasons"]


def test_guardrail_rows_carry_margin_p_value_and_status():
    rng = np.random.default_rng(4)
    rows = []
    for variant, n in (("control", 4_000), ("prompt_a", 2_000), ("prompt_b", 2_000)):
        posts = rng.poisson(15.0, n).astype(float)
        rows.append({"experiment_id": "e1", "variant": variant, "segment_dim": "all", "segment_value": "all",
                     "metric": "posts_per_user", "n": n, "m_sum": posts.sum(), "m_sum_squares": (posts**2).sum(),
                     "d_sum": float(n), "d_sum_squares": float(n), "m_d_sum_of_products": posts.sum(),
                     "pre_sum": None, "pre_sum_squares": None, "m_pre_sum_of_products": None})
    r = _result(rows, "posts_per_user", "prompt_a")
    assert r["guardrail_margin"] == -0.02
    assert 0 <= r["guardrail_p_value"] <= 1
    assert r["guardrail_status"] in ("held", "not_shown")


# --- the registry's guardrails ------------------------------------------------------------------------------

def _registry(**extra: Any) -> dict[str, Any]:
    return {"experiments": [{"id": "e", "start": "2026-01-01", "end": "2026-01-02", "control": "c",
                             "variants": {"c": 0.5, "t": 0.5}, "trigger_threshold": 0.8, **extra}]}


def test_registry_guardrails_are_optional_and_add_to_posts_per_user():
    assert parse_registry(_registry())[0].guardrails == {"posts_per_user": -0.02}
    exp = parse_registry(_registry(guardrails={"reports_per_post": 0.1}, guardrail_margin=-0.03))[0]
    assert exp.guardrails == {"posts_per_user": -0.03, "reports_per_post": 0.1}
    assert parse_registry(_registry(guardrails={"posts_per_user": -0.05}))[0].guardrail_margin == -0.05


@pytest.mark.parametrize(("guardrails", "message"), [
    ({"reports_per_hour": 0.1}, "unknown metric 'reports_per_hour'"),
    ({"reports_per_post": -0.1}, "lower is better, so the margin is a relative rise"),
    ({"posts_per_user": 0.05}, "higher is better, so the margin is a relative drop"),
    ({"reports_per_post": "ten"}, "is not a number"),
    ([], "must map metric ids to margins"),
])
def test_registry_guardrail_mistakes_get_a_one_line_error(guardrails, message):
    with pytest.raises(RegistryError, match=message) as err:
        parse_registry(_registry(guardrails=guardrails))
    assert "\n" not in str(err.value)


def test_posts_per_user_margin_given_twice_differently_is_an_error():
    with pytest.raises(RegistryError, match="given twice"):
        parse_registry(_registry(guardrail_margin=-0.02, guardrails={"posts_per_user": -0.05}))


# --- segment_heterogeneity rows -------------------------------------------------------------------------------

def _seg(metric: str, dim: str, value: str, variant: str, diff: float, se: float, method: str = "delta_method",
         experiment: str = "e1") -> dict[str, Any]:
    return {"experiment_id": experiment, "metric": metric, "segment_dim": dim, "segment_value": value,
            "variant": variant, "diff": diff, "se": se, "method": method}


def test_heterogeneity_rows_use_only_segments_with_a_normal_estimate_and_holm_per_experiment():
    rows = [
        _seg("m", "all", "all", "a", 0.2, 0.01),
        _seg("m", "country", "DE", "a", 0.20, 0.02), _seg("m", "country", "AT", "a", 0.35, 0.03),
        _seg("m", "country", "CH", "a", 0.10, 0.03), _seg("m", "country", "XX", "a", 0.9, 0.2, "poisson_exact"),
        _seg("m", "platform", "ios", "a", 0.2, 0.02), _seg("m", "platform", "web", "a", 0.2, 0.03),
        _seg("m", "toxicity_band", "1", "a", 0.2, 0.02), _seg("m", "toxicity_band", "2", "a", 0.2, math.nan),
        _seg("m", "country", "DE", "a", 0.2, 0.02, experiment="e2"), _seg("m", "country", "AT", "a", 0.2, 0.03,
                                                                           experiment="e2"),
    ]
    out = {(r["experiment_id"], r["segment_dim"]): r for r in segment_heterogeneity(rows)}
    country = out[("e1", "country")]
    assert (country["segments"], country["segments_total"], country["df"]) == (3, 4, 2)
    w = np.array([1 / 0.02**2, 1 / 0.03**2, 1 / 0.03**2])
    d = np.array([0.20, 0.35, 0.10])
    q = float((w * (d - (w * d).sum() / w.sum()) ** 2).sum())
    assert country["statistic"] == pytest.approx(q)
    assert country["p_value_adjusted"] == pytest.approx(min(1.0, 2 * country["p_value"]))  # e1 has 2 tests
    assert out[("e1", "platform")]["statistic"] == pytest.approx(0.0)
    band = out[("e1", "toxicity_band")]
    assert band["method"].startswith("cochran_q (undefined") and band["p_value"] != band["p_value"]
    assert out[("e2", "country")]["p_value_adjusted"] == out[("e2", "country")]["p_value"]  # its own family
    assert ("e1", "all") not in out


@pytest.mark.slow
def test_heterogeneity_p_values_are_uniform_when_every_segment_has_the_same_effect():
    """A/A-style: four countries of unequal size, the same true effect everywhere; Cochran's Q over the
    per-segment delta-method estimates must give uniform p-values (Kolmogorov-Smirnov)."""
    from pipelines.stats import RatioStatistic, compare

    rng = np.random.default_rng(15)
    sizes, runs = (3_000, 600, 600, 120), 2_000
    p_values = []
    for _ in range(runs):
        rows = []
        for value, n in zip(("DE", "AT", "CH", "XX"), sizes, strict=True):
            arms = []
            for rate in (0.11, 0.30):
                d = 1 + rng.poisson(1.0, n)
                m = rng.binomial(d, np.clip(rng.beta(rate * 4, (1 - rate) * 4, n), 0, 1)).astype(float)
                arms.append(RatioStatistic(n, m.sum(), (m * m).sum(), d.sum(), (d * d).sum(), (m * d).sum()))
            est = compare(arms[0], arms[1])
            rows.append(_seg("m", "country", value, "a", est.diff, est.se))
        p_values.append(segment_heterogeneity(rows)[0]["p_value"])
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
    assert 0.035 <= np.mean(np.array(p_values) < 0.05) <= 0.065
