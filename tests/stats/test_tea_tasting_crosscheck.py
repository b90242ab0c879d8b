"""Second opinion: the same raw data analysed by tea-tasting (an independent implementation).

Skipped when tea-tasting is not installed (it is a dev-only dependency).
"""

from __future__ import annotations

import numpy as np
import pytest

tt = pytest.importorskip("tea_tasting")
pl = pytest.importorskip("polars")

from pipelines.stats import compare  # noqa: E402


def _frame(control: dict[str, np.ndarray], variant: dict[str, np.ndarray]) -> object:
    n_c, n_v = len(next(iter(control.values()))), len(next(iter(variant.values())))
    columns = {name: np.concatenate([control[name], variant[name]]) for name in control}
    return pl.DataFrame({"variant": np.r_[np.zeros(n_c, dtype=int), np.ones(n_v, dtype=int)], **columns})


def _assert_same(ours, theirs, *, rel: float, rel_interval: float | None = None) -> None:
    rel_interval = rel if rel_interval is None else rel_interval
    assert ours.value_control == pytest.approx(theirs.control, rel=1e-12)
    assert ours.value_variant == pytest.approx(theirs.treatment, rel=1e-12)
    assert ours.diff == pytest.approx(theirs.effect_size, rel=rel)
    assert ours.ci_low == pytest.approx(theirs.effect_size_ci_lower, rel=rel)
    assert ours.ci_high == pytest.approx(theirs.effect_size_ci_upper, rel=rel)
    assert ours.rel_diff == pytest.approx(theirs.rel_effect_size, rel=rel)
    assert ours.rel_ci_low == pytest.approx(theirs.rel_effect_size_ci_lower, rel=rel_interval)
    assert ours.rel_ci_high == pytest.approx(theirs.rel_effect_size_ci_upper, rel=rel_interval)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=rel)


def test_welch_mean_agrees_with_tea_tasting_mean(rng, build):
    control = {"posts": rng.negative_binomial(2, 0.4, 2_500).astype(float)}
    variant = {"posts": rng.negative_binomial(2, 0.38, 2_300).astype(float)}
    theirs = tt.Experiment(m=tt.Mean("posts")).analyze(_frame(control, variant), control=0)["m"]
    ours = compare(build.mean(control["posts"]), build.mean(variant["posts"]))
    # tea-tasting recomputes the Welch df on the log scale for the relative interval (we reuse the df
    # of the difference): the relative bounds then differ in the 6th digit
    _assert_same(ours, theirs, rel=1e-9, rel_interval=1e-4)


def test_delta_method_ratio_agrees_with_tea_tasting_ratio_of_means(rng, build, attempts):
    m_c, d_c = attempts(rng, 2_000, rate=0.55)
    m_v, d_v = attempts(rng, 2_100, rate=0.6)
    data = _frame({"m": m_c, "d": d_c}, {"m": m_v, "d": d_v})
    metric = tt.RatioOfMeans("m", "d", use_t=False)
    theirs = tt.Experiment(r=metric).analyze(data, control=0)["r"]
    ours = compare(build.ratio(m_c, d_c), build.ratio(m_v, d_v))
    _assert_same(ours, theirs, rel=1e-9)


def test_unpooled_z_test_agrees_with_tea_tasting_proportion(rng, build):
    control, variant = rng.binomial(1, 0.3, 3_000), rng.binomial(1, 0.33, 3_100)
    metric = tt.Proportion("x", method="norm", equal_var=False, correction=False)
    theirs = tt.Experiment(p=metric).analyze(_frame({"x": control}, {"x": variant}), control=0)["p"]
    ours = compare(build.proportion(control), build.proportion(variant))
    assert ours.method == "z_test"
    _assert_same(ours, theirs, rel=1e-9)


def test_fisher_p_value_agrees_with_tea_tasting_proportion_fisher(rng, build):
    control, variant = rng.binomial(1, 0.02, 300), rng.binomial(1, 0.06, 300)
    metric = tt.Proportion("x", method="fisher")
    theirs = tt.Experiment(p=metric).analyze(_frame({"x": control}, {"x": variant}), control=0)["p"]
    ours = compare(build.proportion(control), build.proportion(variant))
    assert ours.method == "fisher_exact"
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


def test_cuped_agrees_with_tea_tasting_mean_with_covariate(rng, build):
    activity_c, activity_v = rng.gamma(1.5, 2.0, 3_000), rng.gamma(1.5, 2.0, 3_000)
    pre_c, pre_v = rng.poisson(activity_c).astype(float), rng.poisson(activity_v).astype(float)
    post_c, post_v = rng.poisson(activity_c).astype(float), rng.poisson(activity_v * 1.05).astype(float)
    data = _frame({"y": post_c, "x": pre_c}, {"y": post_v, "x": pre_v})
    theirs = tt.Experiment(c=tt.Mean("y", "x")).analyze(data, control=0)["c"]
    ours = compare(build.cuped(post_c, pre_c), build.cuped(post_v, pre_v))
    # tea-tasting estimates theta on the two arms pooled as one sample (between-arm mean differences
    # included); we pool within arms (= OLS). The two thetas differ at O(1/n), hence the tolerance.
    assert ours.diff == pytest.approx(theirs.effect_size, rel=0.01)
    assert ours.ci_high - ours.ci_low == pytest.approx(
        theirs.effect_size_ci_upper - theirs.effect_size_ci_lower, rel=0.005
    )
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=0.1)
