"""Sample-ratio mismatch (SRM) check: are users split across arms as planned?

A mismatch means the assignment or the logging is broken (e.g. one arm loses assignment events), which
biases every metric of the experiment; it is checked before any result is trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# scipy.special's functions are what scipy.stats.norm and chi2 call (ndtr, ndtri, chdtrc), without
# importing scipy.stats (~1.5 s at every start of `nudge`)
from scipy import special

__all__ = ["SampleRatioCheck", "sample_ratio_check"]


@dataclass(frozen=True)
class SampleRatioCheck:
    """Result of the sample-ratio check of one experiment.

    Attributes:
        observed: Assigned users per arm, as given (arms planned but absent are filled in with 0).
        expected_shares: The planned split renormalised to sum to 1.
        statistic: Pearson chi-square ``sum_k (O_k - E_k)^2 / E_k`` with ``E_k = N * share_k``.
        p_value: Upper tail of the chi-square distribution with ``k - 1`` degrees of freedom, ``k`` the
            number of arms with a positive planned share. NaN when it is undefined (no users, or fewer
            than two arms).
        passed: False when ``p_value < threshold`` - evidence that the split is not as planned. True
            otherwise, including when the check is undefined.
    """

    observed: dict[str, int]
    expected_shares: dict[str, float]
    statistic: float
    p_value: float
    passed: bool

    @property
    def expected_counts(self) -> dict[str, float]:
        """Expected users per arm under the plan, ``N * share``."""
        total = sum(self.observed.values())
        return {arm: total * share for arm, share in self.expected_shares.items()}


def sample_ratio_check(
    observed: Mapping[str, int], planned: Mapping[str, float], *, threshold: float = 0.001
) -> SampleRatioCheck:
    """Pearson (1900) chi-square goodness-of-fit test of the observed split against the planned one.

    ``statistic = sum_k (O_k - N s_k)^2 / (N s_k)`` over arms with planned share ``s_k > 0`` (shares are
    renormalised to sum to 1), compared with chi-square on ``k - 1`` degrees of freedom; the check fails
    when ``p < threshold`` (0.001 by default, the usual SRM threshold). Users in an arm with planned share
    0 make the statistic infinite and the check fail.

    Raises ``ValueError`` for arms observed but not planned, negative counts or shares, or shares that do
    not sum to a positive number.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    unknown = set(observed) - set(planned)
    if unknown:
        raise ValueError(f"observed arms not in the plan: {sorted(unknown)}")
    if any(float(share) < 0 or math.isnan(float(share)) for share in planned.values()):
        raise ValueError("planned shares must be non-negative numbers")
    total_share = sum(float(share) for share in planned.values())
    if not total_share > 0:
        raise ValueError("planned shares must sum to a positive number")
    counts = {arm: int(observed.get(arm, 0)) for arm in planned}
    if any(count < 0 for count in counts.values()):
        raise ValueError("observed counts must be non-negative")
    shares = {arm: float(share) / total_share for arm, share in planned.items()}

    total = sum(counts.values())
    active = [arm for arm in planned if shares[arm] > 0]
    if any(counts[arm] > 0 for arm in planned if shares[arm] == 0):
        statistic, p_value = math.inf, 0.0
    elif total == 0 or len(active) < 2:
        statistic, p_value = math.nan, math.nan
    else:
        statistic = sum((counts[arm] - total * shares[arm]) ** 2 / (total * shares[arm]) for arm in active)
        p_value = float(special.chdtrc(len(active) - 1, statistic))
    return SampleRatioCheck(
        observed=counts,
        expected_shares=shares,
        statistic=float(statistic),
        p_value=p_value,
        passed=not p_value < threshold,
    )
