"""Delivery: arrival dates, part files, late batches, re-deliveries, junk placement and file dirt.

Produces a `Plan`: one row per delivered row (original, duplicate copy or junk) with its arrival day
(`dt`, days since the epoch), file name and order key, plus the file-level dirt (a truncated gzip,
empty files) and the exact expected data-quality counts of everything it placed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .constants import DAY_US, MAX_LATENESS_DAYS, QUARANTINE_REASONS, TYPE_CODE
from .dirt import Dirt, n_cases
from .events import Rows
from .junk import LINE_ONLY, JunkRow, day_of, make_junk

PARTS_PER_DAY = 4
NEVER = np.iinfo(np.int64).max
#: file kinds; a file code is kind * 1000 + number, its name comes from `file_name`
PART, LATE, RETRY, REDELIVERY, CLIENT_RC, JUNK, CUTOFF = range(7)
_PREFIX = ("part", "late", "retry", "redelivery", "client-rc", "junk", "cutoff")


def file_name(code: int, dt: int, fmt: str) -> str:
    """File name of a file code on arrival day dt (JSONL: part files of every third day are gzipped)."""
    kind, num = divmod(int(code), 1000)
    if kind in (JUNK, CUTOFF):
        ext = ".jsonl"
    elif fmt == "parquet":
        ext = ".parquet"
    else:
        ext = ".jsonl.gz" if kind == PART and dt % 3 == 1 else ".jsonl"
    return f"{_PREFIX[kind]}-{num:04d}{ext}"


@dataclass
class Plan:
    """Everything to write, and the expected counts."""

    rows: pl.DataFrame  # row (event row, -1 junk, -2 blank), junk (index or -1), dt, file (code), ord
    junk: list[JunkRow]
    canary: np.ndarray  # bool per event row: delivered carrying a raw `text` field
    arrival: np.ndarray  # per event row: arrival day (days since epoch) of its earliest delivered copy
    resend: list[tuple[int, str, np.ndarray, float]]  # (dt, file, event rows, share kept) truncated gzips
    empty: list[tuple[int, str]]
    fmt: str = "jsonl"
    counts: dict[str, int] = field(default_factory=dict)
    by_date: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, reason: str, dts: np.ndarray) -> None:
        """Count findings of `reason` on the given arrival days."""
        dts = np.asarray(dts, dtype=np.int64)
        self.counts[reason] = self.counts.get(reason, 0) + len(dts)
        days, n = np.unique(dts, return_counts=True)
        for d, k in zip(days, n, strict=True):
            day = self.by_date.setdefault(day_of(d).isoformat(), {})
            day[reason] = day.get(reason, 0) + int(k)

    def to_file_order(self, ts: np.ndarray) -> np.ndarray:
        """Renumber the event rows in the order of the file of their original copy (arrival day, file, time).

        Returns `order`: the new event row i is the old row order[i].  Afterwards the first len(order) plan
        rows are the original copies in that order (row i at position i).
        """
        n = len(self.canary)
        home = self.rows.slice(0, n)  # the original copies come first, in event row order
        dt, code = home["dt"].to_numpy(), home["file"].to_numpy()
        # one int64 key ordered like (dt, file, ts): file codes of original copies are few (a slot each)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        present = np.flatnonzero(np.bincount(code))
        slot = np.zeros(int(code.max()) + 1, dtype=np.int64)
        slot[present] = np.arange(len(present))
        t0 = int(ts.min())
        span = int(ts.max()) - t0 + 1
        group = (dt - int(dt.min())) * len(present) + slot[code]
        if (int(group.max()) + 1) * span >= 1 << 62:
            raise OverflowError("too long a simulation for the file-order key")
        key = group * span + (ts - t0)
        order = pl.DataFrame({"k": key, "i": np.arange(n)}).sort("k", maintain_order=True)["i"].to_numpy()
        new = np.empty(n, dtype=np.int64)
        new[order] = np.arange(n)
        rest = self.rows.slice(n)
        row = rest["row"].to_numpy()
        self.rows = pl.concat(
            [
                _frame(np.arange(n), -1, dt[order], code[order], ts[order]),
                rest.with_columns(row=pl.Series(np.where(row >= 0, new[np.maximum(row, 0)], row))),
            ]
        )
        self.canary = self.canary[order]
        self.arrival = self.arrival[order]
        self.resend = [(d, name, np.sort(new[sel]), share) for d, name, sel, share in self.resend]
        return order


def _frame(
    row: np.ndarray, junk: np.ndarray | int, dt: np.ndarray, code: np.ndarray, order: np.ndarray
) -> pl.DataFrame:
    n = len(row)
    return pl.DataFrame(
        {
            "row": np.asarray(row, dtype=np.int64),
            "junk": np.broadcast_to(np.asarray(junk, dtype=np.int64), (n,)),
            "dt": np.asarray(dt, dtype=np.int64),
            "file": np.asarray(code, dtype=np.int64),
            "ord": np.asarray(order, dtype=np.int64),
        }
    )


def _files_by_day(dt: np.ndarray, code: np.ndarray) -> dict[int, list[int]]:
    """Arrival day -> the sorted distinct file codes of that day (by counting: codes and days are few)."""
    if len(dt) == 0:
        return {}
    codes = np.flatnonzero(np.bincount(code))
    slot = np.zeros(int(code.max()) + 1, dtype=np.int64)
    slot[codes] = np.arange(len(codes))
    d0 = int(dt.min())
    present = np.flatnonzero(np.bincount((dt - d0) * len(codes) + slot[code]))
    by_day: dict[int, list[int]] = {}
    for d, k in zip((present // len(codes) + d0).tolist(), codes[present % len(codes)].tolist(), strict=True):
        by_day.setdefault(d, []).append(k)
    return by_day


def plan_delivery(
    rng: np.random.Generator,
    rows: Rows,
    n_real: int,
    sample: Callable[[np.ndarray], pl.DataFrame],
    dirt: Dirt,
    fmt: str,
    seed: int,
) -> Plan:
    """Plan the delivery of event `rows` (the n_real real rows first, then dirt rows).

    `sample(rows)` renders some event rows as a contract frame (the bases of junk rows).
    """
    n = len(rows)
    ts = rows["ts"]
    event_day = ts // DAY_US
    late = rng.random(n) < dirt.late_share
    lag = np.where(late, np.where(rng.random(n) < dirt.late_two_days_share, 2, 1), 0)
    dt = event_day + lag

    # the misconfigured client: some real drafts/posts carry the raw text (never re-delivered)
    etype = rows["type"]
    draft_or_post = (etype == TYPE_CODE["comment_draft_submitted"]) | (etype == TYPE_CODE["comment_posted"])
    cand = np.flatnonzero(draft_or_post[:n_real])
    canary = np.zeros(n, dtype=bool)
    canary[rng.choice(cand, min(len(cand), n_cases(dirt.text_field_share, len(cand))), replace=False)] = True

    # original files: 4 time-of-day parts on time, one batch per lateness (+ the raw-text client's file)
    part = (ts - event_day * DAY_US) * PARTS_PER_DAY // DAY_US
    code = np.where(lag == 0, PART * 1000 + part, LATE * 1000 + lag)
    if fmt == "parquet":
        code = np.where(canary, CLIENT_RC * 1000, code)
    plan = Plan(rows=pl.DataFrame(), junk=[], canary=canary, arrival=dt.copy(), resend=[], empty=[], fmt=fmt)
    frames = [_frame(np.arange(n), -1, dt, code, ts)]
    plan.add("late_event", dt[lag > 0])
    plan.add("text_field_scrubbed", dt[canary])

    # duplicates: identical re-deliveries in the same file, a later file that day, or 1-2 days later
    dup_pool = np.flatnonzero(~canary)
    k = min(len(dup_pool), n_cases(dirt.duplicate_share, n))
    dup = rng.choice(dup_pool, k, replace=False)
    dup = np.concatenate([dup, dup[rng.random(k) < 0.1]])
    mode = rng.choice(3, len(dup), p=[0.4, 0.3, 0.3])
    later = np.minimum(dt[dup] + rng.integers(1, 3, len(dup)), event_day[dup] + MAX_LATENESS_DAYS)
    dt_copy = np.where(mode == 2, later, dt[dup])
    code_copy = np.where(mode == 0, code[dup], np.where(dt_copy > dt[dup], REDELIVERY * 1000, RETRY * 1000))
    frames.append(_frame(dup, -1, dt_copy, code_copy, ts[dup]))
    np.minimum.at(plan.arrival, dup, dt_copy)
    plan.add("duplicate_event", dt_copy)

    # junk rows (never based on canary rows), in a random file of their arrival day
    counts = {r: n_cases(dirt.junk_per_reason, n) for r in QUARANTINE_REASONS}
    total = sum(counts.values())
    base_rows = np.flatnonzero(~canary)
    if total:  # a sample of base events per type, so junk making never touches the full log
        base_type = etype[base_rows]
        picks = []
        for t in range(len(TYPE_CODE)):
            pool = base_rows[base_type == t]
            picks.append(rng.choice(pool, min(len(pool), total), replace=False))
        base_rows = np.sort(np.concatenate(picks))
    junk = make_junk(rng, sample(base_rows), dt[base_rows], counts, seed, fmt)
    by_day = _files_by_day(dt[~canary], code[~canary])
    jdt, jcode, jord = [], [], []
    used_tail: set[tuple[int, int]] = set()
    for j, jr in enumerate(junk):
        choices = by_day.get(jr.dt, [PART * 1000])
        target = (
            JUNK * 1000 if fmt == "parquet" and jr.reason in LINE_ONLY else choices[int(rng.integers(len(choices)))]
        )
        order = jr.dt * DAY_US + int(rng.integers(0, DAY_US))
        if jr.reason == "truncated_line":  # the last line of a plain JSONL file, at most one per file
            if file_name(target, jr.dt, fmt).endswith(".gz") or (jr.dt, target) in used_tail:
                target = CUTOFF * 1000 + j
            used_tail.add((jr.dt, target))
            order = NEVER
        jdt.append(jr.dt)
        jcode.append(target)
        jord.append(order)
        plan.add(jr.reason, np.array([jr.dt]))
    plan.junk = junk
    frames.append(_frame(np.full(len(junk), -1), np.arange(len(junk)), np.array(jdt), np.array(jcode), np.array(jord)))
    if fmt == "jsonl":  # white-space-only lines: skipped by readers, not counted
        pick = rng.integers(0, n, n_cases(dirt.blank_lines, n))
        frames.append(_frame(np.full(len(pick), -2), -1, dt[pick], code[pick], ts[pick] + 1))
    plan.rows = pl.concat(frames)

    # file dirt: truncated gzip re-sends (only duplicates of that day's deliveries) and empty files
    days = np.unique(dt[lag == 0])
    for i in range(dirt.truncated_gzip_files):
        d = int(days[int(rng.integers(0, len(days)))])
        pool = np.flatnonzero((dt == d) & (lag == 0) & ~canary)
        sel = np.sort(rng.choice(pool, min(len(pool), 40), replace=False))
        plan.resend.append((d, f"resend-{i:04d}.jsonl.gz", sel, 0.6))
    for i in range(dirt.empty_files):
        d = int(days[int(rng.integers(0, len(days)))])
        plan.empty.append((d, f"empty-{i:04d}.jsonl"))
        plan.add("empty_file", np.array([d]))
    return plan
