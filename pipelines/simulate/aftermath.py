"""What happens to posted comments: reports, removals (moderation, creator, creator bulk) and deletions.

Heated comments are reported and removed far more often.  Creators sometimes clean up a whole video
at once ('creator_bulk'): every heated comment on it posted before that moment is removed within a
few seconds.  A comment is removed or deleted at most once, and nothing is reported after that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .constants import HOUR_US, TRIGGER_THRESHOLD, TYPE_CODE, US

REPORT_REASONS = ("hate_speech", "harassment", "bullying", "spam", "other")
SYSTEM_UIDX = -2  # the moderation service (user_id 'sys_moderation', no segments)
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class AftermathModel:
    """Rates of what posted comments receive."""

    report_base: float = 0.005
    report_toxic: float = 1.3  # extra Poisson rate x (score - 0.6)^1.5
    moderation_if_reported: float = 0.25
    moderation_if_reported_toxic: float = 0.45
    moderation_unreported: float = 0.003
    creator_single: float = 0.01
    creator_single_toxic: float = 0.05
    delete_by_author: float = 0.01
    delete_by_author_toxic: float = 0.03
    bulk_video_share: float = 0.15  # of videos with >= 3 heated comments
    bulk_min_score: float = 0.5


def _exp_us(rng: np.random.Generator, mean_h: float, n: int, cap_h: float = 60.0) -> np.ndarray:
    return (np.minimum(rng.exponential(mean_h, n), cap_h) * HOUR_US).astype(np.int64) + US


def aftermath(
    rng: np.random.Generator,
    posts: pl.DataFrame,
    n_users: int,
    video_owner: np.ndarray,
    model: AftermathModel,
) -> list[pl.DataFrame]:
    """Row frames of comment_reported, comment_removed and comment_deleted_by_author."""
    n = posts.height
    ts = posts["ts"].to_numpy()
    score = posts["score"].to_numpy()
    video = posts["video"].to_numpy()
    comment = posts["comment"].to_numpy()
    author = posts["uidx"].to_numpy()
    toxic = score >= TRIGGER_THRESHOLD

    rate = model.report_base + model.report_toxic * np.clip(score - 0.6, 0, None) ** 1.5
    n_rep = rng.poisson(rate)
    first_report = ts + _exp_us(rng, 3.0, n)

    p_mod = np.where(
        n_rep > 0,
        np.where(toxic, model.moderation_if_reported_toxic, model.moderation_if_reported),
        model.moderation_unreported,
    )
    mod_ts = np.where(rng.random(n) < p_mod, first_report + _exp_us(rng, 2.0, n), NEVER)
    p_single = np.where(toxic, model.creator_single_toxic, model.creator_single)
    single_ts = np.where(rng.random(n) < p_single, ts + _exp_us(rng, 6.0, n), NEVER)

    # bulk clean-ups: one burst per chosen video, removing earlier heated comments within seconds
    hot_per_video = np.bincount(video[score >= 0.6], minlength=len(video_owner))
    cand = np.flatnonzero(hot_per_video >= 3)
    chosen = cand[rng.random(len(cand)) < model.bulk_video_share]
    burst_at = np.full(len(video_owner), NEVER, dtype=np.int64)
    if len(chosen):
        first_hot = np.full(len(video_owner), NEVER, dtype=np.int64)
        hot = score >= 0.6
        np.minimum.at(first_hot, video[hot], ts[hot])
        burst_at[chosen] = first_hot[chosen] + (rng.uniform(1, 48, len(chosen)) * HOUR_US).astype(np.int64)
    in_burst = (
        (burst_at[video] < NEVER) & (ts < burst_at[video]) & (score >= model.bulk_min_score) & (rng.random(n) < 0.9)
    )
    bulk_ts = np.where(in_burst, burst_at[video] + rng.integers(0, 20 * US, n), NEVER)

    removal_ts = np.minimum(np.minimum(mod_ts, single_ts), bulk_ts)
    source = np.where(removal_ts == bulk_ts, 2, np.where(removal_ts == single_ts, 1, 0)).astype(np.int8)
    p_del = np.where(toxic, model.delete_by_author_toxic, model.delete_by_author)
    delete_ts = np.where(rng.random(n) < p_del, ts + _exp_us(rng, 3.0, n), NEVER)
    removed = (removal_ts < NEVER) & (removal_ts < delete_ts)
    deleted = (delete_ts < NEVER) & (delete_ts < removal_ts)
    end_ts = np.minimum(removal_ts, delete_ts)

    # reports: the first at first_report, more spread over the following hours
    rep_idx = np.repeat(np.arange(n), n_rep)
    k = np.arange(len(rep_idx)) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    rep_ts = first_report[rep_idx] + np.where(k > 0, _exp_us(rng, 5.0, len(rep_idx)), 0)
    keep = rep_ts < end_ts[rep_idx]
    rep_idx, rep_ts = rep_idx[keep], rep_ts[keep]
    reason_u = rng.random(len(rep_idx))
    reason = np.where(
        toxic[rep_idx], np.minimum((reason_u * 3).astype(np.int8), 2), np.minimum(2 + (reason_u * 3).astype(np.int8), 4)
    ).astype(np.int8)
    reporter = rng.integers(0, n_users, len(rep_idx))

    rm = np.flatnonzero(removed)
    actor = np.where(source[rm] == 0, SYSTEM_UIDX, video_owner[video[rm]])
    de = np.flatnonzero(deleted)

    def frame(event_type: str, t: np.ndarray, who: np.ndarray, rows: np.ndarray, **cols: np.ndarray) -> pl.DataFrame:
        data: dict[str, object] = {
            "type": np.full(len(t), TYPE_CODE[event_type], dtype=np.int8),
            "ts": t,
            "uidx": who,
            "comment": comment[rows],
        }
        data.update(cols)
        return pl.DataFrame(data)

    return [
        frame("comment_reported", rep_ts, reporter, rep_idx, reason=reason),
        frame("comment_removed", removal_ts[rm], actor, rm, removal=source[rm]),
        frame("comment_deleted_by_author", delete_ts[de], author[de], de),
    ]
