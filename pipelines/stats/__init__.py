"""Pure statistics for nudge-impact: sufficient statistics in, test results out.

No I/O and no data-frame libraries: every function takes numbers (sums per arm, as aggregated in SQL)
and returns frozen dataclasses whose docstrings say what each number means.
"""

from pipelines.stats.bayes import BayesianEstimate, bayesian_compare
from pipelines.stats.frequentist import FISHER_MIN_CELL, EffectEstimate, compare
from pipelines.stats.intervals import newcombe_interval, wilson_interval
from pipelines.stats.multiple import benjamini_hochberg, holm
from pipelines.stats.power import minimum_detectable_effect, users_per_arm
from pipelines.stats.sequential import confidence_sequence, confidence_sequence_margin, optimal_rho_squared
from pipelines.stats.srm import SampleRatioCheck, sample_ratio_check
from pipelines.stats.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    Statistic,
)

__all__ = [
    "FISHER_MIN_CELL",
    "BayesianEstimate",
    "EffectEstimate",
    "ProportionStatistic",
    "RatioStatistic",
    "RegressionAdjustedStatistic",
    "SampleMeanStatistic",
    "SampleRatioCheck",
    "Statistic",
    "bayesian_compare",
    "benjamini_hochberg",
    "compare",
    "confidence_sequence",
    "confidence_sequence_margin",
    "holm",
    "minimum_detectable_effect",
    "newcombe_interval",
    "optimal_rho_squared",
    "sample_ratio_check",
    "users_per_arm",
    "wilson_interval",
]
