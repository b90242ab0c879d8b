"""A small, seeded, three-arm event log with every feature the notebooks and `nudge power` look at.

Built with the tests' log builder (tests/logbuilder.py): users in two countries and platforms, pre-period
posts (so CUPED has a covariate), two weeks of drafts whose toxic ones trigger the prompt in the treatment
arms (and would have in control), outcomes that depend on the arm, and repeated prompts over several days
(for the learning curve). Arms are assigned in exact planned proportions, so the sample-ratio check passes.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb

from tests.conftest import run_log
from tests.logbuilder import EXPERIMENT, Log

ARMS = {"control": 0.5, "prompt_neutral": 0.25, "prompt_empathy": 0.25}
REGISTRY = {
    "experiments": [
        {
            "id": EXPERIMENT,
            "start": "2026-03-01",
            "end": "2026-03-16",
            "control": "control",
            "variants": ARMS,
            "trigger_threshold": 0.8,
        }
    ]
}
#: Probability that a prompted attempt is withdrawn / changed, by arm (the rest is posted unchanged).
WITHDRAW = {"control": 0.08, "prompt_neutral": 0.20, "prompt_empathy": 0.30}
CHANGE = {"control": 0.04, "prompt_neutral": 0.10, "prompt_empathy": 0.15}
DAY = 24 * 60


def arm_of(i: int) -> str:
    """Exactly 2:1:1 in blocks of four users."""
    return ("control", "control", "prompt_neutral", "prompt_empathy")[i % 4]


def synthetic_log(users: int = 400, days: int = 14, seed: int = 11) -> Log:
    """The log: ``users`` users over ``days`` days after a pre-period, deterministic for a given seed."""
    rng = random.Random(seed)
    log = Log()
    n_draft = 0
    for i in range(users):
        user, arm = f"u{i}", arm_of(i)
        country, platform = rng.choice(("DE", "FR")), rng.choice(("ios", "android"))
        geo = {"country": country, "platform": platform}
        activity = rng.uniform(0.2, 1.5)  # drafts per day
        toxicity = rng.uniform(0.05, 0.5)  # share of drafts scoring at or above the threshold
        log.assign(user, arm, minutes=i * 0.5, **geo)
        for _ in range(_poisson(rng, activity * 10)):  # pre-period posts in the 12 days before assignment
            n_draft += 1
            score = 0.9 if rng.random() < toxicity else 0.2
            log.post(user, f"d{n_draft}", -rng.uniform(0.5, 12) * DAY, score, "aa", f"c{n_draft}", **geo)
        for _ in range(_poisson(rng, activity * days)):
            n_draft += 1
            draft, at = f"d{n_draft}", rng.uniform(1, days * DAY - 120)
            toxic = rng.random() < toxicity
            score = rng.uniform(0.8, 1.0) if toxic else rng.uniform(0.0, 0.6)
            log.draft(user, draft, at, score, "aa", **geo)
            if not toxic:
                log.post(user, draft, at + 1, score, "aa", f"c{n_draft}", **geo)
                continue
            log.trigger(user, draft, at + 0.1, arm, **geo)
            u = rng.random()
            if u < WITHDRAW[arm]:
                log.discard(user, draft, at + 2, **geo)
            elif u < WITHDRAW[arm] + CHANGE[arm]:
                new_score = rng.uniform(0.1, 0.95)
                log.post(user, draft, at + 3, new_score, "bb", f"c{n_draft}", **geo)
            else:
                log.post(user, draft, at + 1, score, "aa", f"c{n_draft}", **geo)
    return log


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (small means only)."""
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def build_warehouse(folder: Path, **kw: int) -> Path:
    """Write the synthetic log under ``folder``, run the whole asset graph, return the warehouse path."""
    con: duckdb.DuckDBPyConnection = run_log(synthetic_log(**kw), folder, registry=REGISTRY)
    con.close()
    return folder / "w.duckdb"


def shared_warehouse(base: Path) -> Path:
    """The synthetic warehouse under ``base`` (a session's temporary root), built once and then reused."""
    folder = base / "synthetic-warehouse"
    warehouse = folder / "w.duckdb"
    if not warehouse.exists():
        folder.mkdir(parents=True, exist_ok=True)
        build_warehouse(folder)
    return warehouse
