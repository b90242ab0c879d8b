"""An independent polars implementation of docs/definitions.md §3-§7: the values truth.json holds.

It reads a frame of *valid, deduplicated* events (contract columns; `event_ts` a UTC datetime) and a
registry dict (as in experiments.yml) and returns per-experiment metrics per arm and segment, the
sample-ratio check and the analysis findings (§3-§4 reason codes).  On purpose it imports nothing from
the rest of the project: the rules it needs are restated here, so that it can check the SQL pipeline (the §6
metrics per arm and segment are in its sibling ``truth_metrics.py``, which follows the same rule).
An optional column `_dt` (arrival date of the kept copy) lets findings be attributed to arrival dates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

import polars as pl

from .truth_metrics import metrics, prompt_number_metrics

WINDOW = timedelta(minutes=60)  # §4: trigger ts <= post ts <= trigger ts + 60 minutes
PRE_PERIOD = timedelta(days=14)  # §5: CUPED covariate window before assigned_at
SRM_ALPHA = 0.001  # §7
UNKNOWN = "unknown"  # segment value for a null country / platform
_TIME_ORDER = ["event_ts", "event_id"]


@dataclass(frozen=True)
class Experiment:
    """One registry entry."""

    id: str
    start: date
    end: date
    control: str
    variants: dict[str, float]
    threshold: float

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        def as_date(v: Any) -> date:
            return v if isinstance(v, date) else date.fromisoformat(str(v))

        return cls(
            str(d["id"]),
            as_date(d["start"]),
            as_date(d["end"]),
            str(d["control"]),
            {str(k): float(v) for k, v in d["variants"].items()},
            float(d["trigger_threshold"]),
        )


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution (closed forms for integer degrees of freedom)."""
    if x <= 0:
        return 1.0
    h = x / 2.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= h / i
            total += term
        return min(1.0, math.exp(-h) * total)
    total = math.erfc(math.sqrt(h))
    term = math.sqrt(h) / math.gamma(1.5)
    for i in range(1, (df - 1) // 2 + 1):
        total += math.exp(-h) * term
        term *= h / (i + 0.5)
    return min(1.0, total)


class _Findings:
    """Counts of findings, in total and per arrival date."""

    def __init__(self) -> None:
        self.total: dict[str, int] = {}
        self.by_date: dict[str, dict[str, int]] = {}

    def add(self, reason: str, rows: pl.DataFrame) -> None:
        self.total[reason] = self.total.get(reason, 0) + rows.height
        if "_dt" in rows.columns and rows.height:
            for dt, n in rows.group_by("_dt").len().iter_rows():
                day = self.by_date.setdefault(str(dt), {})
                day[reason] = day.get(reason, 0) + n


_COLUMNS = {
    "experiment_assignment": ["event_id", "event_ts", "user_id", "experiment_id", "variant", "country", "platform"],
    "nudge_triggered": ["event_id", "event_ts", "user_id", "experiment_id", "variant", "draft_id"],
    "comment_draft_submitted": ["event_id", "event_ts", "draft_id", "text_hash"],
    "comment_posted": ["event_id", "event_ts", "user_id", "draft_id", "comment_id", "text_hash", "toxicity_score"],
    "comment_reported": ["comment_id"],
    "comment_removed": ["comment_id", "removal_source"],
}
#: the event columns the rules read (callers may pass only these, plus the optional `_dt`)
INPUT_COLUMNS: tuple[str, ...] = ("event_type", *dict.fromkeys(c for cols in _COLUMNS.values() for c in cols))


def _of_type(ev: pl.DataFrame, event_type: str) -> pl.DataFrame:
    """Events of one type, with only the columns the rules use (and `_dt` when present).

    Label columns may come in as Categorical (a cheap encoding of the same strings); the rules see String.
    """
    cols = _COLUMNS[event_type] + (["_dt"] if "_dt" in ev.columns else [])
    out = ev.lazy().filter(pl.col("event_type") == event_type).select(cols).collect()
    return out.with_columns(pl.col(c).cast(pl.String) for c, t in out.schema.items() if t == pl.Categorical)


def _in_dates(e: Experiment) -> pl.Expr:
    return pl.col("event_ts").dt.date().is_between(e.start, e.end, closed="both")


def _assignments(ev: pl.DataFrame, e: Experiment, f: _Findings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """§3: (first assignment per user with arm/segments/contaminated flag, ...) and SRM counts."""
    a = _of_type(ev, "experiment_assignment").filter(pl.col("experiment_id") == e.id)
    f.add("unknown_variant", a.filter(~pl.col("variant").is_in(list(e.variants))))
    a = a.filter(pl.col("variant").is_in(list(e.variants)))
    f.add("outside_experiment_dates", a.filter(~_in_dates(e)))
    a = a.filter(_in_dates(e)).sort(_TIME_ORDER)
    first = (
        a.group_by("user_id", maintain_order=True)
        .first()
        .select(
            "user_id",
            pl.col("variant").alias("arm"),
            pl.col("event_ts").alias("assigned_at"),
            pl.col("country").fill_null(UNKNOWN),
            pl.col("platform").fill_null(UNKNOWN),
        )
    )
    contra = a.join(first.select("user_id", "arm"), on="user_id").filter(pl.col("variant") != pl.col("arm"))
    first_contra = contra.group_by("user_id", maintain_order=True).first()
    f.add("contaminated_user", first_contra)
    first = first.with_columns(contaminated=pl.col("user_id").is_in(first_contra["user_id"].implode()))
    return first, a


def _attempts(ev: pl.DataFrame, e: Experiment, users: pl.DataFrame, f: _Findings) -> pl.DataFrame:
    """§4: analysed triggered attempts with their outcome."""
    t = _of_type(ev, "nudge_triggered").filter(pl.col("experiment_id") == e.id)
    f.add("unknown_variant", t.filter(~pl.col("variant").is_in(list(e.variants))))
    # the draft's first trigger is the attempt; if it names an unknown variant the draft has none
    first = t.sort(_TIME_ORDER).group_by("draft_id", maintain_order=True).first()
    first = first.filter(pl.col("variant").is_in(list(e.variants)))
    f.add("outside_experiment_dates", first.filter(~_in_dates(e)))
    arms = users.select("user_id", "arm", "contaminated")
    # event-log-v1 §4: every trigger event (in the dates, registered variant) from a user without an
    # assignment, or naming another arm than a non-contaminated user's, is a finding — also a later one
    events = t.filter(pl.col("variant").is_in(list(e.variants)) & _in_dates(e)).join(arms, on="user_id", how="left")
    f.add("trigger_without_assignment", events.filter(pl.col("arm").is_null()))
    f.add("trigger_variant_mismatch",
          events.filter(pl.col("arm").is_not_null() & ~pl.col("contaminated") & (pl.col("variant") != pl.col("arm"))))
    first = first.filter(_in_dates(e)).join(arms, on="user_id", how="left")
    first = first.filter(pl.col("arm").is_not_null() & ~pl.col("contaminated"))
    first = first.filter(pl.col("variant") == pl.col("arm"))
    subs = (
        _of_type(ev, "comment_draft_submitted")
        .join(first.select("draft_id"), on="draft_id", how="semi")  # only the drafts that matter (speed)
        .select("draft_id", sub_ts="event_ts", sub_id="event_id", sub_hash=pl.col("text_hash").str.to_lowercase())
    )
    f.add("trigger_without_draft", first.filter(~pl.col("draft_id").is_in(subs["draft_id"].implode())))
    att = first.filter(pl.col("draft_id").is_in(subs["draft_id"].implode())).select(
        "draft_id", "user_id", trig_ts="event_ts", trig_id="event_id"
    )

    # triggering submission: latest with ts <= trigger ts (ties: largest event_id), else the earliest
    js = att.select("draft_id", "trig_ts").join(subs, on="draft_id")
    before = (
        js.filter(pl.col("sub_ts") <= pl.col("trig_ts"))
        .sort(["sub_ts", "sub_id"], descending=True)
        .group_by("draft_id", maintain_order=True)
        .first()
        .select("draft_id", h_before="sub_hash")
    )
    earliest = (
        js.sort(["sub_ts", "sub_id"])
        .group_by("draft_id", maintain_order=True)
        .first()
        .select("draft_id", h_first="sub_hash")
    )
    # deciding post: first comment_posted (ts, event_id) within [trigger ts, trigger ts + 60 min]
    posts = (
        _of_type(ev, "comment_posted")
        .join(att.select("draft_id"), on="draft_id", how="semi")
        .select("draft_id", post_ts="event_ts", post_id="event_id", post_hash=pl.col("text_hash").str.to_lowercase(),
                post_score="toxicity_score")
    )
    deciding = (
        att.select("draft_id", "trig_ts")
        .join(posts, on="draft_id")
        .filter(pl.col("post_ts").is_between(pl.col("trig_ts"), pl.col("trig_ts") + WINDOW, closed="both"))
        .sort(["post_ts", "post_id"])
        .group_by("draft_id", maintain_order=True)
        .first()
        .select("draft_id", "post_hash", "post_score")
    )
    att = (
        att.join(before, on="draft_id", how="left")
        .join(earliest, on="draft_id", how="left")
        .join(deciding, on="draft_id", how="left")
        .with_columns(trig_hash=pl.coalesce("h_before", "h_first"))
    )
    outcome = (
        pl.when(pl.col("post_hash").is_null())
        .then(pl.lit("withdrawn"))
        .when(pl.col("post_hash") != pl.col("trig_hash"))
        .then(pl.lit("changed"))
        .otherwise(pl.lit("posted_unchanged"))
    )
    return att.with_columns(outcome=outcome).with_columns(
        defused=(pl.col("outcome") == "changed") & (pl.col("post_score") < e.threshold)
    )


def user_values(ev: pl.DataFrame, e: Experiment, users: pl.DataFrame, att: pl.DataFrame) -> pl.DataFrame:
    """§5: one row per non-contaminated assigned user."""
    users = users.filter(~pl.col("contaminated"))
    per_att = (
        att.sort(["trig_ts", "trig_id"])
        .group_by("user_id", maintain_order=True)
        .agg(
            attempts=pl.len(),
            withdrawn=(pl.col("outcome") == "withdrawn").sum(),
            changed=(pl.col("outcome") == "changed").sum(),
            posted_unchanged=(pl.col("outcome") == "posted_unchanged").sum(),
            defused=pl.col("defused").sum(),
            first_withdrawn_or_changed=pl.col("outcome").first().is_in(["withdrawn", "changed"]).cast(pl.Int64),
        )
    )
    posts = (
        _of_type(ev, "comment_posted")
        .select("user_id", "comment_id", "event_ts", "toxicity_score")
        .join(users.select("user_id", "assigned_at"), on="user_id")
    )
    in_exp = posts.filter((pl.col("event_ts") >= pl.col("assigned_at")) & (pl.col("event_ts").dt.date() <= e.end))
    pre = posts.filter(
        (pl.col("event_ts") >= pl.col("assigned_at") - PRE_PERIOD) & (pl.col("event_ts") < pl.col("assigned_at"))
    )
    toxic = pl.col("toxicity_score") >= e.threshold
    per_post = in_exp.group_by("user_id").agg(posts=pl.len(), toxic_posts=toxic.sum())
    per_pre = pre.group_by("user_id").agg(pre_posts=pl.len(), pre_toxic_posts=toxic.sum())
    # the author of each in-experiment post (a report's or removal's own user_id is the reporter / remover);
    # only posts that were reported or removed can match, so only those are looked up (speed)
    reported, removed = _of_type(ev, "comment_reported"), _of_type(ev, "comment_removed")
    reacted = pl.concat([reported.select("comment_id"), removed.select("comment_id")])
    owner = (
        in_exp.join(reacted, on="comment_id", how="semi").select("comment_id", author="user_id").unique("comment_id")
    )
    reports = reported.join(owner, on="comment_id").group_by("author").agg(reports=pl.len())
    rem = (
        removed.join(owner, on="comment_id")
        .group_by("author")
        .agg(
            removals=pl.len(),
            **{
                f"removals_{s}": (pl.col("removal_source") == s).sum()
                for s in ("moderation", "creator_single", "creator_bulk")
            },
        )
    )
    out = (
        users.select("user_id", "arm", "country", "platform")
        .join(per_att, on="user_id", how="left")
        .join(per_post, on="user_id", how="left")
        .join(per_pre, on="user_id", how="left")
        .join(reports.rename({"author": "user_id"}), on="user_id", how="left")
        .join(rem.rename({"author": "user_id"}), on="user_id", how="left")
    )
    counts = [
        c for c in out.columns if c not in ("user_id", "arm", "country", "platform", "first_withdrawn_or_changed")
    ]
    return out.with_columns(pl.col(counts).fill_null(0).cast(pl.Int64)).with_columns(
        withdrawn_or_changed=pl.col("withdrawn") + pl.col("changed")
    )


def sample_ratio(first: pl.DataFrame, e: Experiment) -> dict[str, Any]:
    """§7: assigned users per first arm (contaminated included) against the planned split."""
    counts = dict(first.group_by("arm").len().iter_rows())
    observed = {arm: int(counts.get(arm, 0)) for arm in e.variants}
    total = sum(observed.values())
    weight = sum(e.variants.values())
    chi2 = (
        sum((observed[a] - total * p / weight) ** 2 / (total * p / weight) for a, p in e.variants.items())
        if total
        else 0.0
    )
    p_value = chi2_sf(chi2, len(e.variants) - 1)
    return {
        "observed": observed,
        "planned": dict(e.variants),
        "chi2": chi2,
        "df": len(e.variants) - 1,
        "p_value": p_value,
        "passed": p_value >= SRM_ALPHA,
    }


def compute_truth(events: pl.DataFrame, registry: dict[str, Any]) -> dict[str, Any]:
    """Truth of every registry experiment plus the §3-§4 findings (total and per arrival date)."""
    exps = [Experiment.from_dict(x) for x in registry["experiments"]]
    known = [e.id for e in exps]
    f = _Findings()
    for event_type in ("experiment_assignment", "nudge_triggered"):
        f.add("unknown_experiment", _of_type(events, event_type).filter(~pl.col("experiment_id").is_in(known)))
    result: dict[str, Any] = {}
    for e in exps:
        first, _ = _assignments(events, e, f)
        att = _attempts(events, e, first, f)
        values = user_values(events, e, first, att)
        arms = list(e.variants)
        by_metric = metrics(values, arms)
        arm_of = first.filter(~pl.col("contaminated")).select("user_id", "arm")
        for metric, by_number in prompt_number_metrics(att, arm_of, arms).items():
            by_metric[metric]["prompt_number"] = by_number
        result[e.id] = {
            "control": e.control,
            "arms": arms,
            "sample_ratio": sample_ratio(first, e),
            "metrics": by_metric,
        }
    findings = {
        r: f.total.get(r, 0)
        for r in (
            "unknown_experiment",
            "unknown_variant",
            "outside_experiment_dates",
            "contaminated_user",
            "trigger_without_assignment",
            "trigger_variant_mismatch",
            "trigger_without_draft",
        )
    }
    return {"experiments": result, "findings": findings, "findings_by_date": f.by_date}


#: the contract's columns and their types (event-log-v1 §3-§4), for `events_frame`
SCHEMA: dict[str, Any] = {
    "event_id": pl.String,
    "event_type": pl.String,
    "event_ts": pl.Datetime("us", "UTC"),
    "user_id": pl.String,
    "schema_version": pl.Int32,
    "country": pl.String,
    "platform": pl.String,
    "app_version": pl.String,
    "experiment_id": pl.String,
    "variant": pl.String,
    "draft_id": pl.String,
    "video_id": pl.String,
    "toxicity_score": pl.Float64,
    "classifier_version": pl.String,
    "text_hash": pl.String,
    "text_length": pl.Int64,
    "reply_to_comment_id": pl.String,
    "shown": pl.Boolean,
    "prompt_id": pl.String,
    "action": pl.String,
    "comment_id": pl.String,
    "reason": pl.String,
    "removal_source": pl.String,
}


def events_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """A typed events frame from contract records (dicts); `event_ts` may be an ISO-8601 string.

    Missing fields become null; unknown keys (and `text`) are dropped; `schema_version` defaults to 1.
    """
    from datetime import datetime

    rows = []
    for r in records:
        row = {c: r.get(c) for c in SCHEMA}
        ts = row["event_ts"]
        if isinstance(ts, str):
            ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        row["event_ts"] = ts.astimezone(UTC) if ts is not None else None
        row["schema_version"] = 1 if row["schema_version"] is None else row["schema_version"]
        rows.append(row)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
