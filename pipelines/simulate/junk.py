"""Junk rows: one designed case per quarantine reason of docs/definitions.md §1.

Each junk row starts from a real event (so it looks like real traffic), gets a fresh event_id that can
never collide with a real one, and receives exactly one defect, chosen so that its reason is the
*first* that applies in the §1 order.  Rows are few (a rate of the valid events), so they are built
as Python dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from .constants import COMMON_FIELDS, EVENT_FIELDS, QUARANTINE_REASONS
from .ids import JUNK_BASE, NS_EVENT, id_strings

#: reasons that cannot exist in a typed Parquet row; in Parquet mode they go to a .jsonl file
LINE_ONLY = frozenset({"truncated_line", "not_json", "wrong_type", "bad_timestamp"})
_EPOCH = date(1970, 1, 1)


@dataclass
class JunkRow:
    """One junk row for arrival day `dt` (days since epoch)."""

    dt: int
    reason: str
    record: dict[str, Any] | None  # a JSON object (may hold wrong types); None for raw lines
    line: str | None = None  # raw text for not_json / truncated_line


def iso(ts: datetime) -> str:
    """The generator's usual timestamp rendering (UTC, µs, 'Z')."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    """The contract JSON object of a wide-table row (only its type's fields, event_ts as text)."""
    out = {f: row[f] for f in (*COMMON_FIELDS, *EVENT_FIELDS[row["event_type"]])}
    out["event_ts"] = iso(row["event_ts"])
    return out


def _pool(events: pl.DataFrame, types: tuple[str, ...] | None) -> pl.DataFrame:
    return events if types is None else events.filter(pl.col("event_type").is_in(list(types)))


# reason -> list of (event types the base may have, mutation) ; a mutation edits a record in place
def _mutations() -> dict[str, list[tuple[tuple[str, ...] | None, Any]]]:
    def drop(field: str) -> Any:
        return lambda r, rng: r.pop(field, None)

    def put(field: str, value: Any) -> Any:
        return lambda r, rng: r.__setitem__(field, value)

    def shift_days(lo: int, hi: int) -> Any:
        def f(r: dict[str, Any], rng: np.random.Generator) -> None:
            ts = datetime.fromisoformat(r["event_ts"].replace("Z", "+00:00"))
            r["event_ts"] = iso(ts + timedelta(days=int(rng.integers(lo, hi + 1))))

        return f

    posts_drafts = ("comment_draft_submitted", "comment_posted")
    return {
        "missing_field": [
            (("comment_posted",), drop("comment_id")),
            (("comment_draft_submitted",), drop("text_hash")),
            (("comment_reported",), drop("reason")),
            (None, put("user_id", "")),
            (None, put("event_id", None)),
            (None, drop("schema_version")),
            (("nudge_triggered",), lambda r, rng: r.update(shown=True, prompt_id=None)),
        ],
        "wrong_type": [
            (posts_drafts, lambda r, rng: r.__setitem__("toxicity_score", str(r["toxicity_score"]))),
            (("comment_draft_submitted",), put("text_length", 3.5)),
            (("nudge_triggered",), put("shown", "yes")),
            (None, put("schema_version", "1")),
            (None, put("country", 49)),
        ],
        "unsupported_schema_version": [(None, put("schema_version", 2)), (None, put("schema_version", 0))],
        "unknown_event_type": [(None, put("event_type", "comment_liked")), (None, put("event_type", "video_viewed"))],
        "bad_timestamp": [
            (None, lambda r, rng: r.__setitem__("event_ts", r["event_ts"][:-1])),  # no offset
            (None, lambda r, rng: r.__setitem__("event_ts", r["event_ts"][:10] + "T25:61:00Z")),
            (None, put("event_ts", "yesterday 14:03")),
            (
                None,
                lambda r, rng: r.__setitem__(
                    "event_ts", r["event_ts"][8:10] + "/" + r["event_ts"][5:7] + "/" + r["event_ts"][:4] + " 14:03:22"
                ),
            ),
        ],
        "implausible_timestamp": [
            (None, shift_days(3, 4)),
            (None, shift_days(-9, -5)),
            (None, lambda r, rng: r.__setitem__("event_ts", "2019-06-01T12:00:00.000000Z")),
        ],
        "score_out_of_range": [(posts_drafts, put("toxicity_score", 1.3)), (posts_drafts, put("toxicity_score", -0.2))],
        "invalid_value": [
            (None, put("platform", "ipados")),
            (None, put("country", "DEU")),
            (None, put("country", "de")),
            (("nudge_response",), put("action", "maybe")),
            (("comment_removed",), put("removal_source", "auto_filter")),
            (("comment_draft_submitted",), put("text_length", -3)),
            (posts_drafts, put("text_hash", "not-a-hex-hash")),
        ],
    }


def _not_json(rec: dict[str, Any], k: int) -> str:
    text = json.dumps(rec, separators=(",", ":"))
    return [
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        text[:-1] + ",}",  # trailing comma
        "[" + text + "]",  # valid JSON, but not an object
        str(rec),  # a Python repr (single quotes)
        "42",
    ][k % 5]


def make_junk(
    rng: np.random.Generator,
    events: pl.DataFrame,
    arrival: np.ndarray,
    counts: dict[str, int],
    seed: int,
    fmt: str = "jsonl",
) -> list[JunkRow]:
    """Junk rows per quarantine reason.  `arrival` is the arrival day of each row of `events`.

    `events` should be a modest sample of base events (the caller samples per event type).

    The junk row lands on the base event's arrival day; `implausible_timestamp` rows move their
    event_ts instead, by at least 3 days, so that they fall outside [dt - 2 days, dt].
    """
    muts = _mutations()
    if fmt == "parquet":  # NaN exists in a typed double column (in JSON it is not even valid JSON)
        muts["score_out_of_range"].append(
            (
                ("comment_draft_submitted", "comment_posted"),
                lambda r, rng: r.__setitem__("toxicity_score", float("nan")),
            )
        )
    events = events.with_columns(_arr=pl.Series(arrival))
    out: list[JunkRow] = []
    next_id = 0
    for reason in QUARANTINE_REASONS:
        n = counts.get(reason, 0)
        if n == 0:
            continue
        # only defects whose base event type exists in this log (a tiny log may lack reports, ...)
        variants = [v for v in muts.get(reason, [(None, None)]) if _pool(events, v[0]).height]
        pools = [_pool(events, v[0]) for v in variants]
        ids = id_strings(JUNK_BASE + next_id + np.arange(n), NS_EVENT, seed, words=2).to_list()
        next_id += n
        for j in range(n):
            mutate = variants[j % len(variants)][1]
            pool = pools[j % len(variants)]
            row = pool.row(int(rng.integers(0, pool.height)), named=True)
            rec = record_of(row)
            rec["event_id"] = ids[j]
            if reason == "not_json":
                out.append(JunkRow(row["_arr"], reason, None, _not_json(rec, j)))
            elif reason == "truncated_line":
                text = json.dumps(rec, separators=(",", ":"))
                cut = int(rng.integers(10, len(text) - 1))
                out.append(JunkRow(row["_arr"], reason, None, text[:cut].rstrip() or text[:10]))
            else:
                mutate(rec, rng)
                out.append(JunkRow(row["_arr"], reason, rec))
    return out


def day_of(d: int) -> date:
    """Days since epoch -> date."""
    return _EPOCH + timedelta(days=int(d))
