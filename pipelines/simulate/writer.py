"""Writing the planned delivery: JSONL / gzip / Parquet part files under events/dt=YYYY-MM-DD/."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .constants import CANARY
from .delivery import Plan, file_name
from .events import WIDE_SCHEMA, Events, json_lines, json_lines_grouped
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
#: random identifiers: min/max statistics would be useless (and cost time)
ID_COLUMNS = ("event_id", "user_id", "draft_id", "video_id", "text_hash", "reply_to_comment_id", "comment_id")
STATISTICS_COLUMNS = [c for c in WIDE_SCHEMA if c not in ID_COLUMNS]
#: files are written by this many threads (pyarrow encodes and compresses without the GIL)
WRITE_THREADS = 2


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


@dataclass
class _Sorted:
    """Delivered rows sorted by (arrival day, file, order): event row (or -1), junk row (or -1), dt, file."""

    row: np.ndarray
    junk: np.ndarray
    dt: np.ndarray
    file: np.ndarray

    @classmethod
    def of(cls, plan: Plan) -> _Sorted:
        """Merge the original copies (the first plan rows, already in file order) with the other rows."""
        r = plan.rows
        n = len(plan.canary)
        row, junk, dt, code, order = (r[c].to_numpy() for c in ("row", "junk", "dt", "file", "ord"))
        if not np.array_equal(row[:n], np.arange(n)):
            raise ValueError("the plan's original copies are not in file order (Plan.to_file_order)")
        # the other rows (duplicates, junk, blank lines), sorted; ties keep plan order, after originals
        e = n + np.lexsort((order[n:], code[n:], dt[n:]))
        # where each goes among the originals: after every original of a smaller (dt, file), and after
        # those of its own file with ord <= its ord; an int64 key ordered like (dt, file, ord) does it
        group = dt * (1 << 20) + code
        if len(e) and n:
            if int(code.max()) >= 1 << 20:
                raise OverflowError("file codes too large")
            start = np.concatenate([[0], np.flatnonzero(np.diff(group[:n])) + 1])
            rank = np.zeros(n, dtype=np.int64)
            rank[start[1:]] = 1
            rank = np.cumsum(rank)  # group rank of each original
            t0, t1 = int(order[:n].min()), int(order[:n].max())
            span = t1 - t0 + 3  # original keys in [1, span - 2]; extras clipped to [0, span - 1]
            key = rank * span + (order[:n] - t0 + 1)
            lo = np.searchsorted(group[:n], group[e], side="left")
            hi = np.searchsorted(group[:n], group[e], side="right")
            own = hi > lo
            ekey = rank[np.minimum(lo, n - 1)] * span + np.clip(order[e] - t0 + 1, 0, span - 1)
            pos = np.where(own, np.searchsorted(key, ekey, side="right"), lo)
        else:
            pos = np.full(len(e), n, dtype=np.int64)
        at = pos + np.arange(len(e))  # final positions of the other rows
        extra = np.zeros(n + len(e), dtype=bool)
        extra[at] = True
        merged = np.empty(n + len(e), dtype=np.int64)
        merged[~extra] = np.arange(n)
        merged[at] = e
        return cls(row[merged], junk[merged], dt[merged], code[merged])

    def __getitem__(self, sel: slice | np.ndarray) -> _Sorted:
        return _Sorted(self.row[sel], self.junk[sel], self.dt[sel], self.file[sel])

    def groups(self) -> list[tuple[int, int, int, int]]:
        """(dt, file code, start, end) of each file."""
        dt, code = self.dt, self.file
        if len(dt) == 0:
            return []
        cut = np.flatnonzero((np.diff(dt) != 0) | (np.diff(code) != 0)) + 1
        starts = np.concatenate([[0], cut])
        ends = np.concatenate([cut, [len(dt)]])
        return [(int(dt[a]), int(code[a]), int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _write_lines(root: Path, rows: _Sorted, lines: pl.Series, tail: np.ndarray, fmt: str) -> list[Path]:
    """Write line files; rows sorted by (dt, file); `tail` marks a last line without newline."""
    paths = []
    for dt, code, a, b in rows.groups():
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
    root: Path, events: Events, plan: Plan, rows: _Sorted, tail: np.ndarray, junk_lines: pl.Series, fmt: str
) -> list[Path]:
    """Write the line files of one arrival day (rows sorted by file and order)."""
    idx, jdx = rows.row, rows.junk
    need = np.unique(idx[idx >= 0])
    lines, pos = json_lines_grouped(events.frame(need))  # lines[pos[i]]: the line of events row need[i]
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


def _file_table(events: pa.Table, junk: pa.Table, row: np.ndarray, jrow: np.ndarray) -> pa.Table:
    """One file's rows: event rows `row` (>= 0) with junk rows `jrow` where row is -1, in that order."""
    is_junk = row < 0
    body = events.take(pa.array(row[~is_junk]))
    if not is_junk.any():
        return body
    pieces = []
    done = 0  # body rows placed so far
    for k, at in enumerate(np.flatnonzero(is_junk).tolist()):
        upto = at - k  # body rows before this junk row
        if upto > done:
            pieces.append(body.slice(done, upto - done))
            done = upto
        pieces.append(junk.slice(int(jrow[at]), 1))
    if done < body.num_rows:
        pieces.append(body.slice(done))
    return pa.concat_tables(pieces)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` (plain Arrow types) with the events table's column types (labels dictionary-encoded)."""
    columns = []
    for field in schema:
        col = table.column(field.name)
        if pa.types.is_dictionary(field.type):
            col = pc.dictionary_encode(col).cast(field.type)
        columns.append(col.cast(field.type))
    return pa.table(columns, schema=schema)


def _write_parquet(path: Path, events: pa.Table, junk: pa.Table, row: np.ndarray, jrow: np.ndarray) -> None:
    table = _file_table(events, junk, row, jrow)
    if path.name.startswith("client-rc"):  # the misconfigured client sends the raw comment text along
        text = pa.array(np.full(table.num_rows, CANARY_TEXT, dtype=object), pa.string())
        table = table.append_column("text", pa.chunked_array([text]))
    # Parquet holds plain strings either way; without the Arrow schema (which would name the in-memory
    # dictionary / large_string types) every reader sees the contract types of PARQUET_SCHEMA
    pq.write_table(
        table,
        path,
        compression="zstd",
        use_dictionary=DICTIONARY_COLUMNS,
        write_statistics=STATISTICS_COLUMNS,
        store_schema=False,
    )


def write_files(root: Path, events: Events, plan: Plan, fmt: str) -> list[Path]:
    """Write every planned file; completes plan.counts with the truncated-gzip findings."""
    rows = _Sorted.of(plan)
    idx, jdx = rows.row, rows.junk
    junk_lines = pl.Series("jl", [_junk_line(j) for j in plan.junk] or [""], dtype=pl.String)
    junk_reason = np.array([j.reason for j in plan.junk] + [""])
    tail = (junk_reason[jdx] == "truncated_line") & (jdx >= 0)
    line_only = np.array([j.reason in LINE_ONLY for j in plan.junk] + [False])[jdx] & (jdx >= 0)
    paths: list[Path] = []
    if fmt == "jsonl":
        # one arrival day at a time, so that only one day of JSON text is in memory
        cuts = np.flatnonzero(np.diff(rows.dt)) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(idx)]]), strict=True):
            paths += _write_day_lines(root, events, plan, rows[a:b], tail[a:b], junk_lines, fmt)
    else:
        junk = _conform(_junk_typed(plan.junk).to_arrow(), events.table.schema)
        typed = rows[~line_only]
        with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="parquet") as pool:
            pending: list[Future[None]] = []
            for dt, code, a, b in typed.groups():
                path = _dir(root, dt) / file_name(code, dt, fmt)
                pending.append(pool.submit(_write_parquet, path, events.table, junk, typed.row[a:b], typed.junk[a:b]))
                paths.append(path)
            for f in pending:
                f.result()
        if line_only.any():
            lj = rows[line_only]
            paths += _write_lines(root, lj, junk_lines.gather(lj.junk), tail[line_only], fmt)
    for dt, name, sel_rows, share in plan.resend:
        data, readable = truncated_gzip(json_lines(events.frame(sel_rows)).to_list(), share)
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
