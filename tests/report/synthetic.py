"""A small synthetic event log for the report tests when `pipelines.simulate` is not available.

Three arms (control 50 %, prompt_neutral 25 %, prompt_empathy 25 %), three countries, three platforms,
14 experiment days plus a pre-period, prompts whose effect fades a little with repetition, reports and
removals, and a sprinkling of bad input (junk lines, duplicates, late deliveries, one contaminated user) so
the trust banner has something to count. Built with the hand-written :class:`tests.logbuilder.Log`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.logbuilder import START, Log, ts

EXPERIMENT = "reconsider_prompt_test"
DAYS = 14
SPLIT = {"control": 0.5, "prompt_neutral": 0.25, "prompt_empathy": 0.25}
#: P(withdrawn), P(changed) of a prompted attempt per arm
OUTCOME_P = {"control": (0.06, 0.05), "prompt_neutral": (0.14, 0.12), "prompt_empathy": (0.22, 0.19)}
REGISTRY = {
    "experiments": [
        {"id": EXPERIMENT, "start": "2026-03-02", "end": "2026-03-16", "control": "control",
         "variants": SPLIT, "trigger_threshold": 0.8}
    ]
}
DAY_MIN = 24 * 60


def build_log(users: int = 3000, seed: int = 7) -> Log:
    """The whole log, deterministic in ``seed``."""
    rng = random.Random(seed)
    log = Log()
    arms, weights = list(SPLIT), list(SPLIT.values())
    for u in range(users):
        _user(log, rng, f"u{u:05d}x", rng.choices(arms, weights)[0])
    # one contaminated user: assigned to two arms
    log.add("experiment_assignment", "u00000x", 30, experiment_id=EXPERIMENT, variant="prompt_empathy")
    return log


def _user(log: Log, rng: random.Random, user: str, arm: str) -> None:
    seg = {"country": rng.choices(["DE", "AT", "CH"], [0.7, 0.15, 0.15])[0],
           "platform": rng.choices(["ios", "android", "web"], [0.45, 0.45, 0.1])[0]}
    assigned = rng.uniform(0, 3 * DAY_MIN)
    heat = rng.betavariate(0.6, 6)
    activity = rng.uniform(0.2, 1.0)
    log.add("experiment_assignment", user, assigned, experiment_id=EXPERIMENT, variant=arm, **seg)
    n = 0
    for day in range(-10, DAYS):  # negative days: pre-period posts (the CUPED covariate)
        if rng.random() > activity:
            continue
        for _ in range(1 + int(rng.random() < 0.4)):
            n += 1
            t = assigned + day * DAY_MIN + rng.uniform(1, DAY_MIN - 90)
            if day >= 0 and t > DAYS * DAY_MIN:
                continue
            _draft(log, rng, user, arm, seg, f"{user}d{n}", t, heat, prompted=day >= 0 and t > assigned)


def _draft(log: Log, rng: random.Random, user: str, arm: str, seg: dict[str, str], draft: str, t: float,
           heat: float, *, prompted: bool) -> None:
    toxic = rng.random() < heat
    score = rng.uniform(0.8, 1.0) if toxic else rng.uniform(0.0, 0.7)
    late = {"arrival": _day(t + DAY_MIN)} if rng.random() < 0.01 else {}
    log.draft(user, draft, t, score, "aa11", **seg, **late)
    if toxic and prompted:
        log.trigger(user, draft, t + 0.1, arm, experiment_id=EXPERIMENT, **seg)
        p_withdraw, p_change = OUTCOME_P[arm]
        r = rng.random()
        if r < p_withdraw:
            log.discard(user, draft, t + 1, **seg)
            return
        if r < p_withdraw + p_change:
            score, text_hash = rng.uniform(0.3, 0.95), "bb22"
        else:
            text_hash = "aa11"
    else:
        text_hash = "aa11"
    post = log.post(user, draft, t + 2, score, text_hash, f"c{draft}", **seg)
    if rng.random() < 0.01:  # a re-delivered copy, counted once
        log.events.append((_day(t + DAY_MIN), dict(post)))
    if score >= 0.8 and rng.random() < 0.3:
        log.add("comment_reported", "reporter", t + 30, comment_id=f"c{draft}", reason="harassment")
        if rng.random() < 0.5:
            source = rng.choice(["moderation", "creator_single", "creator_bulk"])
            log.add("comment_removed", "mod", t + 90, comment_id=f"c{draft}", removal_source=source)


def _day(minutes: float) -> str:
    return ts(minutes, START)[:10]


def write(root: Path, users: int = 3000, seed: int = 7) -> tuple[Path, Path]:
    """Write the log (with a few junk lines) and the registry under ``root``; return (events, registry)."""
    log = build_log(users, seed)
    events_root, registry = log.write(root, registry=REGISTRY)
    first = sorted(events_root.glob("dt=*"))[2] / "part-0.jsonl"
    with first.open("a") as f:
        f.write("this is not json\n")
        f.write(json.dumps({"event_id": "bad1", "event_type": "comment_posted"}) + "\n")
    return events_root, registry

