"""A/A simulations at the edges: the false-positive rate conditional on how many events the arms saw.

Issue 15's acceptance test. Per-user data are drawn with numpy for thousands of A/A experiments at once, with
event rates spread log-uniformly over three orders of magnitude (so that every count bin fills), clustered
within users (a gamma frailty: some users attract most events), reduced to the sums the SQL produces and
compared with ``compare_counts``. Runs are binned by the *smaller* arm's event count: 0 (the other arm has at
least one), 1-4, 5-20, 21-100. In every bin the share of runs with p < 0.05 must stay at 5 % plus three binomial
standard errors. Marked ``slow`` (about half a minute); CI runs them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from pipelines.stats import (
    MIN_EVENTS,
    RatioStatistic,
    SampleMeanStatistic,
    Statistic,
    arm_events,
    compare,
    compare_counts,
)

pytestmark = pytest.mark.slow

RUNS = 5_000
BINS = ((0, 0), (1, 4), (5, 20), (21, 100))


def _ratio_arms(rng: np.random.Generator, n: int, base: np.ndarray, frailty: float,
                share: bool = False) -> list[RatioStatistic]:
    """Per run: n users, exposure per user ~ 1 + Poisson(Gamma) (heavy posters), events ~ Poisson(exposure x
    rate x frailty) - or, for a share, Binomial(exposure, min(1, rate x frailty))."""
    out: list[RatioStatistic] = []
    for start in range(0, len(base), 1_000):
        b = base[start:start + 1_000, None]
        d = 1.0 + rng.poisson(rng.gamma(0.7, 15 / 0.7, (len(b), n)))
        frail = rng.gamma(frailty, 1 / frailty, (len(b), n))
        m = rng.binomial(d.astype(int), np.minimum(b * frail, 1.0)) if share else rng.poisson(d * b * frail)
        m = m.astype(float)
        sums = zip(m.sum(1), (m * m).sum(1), d.sum(1), (d * d).sum(1), (m * d).sum(1), strict=True)
        out += [RatioStatistic(n, *row) for row in sums]
    return out


def _count_arms(rng: np.random.Generator, n: int, scale: np.ndarray) -> list[SampleMeanStatistic]:
    """Per run: toxic posts per user ~ Binomial(posts, q x scale), q ~ Beta(0.45, 9) (few users post most)."""
    out: list[SampleMeanStatistic] = []
    for start in range(0, len(scale), 1_000):
        s = scale[start:start + 1_000, None]
        posts = rng.poisson(rng.gamma(0.7, 15 / 0.7, (len(s), n)))
        m = rng.binomial(posts, np.minimum(rng.beta(0.45, 9.0, (len(s), n)) * s, 1.0)).astype(float)
        out += [SampleMeanStatistic(n, a, b) for a, b in zip(m.sum(1), (m * m).sum(1), strict=True)]
    return out


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), RUNS))


def _rates_by_bin(pairs: list[tuple[Statistic, Statistic]], counts: str,
                  test: Callable[..., object] = compare_counts) -> dict[tuple[int, int], tuple[float, int]]:
    rejected: dict[tuple[int, int], list[bool]] = {b: [] for b in BINS}
    for control, variant in pairs:
        k_c, k_v = arm_events(control, counts), arm_events(variant, counts)  # type: ignore[arg-type]
        smaller = min(k_c, k_v)
        if k_c + k_v == 0:
            continue  # nothing happened in either arm: no method can test that
        est = test(control, variant, counts=counts) if test is compare_counts else test(control, variant)
        for low, high in BINS:
            if low <= smaller <= high:
                rejected[(low, high)].append(bool(est.p_value < 0.05))  # type: ignore[attr-defined]
    return {b: (float(np.mean(r)) if r else np.nan, len(r)) for b, r in rejected.items()}


def _assert_nominal(rates: dict[tuple[int, int], tuple[float, int]], min_runs: int = 300) -> None:
    for (low, high), (rate, runs) in rates.items():
        assert runs >= min_runs, f"bin {low}-{high} has only {runs} runs: widen the rates"
        limit = 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)
        assert rate <= limit, f"events {low}-{high}: A/A false positives {rate:.3f} > {limit:.3f} ({runs} runs)"


@pytest.mark.parametrize("users, frailty", [((1_000, 500), 0.5), ((150, 75), 0.5), ((1_000, 500), 5.0)])
def test_ratio_metric_aa_false_positives_stay_nominal_in_every_event_count_bin(users, frailty):
    rng = np.random.default_rng(151)
    base = _log_uniform(rng, 0.1, 150.0) / (16.0 * users[0])  # expected control events 0.1 .. 150
    control, variant = (_ratio_arms(rng, n, base, frailty) for n in users)
    _assert_nominal(_rates_by_bin(list(zip(control, variant, strict=True)), "rate"))


@pytest.mark.parametrize("users", [(1_500, 1_500), (300, 150)])
def test_per_user_count_aa_false_positives_stay_nominal_in_every_event_count_bin(users):
    rng = np.random.default_rng(152)
    scale = _log_uniform(rng, 0.1, 150.0) / (0.05 * 15 * users[1])  # expected events 0.1 .. 150 per small arm
    control, variant = (_count_arms(rng, n, scale) for n in users)
    _assert_nominal(_rates_by_bin(list(zip(control, variant, strict=True)), "count"))


def test_share_metric_aa_false_positives_stay_nominal_in_every_event_count_bin():
    rng = np.random.default_rng(153)
    base = _log_uniform(rng, 0.1, 150.0) / (16.0 * 1_000)
    control, variant = (_ratio_arms(rng, n, base, 0.5, share=True) for n in (1_000, 1_000))
    _assert_nominal(_rates_by_bin(list(zip(control, variant, strict=True)), "share"))


def test_the_delta_method_alone_fails_when_one_arm_has_no_events():
    """The failure the rule prevents (issue 15): removals at a few per arm, the runs where one arm saw none."""
    rng = np.random.default_rng(154)
    base = np.exp(rng.uniform(np.log(1.0), np.log(10.0), RUNS)) / (16.0 * 1_000)  # 1-10 expected in control
    control, variant = (_ratio_arms(rng, n, base, 5.0) for n in (1_000, 500))
    pairs = [(c, v) for c, v in zip(control, variant, strict=True) if min(c.m_sum, v.m_sum) == 0 < c.m_sum + v.m_sum]
    delta = np.mean([compare(c, v).p_value < 0.05 for c, v in pairs])
    exact = np.mean([compare_counts(c, v, counts="rate").p_value < 0.05 for c, v in pairs])
    assert delta > 0.12, delta
    assert exact <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / len(pairs)), exact


def test_above_the_threshold_nothing_changes_so_no_power_is_lost():
    rng = np.random.default_rng(155)
    base = np.full(1_000, 100.0 / (16.0 * 1_000))
    control = _ratio_arms(rng, 1_000, base, 0.5)
    variant = _ratio_arms(rng, 1_000, base * 0.7, 0.5)  # 30 % fewer events: a real effect
    pairs = [(c, v) for c, v in zip(control, variant, strict=True) if min(c.m_sum, v.m_sum) >= MIN_EVENTS]
    assert len(pairs) > 900
    for c, v in pairs:
        assert compare_counts(c, v, counts="rate") == compare(c, v)
    power = np.mean([compare(c, v).p_value < 0.05 for c, v in pairs])
    assert power > 0.4, power
