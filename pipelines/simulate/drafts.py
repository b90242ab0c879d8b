"""Comment drafts: who writes when, how heated, and the learning effect of a first prompt.

Everything is one numpy array per draft attribute (no per-draft Python code).  Drafts are sorted by
(user, time), which makes 'first X per user' a `np.unique(..., return_index=True)`.

The learning effect is calibrated to published figures rather than wishful ones. After their first prompt, users
of a prompt arm write fewer heated drafts: 11 % (neutral) and 16 % (empathy) fewer right after it, a reduction
that halves every week. Over a two-week experiment that averages to about 7 % and 10 % fewer heated drafts for
prompted users - the range of Twitter's reconsider prompt (Katsaros, Yang & Fratamico, "Reconsidering tweets:
intervening during tweet creation decreases offensive content", ICWSM 2022: 6 % fewer offensive tweets after a
prompt; Twitter's 2020 test: 11 % fewer offensive replies). The fading follows Yildirim, Nagler, Bonneau & Tucker
("Short of suspension: how suspension warnings can reduce hate speech on Twitter", Perspectives on Politics 2023,
first circulated 2021), whose warning effects decayed within weeks. (Before this calibration the effect was 30-40 %
fewer heated drafts, for ever.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from .constants import DAY_US, HOUR_US, PRE_PERIOD_DAYS, TRIGGER_THRESHOLD, US
from .population import UserModel

#: relative draft volume per UTC hour (DACH evenings peak at 18-21 UTC)
HOURLY_WEIGHTS = np.array(
    [
        1.2,
        0.8,
        0.5,
        0.3,
        0.3,
        0.4,
        0.8,
        1.5,
        2.2,
        2.6,
        2.8,
        3.0,
        3.3,
        3.3,
        3.2,
        3.3,
        3.6,
        4.0,
        4.6,
        5.2,
        5.4,
        5.0,
        3.8,
        2.2,
    ]
)


@dataclass(frozen=True)
class DraftModel:
    """Parameters of draft content."""

    hot_beta: tuple[float, float] = (6.0, 1.4)  # score of a heated draft
    cold_beta: tuple[float, float] = (1.2, 9.0)  # score of an ordinary draft
    #: relative drop of the heated-draft propensity right after the user's first prompt (learning), by arm
    learning_reduction: tuple[float, float, float] = (0.0, 0.11, 0.16)
    #: the drop halves every so many days after the first prompt (the effect fades)
    learning_half_life_days: float = 7.0
    night_hours: tuple[int, ...] = (21, 22, 23, 0, 1)
    night_factor: float = 1.8  # heated-draft propensity multiplier at night
    reply_share: float = 0.25
    videos_per_user: float = 0.2
    video_zipf: float = 1.05
    classifiers: tuple[str, str] = ("tox-clf-3.2.0", "tox-clf-3.3.1")
    user_model: UserModel = field(default_factory=UserModel)


@dataclass
class Drafts:
    """Per-draft arrays, sorted by (uidx, ts).  `ix` is the draft's global index (its id)."""

    ix: np.ndarray
    uidx: np.ndarray
    ts: np.ndarray  # µs since epoch, UTC
    in_exp: np.ndarray  # bool: drafted during the experiment (the user is assigned by then)
    score: np.ndarray
    triggered: np.ndarray
    text_len: np.ndarray
    video: np.ndarray
    classifier: np.ndarray  # int8 code into DraftModel.classifiers
    reply: np.ndarray  # bool: wants to reply to an earlier comment (resolved later)
    first_prompt_ts: np.ndarray  # per user (indexed by uidx), int64 max when never prompted
    assigned_at: np.ndarray  # per user, -1 when never active during the experiment
    n_videos: int


def epoch_us(d: date) -> int:
    """µs since the Unix epoch of midnight UTC of a date."""
    return (d - date(1970, 1, 1)).days * DAY_US


def _first_per_user(uidx: np.ndarray, mask: np.ndarray, n_users: int, values: np.ndarray, empty: int) -> np.ndarray:
    """Per user, the value at the first draft satisfying mask (drafts sorted by user, time)."""
    out = np.full(n_users, empty, dtype=np.int64)
    sel = np.flatnonzero(mask)
    u = uidx[sel]
    first = np.flatnonzero(np.concatenate([[True], u[1:] != u[:-1]]))  # uidx is sorted
    out[u[first]] = values[sel[first]]
    return out


