"""What happens after a draft is submitted: triggers, prompts, edits, discards and posts.

`plan_events` turns the per-draft arrays of `drafts.py` into one row frame per event type (integer
codes and indices only; `events.render` turns them into contract strings later).  Outcome
probabilities are per arm with a user-level random effect on the logit, so one user's attempts are
correlated; the intercepts are calibrated so that a user's *first* prompt matches the targets: 33 % (neutral)
and 41 % (empathy) of prompted drafts withdrawn or changed against 11 % without a prompt - the published range
(Twitter's reconsider prompt: 31 % revised or deleted, Katsaros et al., ICWSM 2022; OpenWeb/Jigsaw: 34 %).

Prompt fatigue: the prompt's effect on the outcome logits shrinks with every further prompt a user sees - the
k-th prompt has ``max(floor, per_prompt^(k-1))`` of the first one's effect - as people habituate to repeated
warnings (Akhawe & Felt, "Alice in Warningland", USENIX Security 2013: more click-through on warnings seen
often; Anderson, Vance, Kirwan et al., "From warning to wallpaper", JMIS 2016: the brain's response to a
warning drops with repetition). Averaged over all prompts the rates are therefore a little lower than the
first prompt's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .constants import TRIGGER_THRESHOLD, TYPE_CODE, US, WINDOW_US
from .drafts import Drafts

W, C, P = 0, 1, 2  # outcome categories: withdrawn, changed, posted unchanged
DISCARD, EDIT_DISCARD, NOTHING, LATE_POST = 0, 1, 2, 3  # kinds of withdrawal
EDIT, POST_ANYWAY, CANCEL, DISMISS = 0, 1, 2, 3  # nudge_response action codes (constants.ACTIONS)


@dataclass(frozen=True)
class OutcomeModel:
    """Population-level outcome parameters (reported in truth.json['parameters'])."""

    #: per arm (control, neutral, empathy): P(withdrawn), P(changed) of a triggered attempt
    withdrawn: tuple[float, float, float] = (0.06, 0.14, 0.17)
    changed: tuple[float, float, float] = (0.05, 0.19, 0.24)
    effect_sd: float = 0.7
    #: prompt fatigue: the k-th prompt keeps max(fatigue_floor, fatigue_per_prompt^(k-1)) of the first's effect
    fatigue_per_prompt: float = 0.85
    fatigue_floor: float = 0.4
    #: kinds of withdrawal: discard, edit-then-discard, nothing at all, a post after the window
    withdraw_mix: tuple[float, float, float, float] = (0.66, 0.12, 0.12, 0.10)
    #: P(the edited text still scores >= threshold), per arm
    still_toxic: tuple[float, float, float] = (0.25, 0.15, 0.10)
    #: drafts below the threshold: posted, discarded, nothing
    plain_mix: tuple[float, float, float] = (0.95, 0.03, 0.02)
    double_post_share: float = 0.004
    slow_edit_share: float = 0.2  # edits that take 5-45 minutes
    response_missing_share: float = 0.03


def calibrate(p_w: float, p_c: float, sd: float) -> tuple[float, float]:
    """Intercepts (logits vs. 'posted unchanged') whose average over N(0, sd) effects hits the targets."""
    x, wts = np.polynomial.hermite_e.hermegauss(61)
    wts = wts / wts.sum()
    target = np.array([p_w, p_c])
    a = np.log(target / (1.0 - target.sum()))
    for _ in range(500):
        e = np.exp(a[:, None] + sd * x[None, :])
        probs = (e / (1.0 + e.sum(axis=0))) @ wts
        a = a + np.log(target / probs) - np.log((1.0 - target.sum()) / (1.0 - probs.sum()))
    return float(a[0]), float(a[1])


def prompt_numbers(uidx: np.ndarray, triggered: np.ndarray) -> np.ndarray:
    """Per draft (sorted by user, time): how many of the user's drafts up to and including it were triggered -
    for a triggered draft its prompt number 1, 2, ... among the user's prompts."""
    seen = np.cumsum(triggered)
    first = np.concatenate([[True], uidx[1:] != uidx[:-1]])
    before_user = np.maximum.accumulate(np.where(first, seen - triggered, 0))  # nondecreasing: a running max
    return seen - before_user


def fatigue(numbers: np.ndarray, model: OutcomeModel) -> np.ndarray:
    """The share of the first prompt's effect the k-th prompt keeps (1 for the first, and where k < 1)."""
    k = np.maximum(numbers, 1)
    return np.maximum(model.fatigue_floor, model.fatigue_per_prompt ** (k - 1.0))


