"""Shared fixtures for the statistics tests: seeded generators and builders from raw per-user arrays.

The builders compute the sufficient statistics the SQL layer would produce, from raw numpy arrays, so
that each formula can be checked against an independent computation on the same raw data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from pipelines.stats import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)

SEED = 20_240_601


def mean_stat(x: np.ndarray) -> SampleMeanStatistic:
    x = np.asarray(x, dtype=float)
    return SampleMeanStatistic(n=x.size, sum=float(x.sum()), sum_squares=float((x * x).sum()))


def proportion_stat(x: np.ndarray) -> ProportionStatistic:
    x = np.asarray(x)
    return ProportionStatistic(n=x.size, sum=float(x.sum()))


def ratio_stat(m: np.ndarray, d: np.ndarray) -> RatioStatistic:
    m, d = np.asarray(m, dtype=float), np.asarray(d, dtype=float)
    return RatioStatistic(
        n=m.size,
        m_sum=float(m.sum()),
        m_sum_squares=float((m * m).sum()),
        d_sum=float(d.sum()),
        d_sum_squares=float((d * d).sum()),
        m_d_sum_of_products=float((m * d).sum()),
    )


def cuped_stat(post: np.ndarray, pre: np.ndarray) -> RegressionAdjustedStatistic:
    y, x = np.asarray(post, dtype=float), np.asarray(pre, dtype=float)
    return RegressionAdjustedStatistic(
        n=y.size,
        post_sum=float(y.sum()),
        post_sum_squares=float((y * y).sum()),
        pre_sum=float(x.sum()),
        pre_sum_squares=float((x * x).sum()),
        post_pre_sum_of_products=float((x * y).sum()),
    )


@dataclass(frozen=True)
class Builders:
    """Functions turning raw per-user arrays into sufficient statistics."""

    mean: Callable[[np.ndarray], SampleMeanStatistic] = mean_stat
    proportion: Callable[[np.ndarray], ProportionStatistic] = proportion_stat
    ratio: Callable[[np.ndarray, np.ndarray], RatioStatistic] = ratio_stat
    cuped: Callable[[np.ndarray, np.ndarray], RegressionAdjustedStatistic] = cuped_stat


@pytest.fixture
def build() -> Builders:
    """Builders of sufficient statistics from raw per-user arrays."""
    return Builders()


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator (a fresh one per test, so tests do not depend on their order)."""
    return np.random.default_rng(SEED)


def clustered_attempts(
    rng: np.random.Generator, n_users: int, *, rate: float = 0.6, extra_attempts: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """Per-user (numerator, denominator) like withdrawn attempts / triggered attempts.

    Each user has ``1 + Poisson(lambda_u)`` attempts with ``lambda_u`` gamma-distributed (heavy users) and
    a personal withdraw probability ``p_u ~ Beta`` with mean ``rate`` (strong within-user correlation), so
    attempts are clustered and an attempt-level binomial test would be wrong. The true ratio is ``rate``.
    """
    lam = rng.gamma(shape=0.8, scale=extra_attempts / 0.8, size=n_users)
    d = 1 + rng.poisson(lam)
    concentration = 2.0
    p = rng.beta(rate * concentration, (1 - rate) * concentration, size=n_users)
    m = rng.binomial(d, p)
    return m.astype(float), d.astype(float)


@pytest.fixture
def attempts() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """``attempts(rng, n_users, rate=...)`` -> clustered per-user (withdrawn, attempts) arrays."""
    return clustered_attempts
