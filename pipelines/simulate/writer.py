"""Writing the planned delivery: JSONL / gzip / Parquet part files under events/dt=YYYY-MM-DD/."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from .constants import CANARY
from .delivery import Plan, file_name
from .events import WIDE_SCHEMA, json_lines, json_lines_grouped
from .junk import LINE_ONLY, JunkRow, day_of

CANARY_TEXT = f"{CANARY} raw comment text that must never be stored"
GZIP_LEVEL = 1
_ARROW = {
    "event_ts": pa.timestamp("us", tz="UTC"),
    "schema_version": pa.int32(),
    "toxicity_score": pa.float64(),
    "text_length": pa.int64(),
    "shown": pa.bool_(),
}
#: contract §3-§4 Parquet types: one wide schema, every event type's columns (null where not applicable)
#: low-cardinality columns worth dictionary-encoding (ids are not: encoding them is slow and useless)
DICTIONARY_COLUMNS = [
    "event_type",
    "schema_version",
    "country",
    "platform",
    "app_version",
    "experiment_id",
    "variant",
    "classifier_version",
    "shown",
    "prompt_id",
    "action",
    "reason",
    "removal_source",
]
PARQUET_SCHEMA = pa.schema([pa.field(c, _ARROW.get(c, pa.string())) for c in WIDE_SCHEMA])


def truncated_gzip(lines: list[str], keep_share: float) -> tuple[bytes, int]:
    """A gzip stream of `lines`, cut off after a share of them (no end-of-stream, no trailer).

    Every line is followed by a full flush, and the cut is at a flush point, so the readable part
    holds only complete lines.  Returns (bytes, number of complete lines a reader can recover).
    """
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = bytearray()
    keep = max(1, min(len(lines) - 1, int(len(lines) * keep_share)))
    cut = 0
    for i, line in enumerate(lines):
        out += comp.compress((line + "\n").encode())
        out += comp.flush(zlib.Z_FULL_FLUSH)
        if i + 1 == keep:
            cut = len(out)
    out += comp.flush()
    data = bytes(out[:cut])
    readable = zlib.decompressobj(31).decompress(data)
    return data, readable.count(b"\n")


def _canary_lines(lines: pl.Series, rows: np.ndarray) -> pl.Series:
    """The misconfigured client's lines for event rows `rows`: the JSON object plus a raw `text` field."""
    extra = f',"text":{json.dumps(CANARY_TEXT)}}}'
    return pl.Series("line", [line[:-1] + extra for line in lines.gather(rows).to_list()], dtype=pl.String)


def _junk_line(j: JunkRow) -> str:
    return j.line if j.line is not None else json.dumps(j.record, separators=(",", ":"))


def _junk_typed(junk: list[JunkRow]) -> pl.DataFrame:
    """Typed wide rows of junk records (Parquet mode); all-null rows for line-only reasons (unused)."""
    recs = []
    for j in junk:
        typed = j.record if j.reason not in LINE_ONLY and j.record is not None else {}
        r = {c: typed.get(c) for c in WIDE_SCHEMA}
        if r["event_ts"] is not None:
            r["event_ts"] = datetime.fromisoformat(str(r["event_ts"]).replace("Z", "+00:00"))
        recs.append(r)
    return pl.DataFrame(recs, schema=WIDE_SCHEMA, orient="row")


def _dir(root: Path, dt: int) -> Path:
    d = root / f"dt={day_of(dt).isoformat()}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write_bytes(path: Path, data: bytes) -> None:
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    path.write_bytes(data)


