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
from .delivery import Plan
from .events import WIDE_SCHEMA, json_lines
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


def _canary_lines(lines: pl.Series, canary: np.ndarray) -> pl.Series:
    extra = f',"text":{json.dumps(CANARY_TEXT)}}}'
    return pl.select(
        pl.when(pl.Series(canary))
        .then(lines.str.slice(0, lines.str.len_bytes() - 1) + pl.lit(extra))
        .otherwise(lines)
        .alias("line")
    ).to_series()


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


def _write_lines(root: Path, df: pl.DataFrame) -> list[Path]:
    """df: dt, file, line, tail (bool: written without a trailing newline); sorted."""
    paths = []
    for (dt, name), part in df.partition_by("dt", "file", as_dict=True, maintain_order=True).items():
        buf = io.BytesIO()
        part.select("line").write_csv(buf, include_header=False, quote_style="never")
        data = buf.getvalue()
        if part["tail"][-1]:
            data = data[:-1]
        path = _dir(root, int(dt)) / str(name)  # type: ignore[call-overload]
        _write_bytes(path, data)
        paths.append(path)
    return paths


def write_files(root: Path, events: pl.DataFrame, plan: Plan, fmt: str) -> list[Path]:
    """Write every planned file; completes plan.counts with the truncated-gzip findings."""
    rows = plan.rows.with_row_index("seq").sort("dt", "file", "ord", "seq")
    junk_lines = pl.Series("jl", [_junk_line(j) for j in plan.junk] or [""], dtype=pl.String)
    junk_reason = np.array([j.reason for j in plan.junk] + [""])
    tail = pl.Series(junk_reason[rows["junk"].to_numpy()] == "truncated_line") & (rows["junk"] >= 0)
    paths: list[Path] = []
    if fmt == "jsonl":
        lines = _canary_lines(json_lines(events), plan.canary)
        idx = rows["row"].to_numpy()
        jdx = rows["junk"].to_numpy()
        line = pl.select(
            pl.when(pl.Series(idx >= 0))
            .then(lines.gather(np.maximum(idx, 0)))
            .when(pl.Series(jdx >= 0))
            .then(junk_lines.gather(np.maximum(jdx, 0)))
            .otherwise(pl.lit("  "))
            .alias("line")
        ).to_series()
        paths += _write_lines(root, rows.select("dt", "file", line=line, tail=tail))
    else:
        wide = events.select(list(WIDE_SCHEMA))
        jdx = rows["junk"].to_numpy()
        is_line = np.array([j.reason in LINE_ONLY for j in plan.junk] + [False])[jdx] & (jdx >= 0)
        typed_junk = _junk_typed(plan.junk)
        valid = rows.filter(pl.col("row") >= 0)
        tj = rows.filter((pl.col("junk") >= 0) & ~pl.Series(is_line))
        table = pl.concat(
            [
                pl.concat([valid.select("dt", "file", "ord", "seq"), wide[valid["row"].to_numpy()]], how="horizontal"),
                pl.concat([tj.select("dt", "file", "ord", "seq"), typed_junk[tj["junk"].to_numpy()]], how="horizontal"),
            ]
        ).sort("dt", "file", "ord", "seq")
        for (dt, name), part in table.partition_by("dt", "file", as_dict=True, maintain_order=True).items():
            out = part.drop("dt", "file", "ord", "seq")
            if str(name).startswith("client-rc"):
                out = out.with_columns(text=pl.lit(CANARY_TEXT))
            path = _dir(root, int(dt)) / str(name)  # type: ignore[call-overload]
            table = out.to_arrow()
            table = table.cast(
                PARQUET_SCHEMA if "text" not in out.columns else PARQUET_SCHEMA.append(pa.field("text", pa.string()))
            )
            pq.write_table(table, path, compression="zstd")
            paths.append(path)
        lj = rows.filter(pl.Series(is_line))
        if lj.height:
            paths += _write_lines(
                root,
                lj.select(
                    "dt", "file", line=junk_lines.gather(lj["junk"].to_numpy()), tail=tail.filter(pl.Series(is_line))
                ),
            )
    for dt, name, sel, share in plan.resend:
        data, readable = truncated_gzip(json_lines(events[sel]).to_list(), share)
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
