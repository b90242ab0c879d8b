"""Delivery: arrival dates, part files, late batches, re-deliveries, junk placement and file dirt.

Produces a `Plan`: one row per delivered row (original, duplicate copy or junk) with its arrival day
(`dt`, days since the epoch), file name and order key, plus the file-level dirt (a truncated gzip,
empty files) and the exact expected data-quality counts of everything it placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .constants import DAY_US, MAX_LATENESS_DAYS, QUARANTINE_REASONS
from .dirt import Dirt, n_cases
from .junk import LINE_ONLY, JunkRow, day_of, make_junk

PARTS_PER_DAY = 4
NEVER = np.iinfo(np.int64).max


@dataclass
class Plan:
    """Everything to write, and the expected counts."""

    rows: pl.DataFrame  # row (event row or -1), junk (index or -1), dt, file, ord
    junk: list[JunkRow]
    canary: np.ndarray  # bool per event row: delivered carrying a raw `text` field
    resend: list[tuple[int, str, np.ndarray, float]]  # (dt, file, event rows, share kept) truncated gzips
    empty: list[tuple[int, str]]
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


def plan_delivery(
    rng: np.random.Generator,
    events: pl.DataFrame,
    n_real: int,
    dirt: Dirt,
    fmt: str,
    seed: int,
) -> Plan:
    """Plan the delivery of `events` (real rows first, then dirt rows; `_ts` in µs)."""
    n = events.height
    ts = events["_ts"].to_numpy()
    event_day = ts // DAY_US
    late = rng.random(n) < dirt.late_share
    lag = np.where(late, np.where(rng.random(n) < dirt.late_two_days_share, 2, 1), 0)
    dt = event_day + lag

    # the misconfigured client: some real drafts/posts carry the raw text (never re-delivered)
    etype = events["event_type"].to_numpy()
    cand = np.flatnonzero(((etype == "comment_draft_submitted") | (etype == "comment_posted"))[:n_real])
    canary = np.zeros(n, dtype=bool)
    canary[rng.choice(cand, min(len(cand), n_cases(dirt.text_field_share, len(cand))), replace=False)] = True

    # original files: 4 time-of-day parts on time, one batch per lateness; gzip every third day (JSONL)
    part = ((ts - event_day * DAY_US) * PARTS_PER_DAY // DAY_US).astype(np.int64)
    if fmt == "jsonl":
        ext = np.where(dt % 3 == 1, ".jsonl.gz", ".jsonl")
        plain = ".jsonl"
    else:
        ext = np.full(n, ".parquet")
        plain = ".parquet"
    name = np.where(lag == 0, "part-", "late-").astype(object)
    num = np.where(lag == 0, part, lag)
    files = pl.select(
        pl.Series(name, dtype=pl.String)
        + pl.Series(num).cast(pl.String).str.zfill(4)
        + pl.Series(np.where(lag == 0, ext, plain), dtype=pl.String)
    ).to_series()
    if fmt == "parquet":
        files = pl.select(
            pl.when(pl.Series(canary)).then(pl.lit("client-rc-0000.parquet")).otherwise(files)
        ).to_series()
    originals = pl.DataFrame({"row": np.arange(n, dtype=np.int64), "dt": dt, "file": files, "ord": ts})

    plan = Plan(rows=originals, junk=[], canary=canary, resend=[], empty=[])
    plan.add("late_event", dt[lag > 0])
    plan.add("text_field_scrubbed", dt[canary])

    # duplicates: identical re-deliveries in the same file, a later file that day, or 1-2 days later
    dup_pool = np.flatnonzero(~canary)
    k = min(len(dup_pool), n_cases(dirt.duplicate_share, n))
    dup = rng.choice(dup_pool, k, replace=False)
    dup = np.concatenate([dup, dup[rng.random(k) < 0.1]])
    mode = rng.choice(3, len(dup), p=[0.4, 0.3, 0.3])
    dt_copy = np.where(
        mode == 2, np.minimum(dt[dup] + rng.integers(1, 3, len(dup)), event_day[dup] + MAX_LATENESS_DAYS), dt[dup]
    )
    same_file = mode == 0
    later_day = dt_copy > dt[dup]
    copy_file = np.where(
        same_file,
        originals["file"].to_numpy()[dup],
        np.where(later_day, "redelivery-0000" + plain, "retry-0000" + plain),
    )
    copies = pl.DataFrame({"row": dup, "dt": dt_copy, "file": pl.Series(copy_file, dtype=pl.String), "ord": ts[dup]})
    plan.add("duplicate_event", dt_copy)

    # junk rows (never based on canary rows)
    n_valid = n
    counts = {r: n_cases(dirt.junk_per_reason, n_valid) for r in QUARANTINE_REASONS}
    base_rows = np.flatnonzero(~canary)
    base = events[base_rows]
    junk = make_junk(rng, base.drop("_ts", "_ix"), dt[base_rows], counts, seed)
    jrows: list[tuple[int, int, str, int]] = []
    used_tail: set[tuple[int, str]] = set()
    day_files = originals.group_by("dt", "file").len().sort("dt", "file")
    by_day: dict[int, list[str]] = {}
    for d, f, _ in day_files.iter_rows():
        by_day.setdefault(d, []).append(f)
    for j, jr in enumerate(junk):
        choices = [f for f in by_day.get(jr.dt, []) if not f.startswith("client-rc")] or ["part-0000" + plain]
        if fmt == "parquet" and jr.reason in LINE_ONLY:
            target = "junk-0000.jsonl"
        else:
            target = choices[int(rng.integers(0, len(choices)))]
        if jr.reason == "truncated_line":
            if target.endswith(".gz") or (jr.dt, target) in used_tail:
                target = f"cutoff-{j:04d}.jsonl"
            used_tail.add((jr.dt, target))
            order = NEVER
        else:
            order = jr.dt * DAY_US + int(rng.integers(0, DAY_US))
        jrows.append((j, jr.dt, target, order))
        plan.add(jr.reason, np.array([jr.dt]))
    plan.junk = junk
    jframe = pl.DataFrame(
        {
            "row": np.full(len(jrows), -1, dtype=np.int64),
            "junk": np.array([r[0] for r in jrows], dtype=np.int64),
            "dt": np.array([r[1] for r in jrows], dtype=np.int64),
            "file": pl.Series([r[2] for r in jrows], dtype=pl.String),
            "ord": np.array([r[3] for r in jrows], dtype=np.int64),
        }
    )
    if fmt == "jsonl":
        nb = n_cases(dirt.blank_lines, n)
        pick = rng.integers(0, n, nb)
        blanks = pl.DataFrame(
            {
                "row": np.full(nb, -2, dtype=np.int64),
                "junk": np.full(nb, -1, dtype=np.int64),
                "dt": dt[pick],
                "file": originals["file"].to_numpy()[pick].astype(str),
                "ord": ts[pick] + 1,
            }
        )
        jframe = pl.concat([jframe, blanks.cast(jframe.schema)])  # type: ignore[arg-type]

    rows = pl.concat(
        [originals.with_columns(junk=pl.lit(-1, pl.Int64)), copies.with_columns(junk=pl.lit(-1, pl.Int64))],
        how="vertical",
    ).select("row", "junk", "dt", "file", "ord")
    plan.rows = pl.concat([rows, jframe.select(rows.columns).cast(rows.schema)])  # type: ignore[arg-type]

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
