"""§6 of docs/definitions.md for the polars oracle (:mod:`pipelines.simulate.truth`): per-user values in, the
metrics per arm and segment, and by prompt number, out.

Like ``truth.py`` it imports nothing from the rest of the project: the rules are restated, so that it can check
the SQL pipeline.
"""

from __future__ import annotations

from typing import Any

import polars as pl

SEGMENT_DIMS = ("country", "platform")
METRICS = (
    "withdraw_or_change_rate",
    "withdraw_or_change_rate_user",
    "withdrawn_rate",
    "changed_rate",
    "defused_rate",
    "toxic_posts_per_user",
    "posts_per_user",
    "reports_per_post",
    "removals_per_post",
    "triggers_per_user_after_first",
)
#: §6: the attempt-level metrics are also given by the attempt's number among its user's analysed attempts
PROMPT_NUMBER_METRICS = ("withdraw_or_change_rate", "withdrawn_rate", "changed_rate", "defused_rate")
PROMPT_NUMBERS = (("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6+", 6, None))


def _ratio(num: int, den: int, units: int) -> dict[str, Any]:
    return {"value": (num / den) if units > 0 and den > 0 else None, "units": units}


def _metric_block(u: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """§6 metrics of one group of users."""
    n = u.height
    has = u.filter(pl.col("attempts") >= 1)
    na = has.height
    s = u.select(
        pl.col(
            "attempts",
            "withdrawn_or_changed",
            "withdrawn",
            "changed",
            "defused",
            "posts",
            "toxic_posts",
            "reports",
            "removals",
        ).sum()
    ).row(0, named=True)
    n_changed = u.filter(pl.col("changed") >= 1).height
    n_posters = u.filter(pl.col("posts") >= 1).height
    first = has["first_withdrawn_or_changed"]
    return {
        "withdraw_or_change_rate": _ratio(s["withdrawn_or_changed"], s["attempts"], na),
        "withdraw_or_change_rate_user": {"value": float(first.mean()) if na else None, "units": na},  # type: ignore[arg-type]
        "withdrawn_rate": _ratio(s["withdrawn"], s["attempts"], na),
        "changed_rate": _ratio(s["changed"], s["attempts"], na),
        "defused_rate": _ratio(s["defused"], s["changed"], n_changed),
        "toxic_posts_per_user": _ratio(s["toxic_posts"], n, n),
        "posts_per_user": _ratio(s["posts"], n, n),
        "reports_per_post": _ratio(s["reports"], s["posts"], n_posters),
        "removals_per_post": _ratio(s["removals"], s["posts"], n_posters),
        "triggers_per_user_after_first": _ratio(s["attempts"] - na, na, na),
    }


def metrics(values: pl.DataFrame, arms: list[str]) -> dict[str, Any]:
    """{metric: {segment_dim: {segment_value: {arm: {value, units}}}}} over all arms."""
    out: dict[str, Any] = {m: {"all": {"all": {}}, **{d: {} for d in SEGMENT_DIMS}} for m in METRICS}
    groups: list[tuple[str, str, pl.DataFrame]] = [("all", "all", values)]
    for dim in SEGMENT_DIMS:
        for seg in sorted(values[dim].unique().to_list()):
            groups.append((dim, seg, values.filter(pl.col(dim) == seg)))
    for dim, seg, g in groups:
        for arm in arms:
            block = _metric_block(g.filter(pl.col("arm") == arm))
            for m in METRICS:
                out[m][dim].setdefault(seg, {})[arm] = block[m]
    return out


def prompt_number_metrics(att: pl.DataFrame, arm_of: pl.DataFrame, arms: list[str]) -> dict[str, Any]:
    """{metric: {value: {arm: {value, units}}}} of the attempt-level metrics by prompt number: each analysed
    attempt numbered among its user's analysed attempts by (trigger ts, trigger event_id); per bucket, the user
    is the unit (users with an attempt in it; for defused_rate users with a changed attempt in it)."""
    numbered = att.sort(["user_id", "trig_ts", "trig_id"]).with_columns(
        number=pl.int_range(1, pl.len() + 1).over("user_id")
    ).join(arm_of, on="user_id")
    out: dict[str, Any] = {m: {} for m in PROMPT_NUMBER_METRICS}
    for label, low, high in PROMPT_NUMBERS:
        keep = pl.col("number") >= low if high is None else pl.col("number").is_between(low, high)
        per_user = numbered.filter(keep).group_by("user_id", "arm").agg(
            attempts=pl.len(),
            withdrawn=(pl.col("outcome") == "withdrawn").sum(),
            changed=(pl.col("outcome") == "changed").sum(),
            defused=pl.col("defused").sum(),
        )
        for arm in arms:
            u = per_user.filter(pl.col("arm") == arm)
            s = u.select(pl.col("attempts", "withdrawn", "changed", "defused").sum()).row(0, named=True)
            n, n_changed = u.height, u.filter(pl.col("changed") >= 1).height
            block = {
                "withdraw_or_change_rate": _ratio(s["withdrawn"] + s["changed"], s["attempts"], n),
                "withdrawn_rate": _ratio(s["withdrawn"], s["attempts"], n),
                "changed_rate": _ratio(s["changed"], s["attempts"], n),
                "defused_rate": _ratio(s["defused"], s["changed"], n_changed),
            }
            for m in PROMPT_NUMBER_METRICS:
                out[m].setdefault(label, {})[arm] = block[m]
    return out
