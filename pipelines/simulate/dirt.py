"""Dirt: the rates of bad and suspicious input, and the extra *valid* rows that carry analysis findings.

All dirt is extra rows or files on top of the clean log, so the truth stays exact: the findings rows
here use extra users or extra drafts (never changing a real user's metrics) except where the rules
say they are ignored anyway (an unknown experiment or variant, or an assignment outside the dates).
Junk lines (quarantine reasons) are made in `junk.py`, duplicates and late arrival in `delivery.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import polars as pl

from .constants import DAY_US, HOUR_US, MINUTE_US, TYPE_CODE, US
from .drafts import epoch_us
from .ids import DIRT_BASE, NS_USER, USER_PREFIX, id_strings
from .population import arm_codes, segments

#: index blocks of extra (dirt) users, drafts, comments and texts; DIRT_BASE + block * _BLOCK + j
_BLOCK = 1 << 32
CONTAMINATED, UNASSIGNED, OUTSIDE_USERS = 0, 1, 2


@dataclass(frozen=True)
class Dirt:
    """Rates of dirt (all extra rows/files).  `Dirt.none()` gives a clean log.

    Rates are per valid event unless noted; any positive rate yields at least one case.
    """

    late_share: float = 0.05  # events landing 1-2 days after their event date
    late_two_days_share: float = 0.3  # of the late ones, 2 days late
    duplicate_share: float = 0.01  # events delivered again (identical), of those 10 % twice
    junk_per_reason: float = 3e-5  # junk rows per valid event, for each quarantine reason
    blank_lines: float = 1e-5  # white-space-only lines (skipped, not counted)
    text_field_share: float = 5e-4  # draft/post rows of a misconfigured client carrying raw `text`
    contaminated_users: float = 0.002  # per assigned user: extra users re-assigned to another variant
    triggers_without_assignment: float = 0.004  # per triggered attempt
    trigger_variant_mismatch: float = 0.004  # per triggered attempt
    unknown_experiment: float = 0.001  # per assigned user (assignments and triggers)
    unknown_variant: float = 0.001  # per assigned user (assignments and triggers)
    outside_dates: float = 0.001  # per assigned user (assignments and triggers)
    repeat_assignments: float = 0.01  # per assigned user: harmless same-variant repeats
    truncated_gzip_files: int = 1
    empty_files: int = 1

    @classmethod
    def none(cls) -> Dirt:
        """No dirt at all: every event exactly once, on time, every line valid."""
        return cls(**{f.name: 0 for f in fields(cls)})


def n_cases(rate: float, base: int) -> int:
    """Number of cases for a rate over a base; at least one when the rate is positive."""
    return 0 if rate <= 0 or base <= 0 else max(1, int(math.floor(rate * base + 0.5)))


def dirt_users(rng: np.random.Generator, block: int, n: int, seed: int) -> pl.DataFrame:
    """Extra users (index block `block`) with segments, in the layout of population.make_users."""
    uidx = DIRT_BASE + block * _BLOCK + np.arange(n, dtype=np.int64)
    country, platform, app = segments(rng, n)
    return pl.DataFrame(
        {
            "uidx": uidx,
            "user_id": id_strings(uidx, NS_USER, seed, prefix=USER_PREFIX),
            "country": pl.Series(country.tolist(), dtype=pl.String),
            "platform": pl.Series(platform.tolist(), dtype=pl.String),
            "app_version": pl.Series(app.tolist(), dtype=pl.String),
        }
    )


def _frame(event_type: str, ts: np.ndarray, uidx: np.ndarray, **cols: object) -> pl.DataFrame:
    n = len(ts)
    data: dict[str, object] = {"type": np.full(n, TYPE_CODE[event_type], dtype=np.int8), "ts": ts, "uidx": uidx}
    for k, v in cols.items():
        data[k] = np.broadcast_to(np.asarray(v), (n,)).copy()
    return pl.DataFrame(data)


@dataclass
class _Ids:
    """Allocator of extra draft / comment / text indices that never collide with real ones."""

    next: int = DIRT_BASE + 8 * _BLOCK

    def take(self, n: int) -> np.ndarray:
        out = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return out


def _draft_with_trigger(
    ids: _Ids, rng: np.random.Generator, ts: np.ndarray, uidx: np.ndarray, exp: int, variant: np.ndarray, post: bool
) -> list[pl.DataFrame]:
    """An extra heated draft, its trigger (shown per variant) and optionally an unchanged post."""
    n = len(ts)
    draft, text = ids.take(n), ids.take(n)
    score = np.round(rng.uniform(0.82, 0.99, n), 4)
    video = rng.integers(0, 50, n)
    trig_ts = ts + rng.integers(20_000, 800_000, n)
    frames = [
        _frame(
            "comment_draft_submitted",
            ts,
            uidx,
            draft=draft,
            video=video,
            score=score,
            classifier=0,
            text=text,
            text_length=rng.integers(5, 200, n),
            reply=-1,
        ),
        _frame(
            "nudge_triggered",
            trig_ts,
            uidx,
            draft=draft,
            exp=exp,
            variant=variant.astype(np.int8),
            shown=(variant != 0),
        ),
    ]
    if post:
        frames.append(
            _frame(
                "comment_posted",
                trig_ts + 5 * US,
                uidx,
                draft=draft,
                comment=ids.take(n),
                video=video,
                score=score,
                text=text,
            )
        )
    return frames


def _pick_users(rng: np.random.Generator, assigned_at: np.ndarray, end_us: int, n: int) -> np.ndarray:
    """n real users (with replacement) assigned at least 3 hours before the experiment's end."""
    pool = np.flatnonzero((assigned_at >= 0) & (assigned_at < end_us - 3 * HOUR_US))
    return rng.choice(pool, n) if len(pool) and n else np.zeros(0, dtype=np.int64)


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: int) -> np.ndarray:
    return lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)