def _frame(event_type: str, ts: np.ndarray, uidx: np.ndarray, **cols: np.ndarray) -> pl.DataFrame:
    data: dict[str, object] = {"type": np.full(len(ts), TYPE_CODE[event_type], dtype=np.int8), "ts": ts, "uidx": uidx}
    data.update(cols)
    return pl.DataFrame(data)


def _uniform_us(rng: np.random.Generator, lo_s: float, hi_s: float, n: int) -> np.ndarray:
    return rng.integers(int(lo_s * US), int(hi_s * US), n)


def _lognormal_us(
    rng: np.random.Generator, median_s: float, sigma: float, lo_s: float, hi_s: float, n: int
) -> np.ndarray:
    return (np.clip(rng.lognormal(np.log(median_s), sigma, n), lo_s, hi_s) * US).astype(np.int64)


def plan_events(
    rng: np.random.Generator,
    d: Drafts,
    user_arm: np.ndarray,
    user_effect: np.ndarray,
    model: OutcomeModel,
) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Event rows of drafts, triggers, responses, discards and posts; plus the posts table.

    Returns (frames, posts) where posts has one row per comment_posted: ts, uidx, draft, comment,
    video, score (the input of `aftermath`).
    """
    m = len(d.ix)
    T = TRIGGER_THRESHOLD
    arm = user_arm[d.uidx].astype(np.int64)
    arm_eff = np.where(d.in_exp, arm, 0)
    tox = d.score >= T
    trig = d.triggered
    treat = trig & (arm > 0)

    # --- outcome category -------------------------------------------------------------------------
    a = np.array([calibrate(model.withdrawn[k], model.changed[k], model.effect_sd) for k in range(3)])
    keep = fatigue(prompt_numbers(d.uidx, trig), model)  # share of the first prompt's effect this one keeps
    eta = a[0] + (a[arm_eff] - a[0]) * keep[:, None] + user_effect[d.uidx][:, None]
    ew = np.exp(eta)
    p = ew / (1.0 + ew.sum(axis=1, keepdims=True))
    u = rng.random(m)
    cat_tox = np.where(u < p[:, 0], W, np.where(u < p[:, 0] + p[:, 1], C, P))
    cat_plain = np.where(u < model.plain_mix[0], P, W)
    cat = np.where(tox, cat_tox, cat_plain)
    cum_mix = np.cumsum(model.withdraw_mix)
    sub_tox = np.minimum(np.searchsorted(cum_mix / cum_mix[-1], rng.random(m), side="right"), 3)
    sub_plain = np.where(rng.random(m) < model.plain_mix[1] / (1 - model.plain_mix[0]), DISCARD, NOTHING)
    sub = np.where(tox, sub_tox, sub_plain)

    # --- first trigger and prompt -------------------------------------------------------------------
    lat1 = rng.integers(20_000, 800_000, m)
    rt1 = _lognormal_us(rng, 3.5, 0.7, 0.6, 120, m)
    trig1_ts = d.ts + lat1
    base = d.ts + np.where(trig, lat1, 0) + np.where(treat, rt1, 0)

    # --- edits: a new submission of the same draft, which may trigger again ------------------------
    edit = tox & ((cat == C) | ((cat == W) & (sub == EDIT_DISCARD)))
    # most edits take seconds to a minute; some users think it over for many minutes
    slow = rng.random(m) < model.slow_edit_share
    sub2_ts = base + np.where(slow, _uniform_us(rng, 5 * 60, 45 * 60, m), _lognormal_us(rng, 40, 1.0, 3, 45 * 60, m))
    still = rng.random(m) < np.asarray(model.still_toxic)[arm_eff]
    score2 = np.where(
        still,
        np.round(T + (d.score - T) * rng.uniform(0.2, 1.0, m), 4),
        np.round(d.score * rng.beta(2.0, 3.5, m), 4),
    )
    text_len2 = np.maximum(1, np.round(d.text_len * rng.uniform(0.4, 1.1, m))).astype(np.int64)
    retrig = edit & trig & (score2 >= T)
    lat2 = rng.integers(20_000, 800_000, m)
    rt2 = _lognormal_us(rng, 2.5, 0.6, 0.5, 60, m)
    trig2_ts = sub2_ts + lat2
    base2 = sub2_ts + np.where(retrig, lat2, 0) + np.where(retrig & (arm > 0), rt2, 0)

    # --- posts and discards ---------------------------------------------------------------------------
    pd_ = rng.integers(200_000, 3_000_000, m)
    late_ref = np.where(trig, trig1_ts, d.ts)
    post_ts = np.where(cat == C, base2 + pd_, base + pd_)
    post_ts = np.where(
        (cat == W) & (sub == LATE_POST), late_ref + WINDOW_US + _uniform_us(rng, 60, 5 * 3600, m), post_ts
    )
    posted = (cat == C) | (cat == P) | ((cat == W) & (sub == LATE_POST))
    post_score = np.where(cat == C, score2, d.score)
    post_text = np.where(cat == C, m + d.ix, d.ix)
    discard_ts = np.where(sub == DISCARD, base + _uniform_us(rng, 1, 300, m), base2 + _uniform_us(rng, 2, 120, m))
    discarded = (cat == W) & ((sub == DISCARD) | ((sub == EDIT_DISCARD) & tox))
    double = ((cat == C) | (cat == P)) & (rng.random(m) < model.double_post_share)

    # --- responses (treatment arms only; informational) ----------------------------------------------
    r = rng.random(m)
    action1 = np.select(
        [cat == C, cat == P, sub == DISCARD, sub == EDIT_DISCARD, sub == NOTHING],
        [
            EDIT,
            np.where(r < 0.88, POST_ANYWAY, DISMISS),
            np.where(r < 0.85, CANCEL, DISMISS),
            EDIT,
            np.where(r < 0.5, CANCEL, DISMISS),
        ],
        DISMISS,
    )
    logged1 = treat & (rng.random(m) >= model.response_missing_share)
    logged2 = retrig & (arm > 0) & (rng.random(m) >= model.response_missing_share)

    # --- comments: ids, replies (to earlier top-level comments; the reply joins that video) ----------
    post_rows = np.flatnonzero(posted)
    dbl_rows = np.flatnonzero(double)
    n_first = len(post_rows)
    comment_of_draft = np.full(m, -1, dtype=np.int64)
    comment_of_draft[post_rows] = np.arange(n_first)
    video = d.video.copy()
    parents = np.flatnonzero(posted & ~d.reply)
    parents = parents[np.argsort(post_ts[parents], kind="stable")]
    want = np.flatnonzero(d.reply)
    n_before = np.searchsorted(post_ts[parents], d.ts[want], side="left")
    ok = n_before > 0
    want, n_before = want[ok], n_before[ok]
    pick = n_before - 1 - (rng.random(len(want)) * np.minimum(n_before, 2000)).astype(np.int64)
    reply_to = np.full(m, -1, dtype=np.int64)
    reply_to[want] = comment_of_draft[parents[pick]]
    video[want] = video[parents[pick]]

    ix, uidx = d.ix, d.uidx
    frames = [
        _frame(
            "comment_draft_submitted",
            d.ts,
            uidx,
            draft=ix,
            video=video,
            score=d.score,
            classifier=d.classifier,
            text=ix,
            text_length=d.text_len,
            reply=reply_to,
        ),
    ]
    e = np.flatnonzero(edit)
    frames.append(
        _frame(
            "comment_draft_submitted",
            sub2_ts[e],
            uidx[e],
            draft=ix[e],
            video=video[e],
            score=score2[e],
            classifier=d.classifier[e],
            text=m + ix[e],
            text_length=text_len2[e],
            reply=reply_to[e],
        )
    )
    for rows, ts in ((np.flatnonzero(trig), trig1_ts), (np.flatnonzero(retrig), trig2_ts)):
        frames.append(
            _frame(
                "nudge_triggered",
                ts[rows],
                uidx[rows],
                draft=ix[rows],
                exp=np.zeros(len(rows), np.int8),
                variant=arm[rows].astype(np.int8),
                shown=arm[rows] > 0,
            )
        )
    g1, g2 = np.flatnonzero(logged1), np.flatnonzero(logged2)
    frames.append(
        _frame("nudge_response", trig1_ts[g1] + rt1[g1], uidx[g1], draft=ix[g1], action=action1[g1].astype(np.int8))
    )
    act2 = np.where(cat[g2] == C, POST_ANYWAY, CANCEL).astype(np.int8)
    frames.append(_frame("nudge_response", trig2_ts[g2] + rt2[g2], uidx[g2], draft=ix[g2], action=act2))
    dd = np.flatnonzero(discarded)
    frames.append(_frame("draft_discarded", discard_ts[dd], uidx[dd], draft=ix[dd]))

    all_posts = np.concatenate([post_rows, dbl_rows])
    p_ts = np.concatenate([post_ts[post_rows], post_ts[dbl_rows] + _uniform_us(rng, 0.5, 8, len(dbl_rows))])
    posts = pl.DataFrame(
        {
            "ts": p_ts,
            "uidx": uidx[all_posts],
            "draft": ix[all_posts],
            "comment": np.arange(len(all_posts), dtype=np.int64),
            "video": video[all_posts],
            "score": post_score[all_posts],
            "text": post_text[all_posts],
        }
    )
    frames.append(posts.with_columns(type=pl.lit(TYPE_CODE["comment_posted"], pl.Int8)))
    return frames, posts.drop("text")
