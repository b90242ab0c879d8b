"""How many events does a normal approximation need? The simulation behind MIN_EVENTS (pipelines/stats/rare.py).

A/A experiments (no true difference) with rare, clustered events, reduced to the per-arm sums the SQL produces:

* rate  - events per exposure, like removals per posted comment: exposure per user 1 + Poisson(Gamma(0.7, 21.4)),
          events Poisson(exposure x rate x frailty), frailty Gamma(shape, 1/shape) (small shape: few users attract
          most events);
* count - events per user, like toxic comments per user: Binomial(posts, q x scale), q ~ Beta(a, 9);

for several arm sizes (2:1 splits as in the demo, and small segments). The rate is drawn log-uniformly per run so
that every event count occurs. For each scenario the table gives the share of runs with p < 0.05 for the
normal-approximation test alone (delta method / Welch), by the smaller arm's event count, and then for the rule
of ``compare_counts``. ``!`` marks a rate more than 2.5 binomial standard errors above 5 %.

    python bench/rare_counts.py            # ~4 minutes on 2 cores; writes bench/rare_counts.md
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.stats import RatioStatistic, SampleMeanStatistic, compare, compare_counts  # noqa: E402

RUNS = 8_000
EDGES = (0, 1, 3, 5, 7, 10, 15, 21, 51, 101)
ISSUE_BINS = ((0, 0), (1, 4), (5, 20), (21, 100))
OUT = Path(__file__).resolve().parent / "rare_counts.md"


def ratio_runs(rng: np.random.Generator, users: tuple[int, int], frailty: float) -> list[tuple]:
    base = np.exp(rng.uniform(np.log(0.1), np.log(150.0), RUNS)) / (16.0 * users[0])
    arms = []
    for n in users:
        stats_ = []
        for start in range(0, RUNS, 500):
            b = base[start:start + 500, None]
            d = 1.0 + rng.poisson(rng.gamma(0.7, 15 / 0.7, (len(b), n)))
            m = rng.poisson(d * b * rng.gamma(frailty, 1 / frailty, (len(b), n))).astype(float)
            stats_ += [RatioStatistic(n, *r) for r in zip(m.sum(1), (m * m).sum(1), d.sum(1), (d * d).sum(1),
                                                          (m * d).sum(1), strict=True)]
        arms.append(stats_)
    return list(zip(*arms, strict=True))


def count_runs(rng: np.random.Generator, users: tuple[int, int], a: float) -> list[tuple]:
    scale = np.exp(rng.uniform(np.log(0.1), np.log(150.0), RUNS)) / (0.05 * 15 * users[1])
    arms = []
    for n in users:
        stats_ = []
        for start in range(0, RUNS, 500):
            s = scale[start:start + 500, None]
            posts = rng.poisson(rng.gamma(0.7, 15 / 0.7, (len(s), n)))
            m = rng.binomial(posts, np.minimum(rng.beta(a, 9.0, (len(s), n)) * s, 1.0)).astype(float)
            stats_ += [SampleMeanStatistic(n, x, y) for x, y in zip(m.sum(1), (m * m).sum(1), strict=True)]
        arms.append(stats_)
    return list(zip(*arms, strict=True))


def events(stat: RatioStatistic | SampleMeanStatistic) -> float:
    return stat.m_sum if isinstance(stat, RatioStatistic) else stat.sum


def cell(rejected: list[bool]) -> str:
    if len(rejected) < 100:
        return "–"
    rate = float(np.mean(rejected))
    flag = "!" if rate > 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / len(rejected)) else ""
    return f"{rate:.3f}{flag} ({len(rejected)})"


def main() -> None:
    rng = np.random.default_rng(2026)
    scenarios = [(f"rate, users {u[0]}/{u[1]}, frailty shape {f}", "rate", ratio_runs(rng, u, f))
                 for u in ((2_000, 1_000), (300, 150), (60, 30)) for f in (3.0, 0.5, 0.15)]
    scenarios += [(f"count, users {u[0]}/{u[1]}, q ~ Beta({a}, 9)", "count", count_runs(rng, u, a))
                  for u in ((3_000, 3_000), (600, 300), (100, 50)) for a in (0.45, 0.1)]
    head = " | ".join(f"{lo}–{hi - 1}" if hi - 1 > lo else f"{lo}" for lo, hi in zip(EDGES, EDGES[1:], strict=False))
    lines = ["# Rare counts: A/A false positives by the smaller arm's event count", "",
             f"Written by `python bench/rare_counts.py` ({time.strftime('%Y-%m-%d')}; {RUNS:,} A/A runs per "
             "scenario). Share of runs with p < 0.05 (runs in the cell); `!` = more than 2.5 standard errors above "
             "5 %. Runs where neither arm had an event are left out (nothing to test).", "",
             "## The normal-approximation test alone (delta method for rates, Welch for counts)", "",
             f"| scenario | {head} |", "|---" * (len(EDGES)) + "|"]
    rule_lines = ["", "## The rule of `compare_counts` (MIN_EVENTS = 10; exact test or none below)", "",
                  "| scenario | " + " | ".join(f"{lo}–{hi}" if hi > lo else f"{lo}" for lo, hi in ISSUE_BINS) + " |",
                  "|---" * (len(ISSUE_BINS) + 1) + "|"]
    for name, counts, runs in scenarios:
        plain: dict[int, list[bool]] = {lo: [] for lo in EDGES[:-1]}
        rule: dict[tuple[int, int], list[bool]] = {b: [] for b in ISSUE_BINS}
        for control, variant in runs:
            k_c, k_v = events(control), events(variant)
            if k_c + k_v == 0:
                continue
            smaller = min(k_c, k_v)
            p_plain = compare(control, variant).p_value
            p_rule = compare_counts(control, variant, counts=counts).p_value  # type: ignore[arg-type]
            for lo, hi in zip(EDGES, EDGES[1:], strict=False):
                if lo <= smaller < hi:
                    plain[lo].append(bool(p_plain < 0.05))
            for lo, hi in ISSUE_BINS:
                if lo <= smaller <= hi:
                    rule[(lo, hi)].append(bool(p_rule < 0.05))
        lines.append(f"| {name} | " + " | ".join(cell(plain[lo]) for lo in EDGES[:-1]) + " |")
        rule_lines.append(f"| {name} | " + " | ".join(cell(rule[b]) for b in ISSUE_BINS) + " |")
        print(lines[-1], flush=True)
    OUT.write_text("\n".join(lines + rule_lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
