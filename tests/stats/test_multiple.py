"""Holm and Benjamini-Hochberg adjusted p-values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from pipelines.stats import benjamini_hochberg, holm

METHODS = [(holm, "holm"), (benjamini_hochberg, "fdr_bh")]


@pytest.mark.parametrize(("adjust", "sm_method"), METHODS)
@pytest.mark.parametrize("size", [1, 2, 7, 40])
def test_adjustment_matches_statsmodels_multipletests(rng, adjust, sm_method, size):
    raw = np.concatenate([rng.uniform(0, 0.02, size // 2), rng.uniform(0, 1, size - size // 2)])
    rng.shuffle(raw)
    expected = multipletests(raw, method=sm_method)[1]
    assert adjust(list(raw)) == pytest.approx(list(expected), rel=1e-12)


@pytest.mark.parametrize(("adjust", "sm_method"), METHODS)
def test_ties_match_statsmodels(adjust, sm_method):
    raw = [0.01, 0.04, 0.01, 0.03, 0.04, 0.5]
    assert adjust(raw) == pytest.approx(list(multipletests(raw, method=sm_method)[1]), rel=1e-12)


@pytest.mark.parametrize(("adjust", "sm_method"), METHODS)
def test_nan_is_passed_through_and_not_counted(adjust, sm_method):
    raw = [0.01, math.nan, 0.03, 0.2, math.nan]
    adjusted = adjust(raw)
    assert math.isnan(adjusted[1]) and math.isnan(adjusted[4])
    finite = [0.01, 0.03, 0.2]
    expected = list(multipletests(finite, method=sm_method)[1])
    assert [adjusted[0], adjusted[2], adjusted[3]] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("adjust", [holm, benjamini_hochberg])
def test_adjusted_is_at_least_raw_capped_at_one_and_monotone(rng, adjust):
    raw = rng.uniform(0, 1, 200) ** 3
    adjusted = np.array(adjust(list(raw)))
    assert np.all(adjusted >= raw)
    assert np.all(adjusted <= 1.0)
    order = np.argsort(raw)
    assert np.all(np.diff(adjusted[order]) >= 0)


def test_holm_is_never_less_conservative_than_benjamini_hochberg(rng):
    raw = list(rng.uniform(0, 0.1, 30))
    assert all(h >= b for h, b in zip(holm(raw), benjamini_hochberg(raw), strict=True))


@pytest.mark.parametrize("adjust", [holm, benjamini_hochberg])
def test_edge_inputs(adjust):
    assert adjust([]) == []
    assert all(math.isnan(v) for v in adjust([math.nan, math.nan]))
    with pytest.raises(ValueError):
        adjust([0.5, 1.5])