def dirt_rows(
    rng: np.random.Generator,
    dirt: Dirt,
    *,
    seed: int,
    start: date,
    days: int,
    assigned_at: np.ndarray,
    user_arm: np.ndarray,
    n_attempts: int,
) -> tuple[list[pl.DataFrame], pl.DataFrame, dict[str, int]]:
    """Valid extra rows carrying §3-§4 findings: (row frames, their extra users, expected counts)."""
    start_us, end_us = epoch_us(start), epoch_us(start) + days * DAY_US  # end_us: midnight after the end
    n_assigned = int((assigned_at >= 0).sum())
    ids = _Ids()
    frames: list[pl.DataFrame] = []
    expected: dict[str, int] = {}

    # contaminated: extra users assigned to A, active a little, later assigned to B (within the dates)
    k = n_cases(dirt.contaminated_users, n_assigned)
    cu = dirt_users(rng, CONTAMINATED, k, seed)
    uidx = cu["uidx"].to_numpy()
    arm_a = arm_codes(uidx, seed).astype(np.int64)
    arm_b = (arm_a + rng.integers(1, 3, k)) % 3
    a1 = start_us + rng.integers(0, days, k) * DAY_US + rng.integers(HOUR_US, 18 * HOUR_US, k)
    a2 = np.minimum(a1 + rng.integers(HOUR_US, 4 * DAY_US, k), end_us - HOUR_US)
    frames += [
        _frame("experiment_assignment", a1, uidx, exp=0, variant=arm_a.astype(np.int8)),
        _frame("experiment_assignment", a2, uidx, exp=0, variant=arm_b.astype(np.int8)),
    ]
    frames += _draft_with_trigger(ids, rng, a1 + 10 * MINUTE_US, uidx, 0, arm_a, post=True)
    expected["contaminated_user"] = k

    # triggers of users who were never assigned
    k = n_cases(dirt.triggers_without_assignment, n_attempts)
    un = dirt_users(rng, UNASSIGNED, k, seed)
    ts = start_us + (rng.random(k) * (days * DAY_US - 2 * HOUR_US)).astype(np.int64)
    frames += _draft_with_trigger(ids, rng, ts, un["uidx"].to_numpy(), 0, rng.integers(0, 3, k), post=True)
    expected["trigger_without_assignment"] = k

    # triggers whose variant contradicts the (real) user's arm: extra drafts, nothing posted
    k = n_cases(dirt.trigger_variant_mismatch, n_attempts)
    u = _pick_users(rng, assigned_at, end_us, k)
    ts = _uniform_between(rng, assigned_at[u] + MINUTE_US, end_us - 2 * HOUR_US)
    wrong = (user_arm[u] + rng.integers(1, 3, len(u))) % 3
    frames += _draft_with_trigger(ids, rng, ts, u, 0, wrong, post=False)
    expected["trigger_variant_mismatch"] = len(u)

    # unknown experiment: assignments to another experiment and triggers naming a retired one
    k = n_cases(dirt.unknown_experiment, n_assigned)
    u = _pick_users(rng, assigned_at, end_us, k)
    half = len(u) // 2
    ts = _uniform_between(rng, assigned_at[u] + MINUTE_US, end_us - 2 * HOUR_US)
    frames.append(_frame("experiment_assignment", ts[:half], u[:half], exp=2, variant=rng.integers(0, 2, half)))
    frames += _draft_with_trigger(ids, rng, ts[half:], u[half:], 1, user_arm[u[half:]].astype(np.int64), post=False)
    expected["unknown_experiment"] = len(u)

    # unknown variant of the registered experiment: assignments of real users and triggers
    k = n_cases(dirt.unknown_variant, n_assigned)
    u = _pick_users(rng, assigned_at, end_us, k)
    half = len(u) // 2
    ts = _uniform_between(rng, assigned_at[u] + MINUTE_US, end_us - 2 * HOUR_US)
    frames.append(_frame("experiment_assignment", ts[:half], u[:half], exp=0, variant=np.int8(3)))
    frames += _draft_with_trigger(ids, rng, ts[half:], u[half:], 0, np.full(len(u) - half, 3), post=False)
    expected["unknown_variant"] = len(u)

    # outside the dates: extra users assigned before the start; real users re-assigned (to another
    # variant: not contamination, since it is not analysed) the day after the end; triggers of real
    # users' extra drafts before the start and after the end
    k = n_cases(dirt.outside_dates, n_assigned)
    n_a, n_t = (k + 1) // 2, k // 2
    ou = dirt_users(rng, OUTSIDE_USERS, (n_a + 1) // 2, seed)
    before = start_us - rng.integers(1, 4, ou.height) * DAY_US + rng.integers(HOUR_US, 20 * HOUR_US, ou.height)
    frames.append(
        _frame(
            "experiment_assignment",
            before,
            ou["uidx"].to_numpy(),
            exp=0,
            variant=arm_codes(ou["uidx"].to_numpy(), seed),
        )
    )
    u = _pick_users(rng, assigned_at, end_us, n_a // 2)
    after = end_us + rng.integers(HOUR_US, 20 * HOUR_US, len(u))
    frames.append(_frame("experiment_assignment", after, u, exp=0, variant=((user_arm[u] + 1) % 3).astype(np.int8)))
    u = _pick_users(rng, assigned_at, end_us, n_t)
    ts = np.where(np.arange(len(u)) % 2 == 0, start_us - DAY_US, end_us) + rng.integers(HOUR_US, 20 * HOUR_US, len(u))
    frames += _draft_with_trigger(ids, rng, ts, u, 0, user_arm[u].astype(np.int64), post=False)
    expected["outside_experiment_dates"] = ou.height + (n_a // 2) + len(u)

    # harmless repeats of a real user's assignment (same variant, later, within the dates)
    k = n_cases(dirt.repeat_assignments, n_assigned)
    u = _pick_users(rng, assigned_at, end_us, k)
    ts = _uniform_between(rng, assigned_at[u] + MINUTE_US, end_us - 2 * HOUR_US)
    frames.append(_frame("experiment_assignment", ts, u, exp=0, variant=user_arm[u].astype(np.int8)))

    users = pl.concat([cu, un, ou])
    return [f for f in frames if f.height], users, expected
