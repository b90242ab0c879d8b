"""A deliberately naive, test-only reader of a simulated log implementing definitions.md §1-§2 in Python.

It shares no code with the generator: it reads the files as the pipeline would, classifies each line
or row, deduplicates, and counts.  Slow (pure Python), so only for small logs.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

COMMON = ("event_id", "event_type", "event_ts", "user_id", "schema_version", "country", "platform", "app_version")
NULLABLE = {"country", "platform", "app_version", "reply_to_comment_id", "prompt_id"}
FIELDS = {
    "experiment_assignment": ("experiment_id", "variant"),
    "comment_draft_submitted": (
        "draft_id",
        "video_id",
        "toxicity_score",
        "classifier_version",
        "text_hash",
        "text_length",
        "reply_to_comment_id",
    ),
    "nudge_triggered": ("draft_id", "experiment_id", "variant", "shown", "prompt_id"),
    "nudge_response": ("draft_id", "action"),
    "comment_posted": ("draft_id", "comment_id", "video_id", "toxicity_score", "text_hash"),
    "draft_discarded": ("draft_id",),
    "comment_deleted_by_author": ("comment_id",),
    "comment_reported": ("comment_id", "reason"),
    "comment_removed": ("comment_id", "removal_source"),
}
ENUMS = {
    "platform": {"ios", "android", "web"},
    "action": {"edit", "post_anyway", "cancel", "dismiss"},
    "removal_source": {"moderation", "creator_single", "creator_bulk"},
}
HEX = re.compile(r"^[0-9a-fA-F]+$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass
class Result:
    """What the reader found."""

    counts: dict[str, int] = field(default_factory=dict)
    valid: list[dict[str, Any]] = field(default_factory=list)  # kept copies, with '_dt' and '_has_text'
    rows: int = 0  # non-blank rows/lines read
    quarantined_ids: list[str] = field(default_factory=list)

    def add(self, reason: str, n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _absent(v: Any) -> bool:
    return v is None or v == ""


def classify(rec: Any, dt: date) -> str | None:
    """The §1 reason of a parsed record (None when valid); `rec` must already be a dict."""
    etype = rec.get("event_type")
    required = [c for c in COMMON if c not in NULLABLE]
    if isinstance(etype, str) and etype in FIELDS:
        required += [f for f in FIELDS[etype] if f not in NULLABLE]
        if rec.get("shown") is True:
            required.append("prompt_id")
    if any(_absent(rec.get(f)) for f in required):
        return "missing_field"
    for f, v in rec.items():
        if v is None or f == "text":
            continue
        ok = {
            "toxicity_score": _is_num,
            "text_length": _is_int,
            "schema_version": _is_int,
            "shown": lambda x: isinstance(x, bool),
        }.get(f, _is_str)(v)
        if f in COMMON or any(f in fs for fs in FIELDS.values()):
            if f == "event_ts" and isinstance(v, datetime):
                continue
            if not ok:
                return "wrong_type"
    if rec["schema_version"] != 1:
        return "unsupported_schema_version"
    if etype not in FIELDS:
        return "unknown_event_type"
    ts = rec["event_ts"]
    if isinstance(ts, str):
        try:
            ts = datetime.fromisoformat(ts)
        except ValueError:
            return "bad_timestamp"
        if ts.tzinfo is None or "T" not in rec["event_ts"]:
            return "bad_timestamp"
    day = ts.astimezone(UTC).date()
    if day > dt or day < dt - timedelta(days=2):
        return "implausible_timestamp"
    score = rec.get("toxicity_score")
    if score is not None and (math.isnan(score) or not 0 <= score <= 1):
        return "score_out_of_range"
    for f, allowed in ENUMS.items():
        if rec.get(f) is not None and rec[f] not in allowed:
            return "invalid_value"
    if rec.get("text_length") is not None and rec["text_length"] < 0:
        return "invalid_value"
    if rec.get("text_hash") is not None and not HEX.match(rec["text_hash"]):
        return "invalid_value"
    if rec.get("country") is not None and not COUNTRY.match(rec["country"]):
        return "invalid_value"
    return None


def _lines(path: Path, res: Result) -> list[tuple[str, bool]]:
    """(line, is_last_without_newline) of a .jsonl / .jsonl.gz file."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        d = zlib.decompressobj(31)
        try:
            out = d.decompress(data)
        except zlib.error:
            out = b""
            res.add("corrupt_gzip")
        else:
            if not d.eof:
                res.add("corrupt_gzip")
                out = out[: out.rfind(b"\n") + 1]  # only complete lines before the damage
        data = out
    text = data.decode()
    parts = text.split("\n")
    out_lines = [(p, False) for p in parts[:-1]]
    if parts[-1] != "":
        out_lines.append((parts[-1], True))
    return out_lines


def normalise(rec: dict[str, Any]) -> dict[str, Any]:
    """The contract fields of a valid record's type, event_ts as a UTC datetime (JSON and Parquet alike)."""
    out = {f: rec.get(f) for f in (*COMMON, *FIELDS[rec["event_type"]])}
    ts = out["event_ts"]
    out["event_ts"] = (ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)).astimezone(UTC)
    return out


def read_log(events_dir: Path) -> Result:
    """Read, classify, deduplicate and count every file under events_dir."""
    res = Result()
    candidates: list[tuple[date, str, int, dict[str, Any]]] = []
    for day_dir in sorted(events_dir.glob("dt=*")):
        dt = date.fromisoformat(day_dir.name[3:])
        for path in sorted(day_dir.iterdir()):
            if path.stat().st_size == 0:
                res.add("empty_file")
                continue
            if path.name.endswith(".parquet"):
                recs = pq.read_table(path).to_pylist()
                items: list[tuple[Any, bool, str | None]] = [(r, False, None) for r in recs]
            else:
                items = []
                for line, tail in _lines(path, res):
                    if line.strip() == "":
                        continue
                    try:
                        items.append((json.loads(line), tail, line))
                    except ValueError:
                        items.append((None if not tail else "TRUNC", tail, line))
            for n, (rec, _tail, _raw) in enumerate(items):
                res.rows += 1
                if rec == "TRUNC":
                    res.add("truncated_line")
                    continue
                if not isinstance(rec, dict):
                    res.add("not_json")
                    continue
                reason = classify(rec, dt)
                if reason:
                    res.add(reason)
                    if isinstance(rec.get("event_id"), str):
                        res.quarantined_ids.append(rec["event_id"])
                    continue
                candidates.append((dt, path.name, n, rec))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    kept: dict[str, dict[str, Any]] = {}
    for dt, _name, _n, rec in candidates:
        if rec.get("text") is not None:
            res.add("text_field_scrubbed")
        content = normalise(rec)
        if rec["event_id"] in kept:
            res.add("duplicate_event")
            if {k: v for k, v in kept[rec["event_id"]].items() if not k.startswith("_")} != content:
                res.add("conflicting_duplicate")
            continue
        if content["event_ts"].date() < dt:
            res.add("late_event")
        kept[rec["event_id"]] = {**content, "_dt": dt}
    res.valid = list(kept.values())
    return res
