"""The statistics library calls scipy.special directly (ndtr, ndtri, chdtrc) instead of scipy.stats.norm and chi2,
so that a `nudge` process does not pay for importing scipy.stats (~1.5 s). Those are the functions scipy.stats
itself calls; here, on many values, every result is the same float to the last bit."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from pipelines.stats.bayes import _normal_density

RNG = np.random.default_rng(20261208)
Z = [float(z) for z in np.concatenate([RNG.normal(0, 3, 4000), RNG.uniform(-40, 40, 2000), [0.0, -0.0, 1e-300]])]
Q = [float(q) for q in np.concatenate([RNG.uniform(0, 1, 4000), [1e-12, 0.5, 1 - 1e-12]])]


def test_normal_cdf_sf_and_quantile_are_scipy_stats_to_the_bit() -> None:
    assert [float(special.ndtr(z)) for z in Z] == [float(stats.norm.cdf(z)) for z in Z]
    assert [float(special.ndtr(-z)) for z in Z] == [float(stats.norm.sf(z)) for z in Z]
    assert [float(special.ndtri(q)) for q in Q] == [float(stats.norm.ppf(q)) for q in Q]


def test_normal_density_is_scipy_stats_to_the_bit() -> None:
    assert [_normal_density(z) for z in Z] == [float(stats.norm.pdf(z)) for z in Z]


def test_chi_square_survival_is_scipy_stats_to_the_bit() -> None:
    pairs = [(int(k), float(x)) for k, x in zip(RNG.integers(1, 40, 3000), RNG.uniform(0, 120, 3000), strict=True)]
    assert [float(special.chdtrc(k, x)) for k, x in pairs] == [float(stats.chi2.sf(x, k)) for k, x in pairs]
