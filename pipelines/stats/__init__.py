"""Pure statistics for nudge-impact: sufficient statistics in, test results out.

No I/O and no data-frame libraries: every function takes numbers (sums per arm, as aggregated in SQL)
and returns frozen dataclasses whose docstrings say what each number means.
"""

from pipelines.stats.bayes import BayesianEstimate, bayesian_compare
from pipelines.stats.frequentist import FISHER_MIN_CELL, EffectEstimate, compare, cuped_theta
from pipelines.stats.heterogeneity import HeterogeneityTest, cochran_q
from pipelines.stats.intervals import newcombe_interval, wilson_interval
from pipelines.stats.mixture import mixture_p_value
from pipelines.stats.multiple import benjamini_hochberg, holm
from pipelines.stats.noninferiority import NonInferiority, non_inferiority
from pipelines.stats.power import minimum_detectable_effect, power_of_test, users_per_arm
from pipelines.stats.rare import MIN_EVENTS, Counts, arm_events, compare_counts, poisson_exact
from pipelines.stats.sequential import (
    always_valid_p_value,
    confidence_sequence,
    confidence_sequence_margin,
    optimal_rho_squared,
)
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
    "MIN_EVENTS",
    "BayesianEstimate",
    "Counts",
    "EffectEstimate",
    "HeterogeneityTest",
    "NonInferiority",
    "ProportionStatistic",
    "RatioStatistic",
    "RegressionAdjustedStatistic",
    "SampleMeanStatistic",
    "SampleRatioCheck",
    "Statistic",
    "always_valid_p_value",
    "arm_events",
    "bayesian_compare",
    "benjamini_hochberg",
    "cochran_q",
    "compare",
    "compare_counts",
    "confidence_sequence",
    "confidence_sequence_margin",
    "cuped_theta",
    "holm",
    "minimum_detectable_effect",
    "mixture_p_value",
    "newcombe_interval",
    "non_inferiority",
    "optimal_rho_squared",
    "poisson_exact",
    "power_of_test",
    "sample_ratio_check",
    "users_per_arm",
    "wilson_interval",
]