def make_drafts(
    rng: np.random.Generator,
    users: pl.DataFrame,
    start: date,
    days: int,
    model: DraftModel,
) -> Drafts:
    """Draw every draft of the pre-period and the experiment, with final (post-learning) scores."""
    n_users = users.height
    n_days = PRE_PERIOD_DAYS + days
    day_dates = [start + timedelta(days=d - PRE_PERIOD_DAYS) for d in range(n_days)]
    weekend = np.array([model.user_model.weekend_factor if d.weekday() >= 5 else 1.0 for d in day_dates])
    p_active = users["p_active"].to_numpy()
    lam = users["lam"].to_numpy()
    active = rng.random((n_users, n_days)) < np.clip(p_active[:, None] * weekend[None, :], 0.0, 1.0)
    counts = (active * (1 + rng.poisson(np.broadcast_to(lam[:, None], active.shape)))).ravel()
    cell = np.repeat(np.arange(n_users * n_days, dtype=np.int64), counts)  # (user, day), in that order
    m = len(cell)
    hour = np.searchsorted(np.cumsum(HOURLY_WEIGHTS) / HOURLY_WEIGHTS.sum(), rng.random(m), side="right")
    in_day = hour * HOUR_US + rng.integers(0, HOUR_US, m)
    # sorted by (user, time): cells already are, so sort by (cell, time in the day) as one key
    order = np.argsort(cell * DAY_US + in_day, kind="stable")
    cell, in_day = cell[order], in_day[order]
    uidx, day = cell // n_days, cell % n_days
    ts = epoch_us(start) - PRE_PERIOD_DAYS * DAY_US + day * DAY_US + in_day
    in_exp = day >= PRE_PERIOD_DAYS

    # assignment: just before the first draft of the user's first active day in the experiment
    first_exp_ts = _first_per_user(uidx, in_exp, n_users, ts, -1)
    has = first_exp_ts >= 0
    since_midnight = np.where(has, first_exp_ts % DAY_US, 0)
    lead = np.minimum(rng.integers(US // 2, 90 * US, n_users), since_midnight)
    assigned_at = np.where(has, first_exp_ts - lead, -1)

    # scores: heated drafts come from the user's propensity q; after a first prompt (treatment arms) the
    # propensity is lowered by the arm's learning reduction, fading with time since that prompt, using the same
    # uniforms (coupled)
    # heated drafts are more likely late at night (21-02 UTC)
    night = np.isin((ts % DAY_US) // HOUR_US, model.night_hours)
    q = users["q"].to_numpy()[uidx] * np.where(night, model.night_factor, 1.0)
    arm = users["arm"].to_numpy()[uidx]
    u = rng.random(m)
    hot = np.round(rng.beta(*model.hot_beta, m), 4)
    cold = np.round(rng.beta(*model.cold_beta, m), 4)
    before = np.where(u < q, hot, cold)
    first_prompt = _first_per_user(uidx, in_exp & (before >= TRIGGER_THRESHOLD), n_users, ts, np.iinfo(np.int64).max)
    learned = in_exp & (arm > 0) & (ts > first_prompt[uidx])
    days_after = np.where(learned, ts - first_prompt[uidx], 0) / DAY_US
    factor = 1.0 - np.asarray(model.learning_reduction)[arm] * np.exp2(-days_after / model.learning_half_life_days)
    score = np.where(learned & ~(u < q * factor), cold, before)
    first_prompt = np.where(users["arm"].to_numpy() > 0, first_prompt, np.iinfo(np.int64).max)

    text_len = np.clip(np.round(rng.lognormal(3.5, 0.8, m)), 1, 2200).astype(np.int64)
    n_videos = max(20, int(n_users * model.videos_per_user))
    weights = 1.0 / np.arange(1, n_videos + 1) ** model.video_zipf
    video = np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(m), side="right")
    video = np.minimum(video, n_videos - 1).astype(np.int64)
    switch_us = epoch_us(start + timedelta(days=days // 2)) + 10 * HOUR_US
    classifier = (ts >= switch_us).astype(np.int8)
    return Drafts(
        ix=np.arange(m, dtype=np.int64),
        uidx=uidx,
        ts=ts,
        in_exp=in_exp,
        score=score,
        triggered=in_exp & (score >= TRIGGER_THRESHOLD),
        text_len=text_len,
        video=video,
        classifier=classifier,
        reply=rng.random(m) < model.reply_share,
        first_prompt_ts=first_prompt,
        assigned_at=assigned_at,
        n_videos=n_videos,
    )
