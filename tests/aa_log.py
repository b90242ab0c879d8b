"""An A/A event log written independently of the project's simulator: three arms that behave identically.

Built with :class:`tests.logbuilder.Log` and Python's ``random`` (nothing from ``pipelines.simulate``): users in
three countries (and a few without one) and three platforms, a pre-period, heavy and light commenters, heated
drafts that are flagged (and in the prompt arms shown a prompt - which changes nothing here), outcomes drawn
the same way in every arm with a per-user tendency, users flagged up to a dozen times (every prompt number),
reports and removals - some of them rare (creators' bulk removals) - and the registry with a second guardrail.
Any "clear" difference the pipeline finds in it is a false positive.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.logbuilder import EXPERIMENT, Log

DAY = 24 * 60.0
DAYS = 14
SPLIT = {"control": 0.5, "prompt_calm": 0.25, "prompt_kind": 0.25}
REGISTRY = {
    "experiments": [
        {"id": EXPERIMENT, "start": "2026-03-02", "end": "2026-03-15", "control": "control", "variants": SPLIT,
         "trigger_threshold": 0.8, "guardrails": {"reports_per_post": 0.25}}
    ]
}


def build(users: int = 2_400, seed: int = 2015) -> Log:
    rng = random.Random(seed)
    log = Log()
    # complete randomisation: the planned split exactly, shuffled (so the sample-ratio check never withholds it)
    arms = [arm for arm, share in SPLIT.items() for _ in range(round(users * share))]
    rng.shuffle(arms)
    for u, arm in enumerate(arms):
        _user(log, rng, f"aa{u:05d}", arm)
    return log


def _user(log: Log, rng: random.Random, user: str, arm: str) -> None:
    seg = {"country": rng.choices(["DE", "AT", "CH", None], [0.7, 0.14, 0.14, 0.02])[0],
           "platform": rng.choices(["ios", "android", "web"], [0.45, 0.45, 0.1])[0]}
    assigned = rng.uniform(0, 2 * DAY)
    activity = rng.betavariate(1.2, 2.0)
    heat = rng.betavariate(0.5, 5.0)
    reconsider = rng.betavariate(1.5, 8.0)  # this user's chance to withdraw or change a flagged draft, any arm
    log.assign(user, arm, assigned, **seg)
    n = 0
    for day in range(-7, DAYS):
        if rng.random() > activity:
            continue
        for _ in range(1 + int(rng.expovariate(0.8))):
            n += 1
            t = assigned + day * DAY + rng.uniform(1, DAY - 120)
            if t > DAYS * DAY:
                continue
            _draft(log, rng, user, arm, seg, f"{user}-{n}", t, heat, reconsider, in_experiment=day >= 0)


def _draft(log: Log, rng: random.Random, user: str, arm: str, seg: dict, draft: str, t: float, heat: float,
           reconsider: float, *, in_experiment: bool) -> None:
    heated = rng.random() < heat
    score = rng.uniform(0.8, 1.0) if heated else rng.uniform(0.0, 0.75)
    log.draft(user, draft, t, score, "ab01", **seg)
    text_hash = "ab01"
    if heated and in_experiment:
        log.trigger(user, draft, t + 0.2, arm, **seg)
        r = rng.random()
        if r < reconsider / 2:
            log.discard(user, draft, t + 1, **seg)
            return
        if r < reconsider:
            score, text_hash = rng.uniform(0.2, 0.95), "cd02"
    post = log.post(user, draft, t + 2, score, text_hash, f"c-{draft}", **seg)
    _reactions(log, rng, post["comment_id"], t, score)


def _reactions(log: Log, rng: random.Random, comment: str, t: float, score: float) -> None:
    if rng.random() < (0.25 if score >= 0.8 else 0.01):
        log.add("comment_reported", "reporter", t + 30, comment_id=comment, reason="harassment")
        if rng.random() < 0.4:
            log.add("comment_removed", "mod", t + 60, comment_id=comment, removal_source="moderation")
            return
    if rng.random() < 0.004:
        source = "creator_bulk" if rng.random() < 0.1 else "creator_single"
        log.add("comment_removed", "creator", t + 90, comment_id=comment, removal_source=source)


def write(root: Path, users: int = 2_400, seed: int = 2015) -> tuple[Path, Path]:
    """Write the log and its registry under ``root``; return (events root, registry path)."""
    return build(users, seed).write(root, registry=REGISTRY)