def _groups(rows: pl.DataFrame) -> list[tuple[int, int, int, int]]:
    """(dt, file code, start, end) runs of a frame sorted by dt and file."""
    dt, code = rows["dt"].to_numpy(), rows["file"].to_numpy()
    if len(dt) == 0:
        return []
    cut = np.flatnonzero((np.diff(dt) != 0) | (np.diff(code) != 0)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(dt)]])
    return [(int(dt[a]), int(code[a]), int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _write_lines(root: Path, rows: pl.DataFrame, lines: pl.Series, tail: np.ndarray, fmt: str) -> list[Path]:
    """Write line files; rows sorted by (dt, file); `tail` marks a last line without newline."""
    paths = []
    for dt, code, a, b in _groups(rows):
        buf = io.BytesIO()
        lines.slice(a, b - a).to_frame("line").write_csv(buf, include_header=False, quote_style="never")
        data = buf.getvalue()
        if tail[b - 1]:
            data = data[:-1]
        path = _dir(root, dt) / file_name(code, dt, fmt)
        _write_bytes(path, data)
        paths.append(path)
    return paths


def _write_day_lines(
    root: Path,
    events: pl.DataFrame,
    plan: Plan,
    rows: pl.DataFrame,
    idx: np.ndarray,
    jdx: np.ndarray,
    tail: np.ndarray,
    junk_lines: pl.Series,
    fmt: str,
) -> list[Path]:
    """Write the line files of one arrival day (rows sorted by file and order)."""
    need = np.unique(idx[idx >= 0])
    lines, pos = json_lines_grouped(events[need])  # lines[pos[i]]: the line of events row need[i]
    local = np.searchsorted(need, np.maximum(idx, 0))
    canary_local = np.flatnonzero(plan.canary[need])
    rank = np.full(len(need), -1, dtype=np.int64)
    rank[canary_local] = np.arange(len(canary_local))
    # one gather from [event lines | their raw-text versions | junk lines | a blank line]
    n, k = len(lines), len(canary_local)
    event_pick = np.where(rank[local] >= 0, n + rank[local], pos[local]) if len(need) else local
    pick = np.where(idx >= 0, event_pick, np.where(jdx >= 0, n + k + jdx, n + k + len(junk_lines)))
    pool = pl.concat([lines, _canary_lines(lines, pos[canary_local]), junk_lines, pl.Series(["  "])], rechunk=False)
    return _write_lines(root, rows, pool.gather(pick), tail, fmt)


def write_files(root: Path, events: pl.DataFrame, plan: Plan, fmt: str) -> list[Path]:
    """Write every planned file; completes plan.counts with the truncated-gzip findings."""
    r = plan.rows
    order = np.lexsort((r["ord"].to_numpy(), r["file"].to_numpy(), r["dt"].to_numpy()))
    rows = r[order]
    idx, jdx = rows["row"].to_numpy(), rows["junk"].to_numpy()
    junk_lines = pl.Series("jl", [_junk_line(j) for j in plan.junk] or [""], dtype=pl.String)
    junk_reason = np.array([j.reason for j in plan.junk] + [""])
    tail = (junk_reason[jdx] == "truncated_line") & (jdx >= 0)
    line_only = np.array([j.reason in LINE_ONLY for j in plan.junk] + [False])[jdx] & (jdx >= 0)
    paths: list[Path] = []
    if fmt == "jsonl":
        # one arrival day at a time, so that only one day of JSON text is in memory
        dts = rows["dt"].to_numpy()
        cuts = np.flatnonzero(np.diff(dts)) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(dts)]]), strict=True):
            paths += _write_day_lines(
                root, events, plan, rows.slice(a, b - a), idx[a:b], jdx[a:b], tail[a:b], junk_lines, fmt
            )
    else:
        typed = ~line_only
        wide = events.select(list(WIDE_SCHEMA))
        typed_junk = _junk_typed(plan.junk)
        sel = rows.filter(pl.Series(typed))
        source = pl.concat([wide, typed_junk])
        pick = np.where(sel["row"].to_numpy() >= 0, sel["row"].to_numpy(), wide.height + sel["junk"].to_numpy())
        day_of_group: dict[int, pl.DataFrame] = {}  # one arrival day's rows at a time (bounded memory)
        for dt, code, a, b in _groups(sel):
            if dt not in day_of_group:
                dts = sel["dt"].to_numpy()
                lo, hi = np.searchsorted(dts, dt, "left"), np.searchsorted(dts, dt, "right")
                day_of_group = {dt: source[pick[lo:hi]]}
                day_start = lo
            out = day_of_group[dt].slice(int(a - day_start), b - a)
            name = file_name(code, dt, fmt)
            schema = PARQUET_SCHEMA
            if name.startswith("client-rc"):
                out = out.with_columns(text=pl.lit(CANARY_TEXT))
                schema = PARQUET_SCHEMA.append(pa.field("text", pa.string()))
            path = _dir(root, dt) / name
            pq.write_table(out.to_arrow().cast(schema), path, compression="zstd", use_dictionary=DICTIONARY_COLUMNS)
            paths.append(path)
        lj = rows.filter(pl.Series(line_only))
        if lj.height:
            paths += _write_lines(root, lj, junk_lines.gather(lj["junk"].to_numpy()), tail[line_only], fmt)
    for dt, name, sel_rows, share in plan.resend:
        data, readable = truncated_gzip(json_lines(events[sel_rows]).to_list(), share)
        path = _dir(root, dt) / name
        path.write_bytes(data)
        paths.append(path)
        plan.add("duplicate_event", np.full(readable, dt))
        plan.add("corrupt_gzip", np.array([dt]))
    for dt, name in plan.empty:
        path = _dir(root, dt) / name
        path.write_bytes(b"")
        paths.append(path)
    return sorted(paths)
