"""From integer-coded event rows to the contract's typed wide table and to JSON lines.

Row frames (built by outcomes/aftermath/dirt) carry codes and indices: `type, ts, uidx, draft, video,
comment, text, reply, score, text_length, classifier, exp, variant, shown, action, reason, removal`.
`stack_rows` stacks them into packed numpy arrays and numbers the events; `render` turns rows (in any
order: the simulator stores them in file order) into the contract's Arrow table, every identifier and
label built from byte tables without per-row Python; `json_lines` renders each event as one JSON object
holding exactly the fields of its type (contract §3-§4).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pyarrow.compute as pc

from .aftermath import REPORT_REASONS, SYSTEM_UIDX
from .constants import (
    ACTIONS,
    ARMS,
    COMMON_FIELDS,
    EVENT_FIELDS,
    EVENT_TYPES,
    EXPERIMENT_ID,
    PROMPT_IDS,
    REMOVAL_SOURCES,
    SCHEMA_VERSION,
    TYPE_COLUMNS,
)
from .ids import NS_COMMENT, NS_DRAFT, NS_EVENT, NS_TEXT, NS_USER, NS_VIDEO, USER_PREFIX, id_array

#: experiment codes: 0 is the registered experiment, the others are unknown to the registry
EXPERIMENT_LABELS = (EXPERIMENT_ID, "reconsider_prompt_2025q4", "comment_filter_beta")
#: variant codes: the registry arms, then an arm the registry does not know
VARIANT_LABELS = (*ARMS, "prompt_humor")
PROMPT_LABELS = {**PROMPT_IDS, "prompt_humor": "humor_v1"}
CLASSIFIERS = ("tox-clf-3.2.0", "tox-clf-3.3.1")
SYSTEM_USER_ID = "sys_moderation"
SEGMENT_COLUMNS = ("country", "platform", "app_version")
#: threads for column-wise rendering (numpy and Arrow release the GIL); tuned on a 2-core machine
THREADS = 2

#: row-frame columns holding int64 indices / values, or float64 scores, with the value meaning 'absent'
VALUE_COLUMNS: dict[str, tuple[type, float]] = {
    "ts": (np.int64, 0),
    "uidx": (np.int64, -1),
    "draft": (np.int64, -1),
    "video": (np.int64, -1),
    "comment": (np.int64, -1),
    "text": (np.int64, -1),
    "reply": (np.int64, -1),
    "text_length": (np.int64, -1),
    "score": (np.float64, np.nan),
}
#: row-frame columns holding small codes (-1 absent; `shown` is 0/1); kept packed, eight int8 to a row
CODE_COLUMNS: tuple[str, ...] = ("type", "classifier", "exp", "variant", "shown", "action", "reason", "removal")

WIDE_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "event_type": pl.String(),
    "event_ts": pl.Datetime("us", "UTC"),
    "user_id": pl.String(),
    "schema_version": pl.Int32(),
    "country": pl.String(),
    "platform": pl.String(),
    "app_version": pl.String(),
    **{c: pl.String() for c in TYPE_COLUMNS},
}
WIDE_SCHEMA.update(toxicity_score=pl.Float64(), text_length=pl.Int64(), shown=pl.Boolean())


class Rows:
    """Integer-coded event rows in some order, with `ix`, the event index hashed into the event_id."""

    def __init__(self, values: dict[str, np.ndarray], codes: np.ndarray, ix: np.ndarray) -> None:
        self.values = values
        self.codes = codes  # (n, 8) int8, columns in CODE_COLUMNS order
        self.ix = ix

    def __len__(self) -> int:
        return len(self.ix)

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "ix":
            return self.ix
        if name in self.values:
            return self.values[name]
        return self.codes[:, CODE_COLUMNS.index(name)]

    def take(self, idx: np.ndarray) -> Rows:
        """The rows at positions `idx`, in that order (the column gathers on THREADS threads)."""
        words = self.codes.view(np.uint64).reshape(-1)
        jobs: dict[str, Callable[[], Any]] = {c: partial(operator.getitem, v, idx) for c, v in self.values.items()}
        jobs[" codes"] = partial(operator.getitem, words, idx)
        jobs[" ix"] = partial(operator.getitem, self.ix, idx)
        out = _in_threads(jobs)
        codes = out.pop(" codes").view(np.int8).reshape(-1, len(CODE_COLUMNS))
        return Rows(out, codes, out.pop(" ix"))


def stack_rows(parts: list[tuple[list[pl.DataFrame], int]]) -> Rows:
    """Stack row frames of different event types ('absent' filled where a frame lacks a column).

    `parts` is a list of (row frames, first event index); a part's rows are numbered from its first index
    in frame order.
    """
    frames = [f for fs, _ in parts for f in fs]
    n = sum(f.height for f in frames)
    values: dict[str, np.ndarray] = {}
    for c, (dtype, fill) in VALUE_COLUMNS.items():
        out: np.ndarray = np.empty(n, dtype=dtype)
        at = 0
        for f in frames:
            out[at : at + f.height] = f[c].to_numpy() if c in f.columns else fill
            at += f.height
        values[c] = out
    codes = np.full((n, len(CODE_COLUMNS)), -1, dtype=np.int8)
    at = 0
    for f in frames:
        for j, c in enumerate(CODE_COLUMNS):
            if c in f.columns:
                codes[at : at + f.height, j] = f[c].to_numpy()
        at += f.height
    ix = np.concatenate(
        [first + np.arange(sum(f.height for f in fs), dtype=np.int64) for fs, first in parts] or [np.zeros(0, np.int64)]
    )
    return Rows(values, codes, ix)


def _labels(codes: np.ndarray, labels: tuple[str | None, ...]) -> pa.DictionaryArray:
    """Labels of int codes as a dictionary-encoded string array (negative codes and None labels -> null).

    Dictionary encoding costs nothing to build, keeps `take` cheap and is what Parquet stores anyway.
    """
    codes = codes.astype(np.int8)
    absent = codes < 0
    for k, label in enumerate(labels):
        if label is None:
            absent |= codes == k
    indices = pa.array(codes, pa.int8(), mask=absent if absent.any() else None)
    return pa.DictionaryArray.from_arrays(indices, pa.array([x or "" for x in labels], pa.string()))


@dataclass
class UserTable:
    """Users' segments as codes, for rendering rows (`uidx` sorted; the system actor has none)."""

    uidx: np.ndarray
    codes: dict[str, np.ndarray]  # segment column -> int16 code per user (-1 null)
    labels: dict[str, tuple[str, ...]]
    direct: int  # uidx[:direct] == 0, 1, ..., direct - 1 (the real users)

    @classmethod
    def of(cls, users: pl.DataFrame, seed: int) -> UserTable:
        users = users.sort("uidx")
        uidx = users["uidx"].to_numpy()
        head = min(len(uidx), 50)
        if users["user_id"][:head].to_list() != id_array(uidx[:head], NS_USER, seed, prefix=USER_PREFIX).to_pylist():
            raise ValueError("user_id is not the rendering of uidx")
        codes, labels = {}, {}
        for c in SEGMENT_COLUMNS:
            values = users[c].to_list()
            labels[c] = tuple(sorted({v for v in values if v is not None}))
            code = {v: k for k, v in enumerate(labels[c])}
            codes[c] = np.array([code.get(v, -1) if v is not None else -1 for v in values], dtype=np.int16)
        same = uidx == np.arange(len(uidx))
        return cls(uidx, codes, labels, len(uidx) if same.all() else int(np.argmin(same)))

    def positions(self, uidx: np.ndarray) -> np.ndarray:
        """Position of each row's user in this table; -1 for the system actor."""
        known = self.uidx
        # real users are 0..direct-1: their position is their uidx (no search for millions of rows)
        direct = (uidx >= 0) & (uidx < self.direct)
        pos = np.where(direct, uidx, -1)
        other = np.flatnonzero(~direct & (uidx != SYSTEM_UIDX))
        if len(other):
            p = np.minimum(np.searchsorted(known, uidx[other]), len(known) - 1)
            if not (known[p] == uidx[other]).all():
                raise ValueError("event rows refer to unknown users")
            pos[other] = p
        return pos


def _in_threads(jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run independent numpy / Arrow jobs (they release the GIL) on THREADS threads; results by name."""
    with ThreadPoolExecutor(THREADS, thread_name_prefix="render") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def render(rows: Rows, users: UserTable, seed: int) -> pa.Table:
    """The contract table (WIDE_SCHEMA columns and order, Arrow types) of integer-coded rows, in their order.

    Columns are built on THREADS threads (numpy and Arrow release the GIL).
    """
    pos = users.positions(rows["uidx"])
    system = pos < 0

    def user_id() -> pa.Array:
        ids = id_array(np.where(system, -1, rows["uidx"]), NS_USER, seed, prefix=USER_PREFIX)
        return pc.fill_null(ids, pa.scalar(SYSTEM_USER_ID, ids.type)) if system.any() else ids

    def segment(c: str) -> Callable[[], pa.Array]:
        return lambda: _labels(np.where(system, -1, users.codes[c][pos]), users.labels[c])

    def ids(col: str, ns: int, prefix: str = "", words: int = 1) -> Callable[[], pa.Array]:
        return lambda: id_array(rows[col], ns, seed, prefix=prefix, words=words)

    def labels(col: str, names: tuple[str | None, ...]) -> Callable[[], pa.Array]:
        return lambda: _labels(rows[col], names)

    variant, shown, text_length = rows["variant"], rows["shown"], rows["text_length"]
    prompt_labels = tuple(PROMPT_LABELS.get(v) for v in VARIANT_LABELS)
    jobs: dict[str, Callable[[], Any]] = {
        # the expensive identifiers first, so that the threads stay busy
        "event_id": ids("ix", NS_EVENT, words=2),
        "text_hash": ids("text", NS_TEXT, words=2),
        "draft_id": ids("draft", NS_DRAFT, "d_"),
        "user_id": user_id,
        "video_id": ids("video", NS_VIDEO, "v_"),
        "comment_id": ids("comment", NS_COMMENT, "c_"),
        "reply_to_comment_id": ids("reply", NS_COMMENT, "c_"),
        "event_type": labels("type", EVENT_TYPES),
        "event_ts": lambda: pa.array(rows["ts"], pa.timestamp("us", tz="UTC")),
        "schema_version": lambda: pa.array(np.full(len(rows), SCHEMA_VERSION, dtype=np.int32)),
        **{c: segment(c) for c in SEGMENT_COLUMNS},
        "experiment_id": labels("exp", EXPERIMENT_LABELS),
        "variant": labels("variant", VARIANT_LABELS),
        "toxicity_score": lambda: pa.array(rows["score"], pa.float64(), from_pandas=True),
        "classifier_version": labels("classifier", CLASSIFIERS),
        "text_length": lambda: pa.array(text_length, pa.int64(), mask=text_length < 0),
        "shown": lambda: pa.array(shown == 1, pa.bool_(), mask=shown < 0),
        "prompt_id": lambda: _labels(np.where(shown == 1, variant, -1), prompt_labels),
        "action": labels("action", ACTIONS),
        "reason": labels("reason", REPORT_REASONS),
        "removal_source": labels("removal", REMOVAL_SOURCES),
    }
    if set(jobs) != set(WIDE_SCHEMA):
        raise AssertionError("render() columns out of step with WIDE_SCHEMA")
    columns = _in_threads(jobs)
    return pa.table({c: columns[c] for c in WIDE_SCHEMA})


@dataclass
class Events:
    """The valid events: the contract table and, per row, its time and type code."""

    table: pa.Table  # WIDE_SCHEMA columns, Arrow contract types (strings as string or large_string)
    ts: np.ndarray  # event_ts in µs
    type: np.ndarray  # int8 event type code (constants.TYPE_CODE)

    @property
    def height(self) -> int:
        return self.table.num_rows

    def frame(
        self, rows: np.ndarray | None = None, columns: list[str] | None = None, *, categorical: bool = False
    ) -> pl.DataFrame:
        """A polars frame of some rows (default all, in table order) and columns (default WIDE_SCHEMA)."""
        return to_frame(self.table if columns is None else self.table.select(columns), rows, categorical=categorical)


def to_frame(table: pa.Table, rows: np.ndarray | None = None, *, categorical: bool = False) -> pl.DataFrame:
    """A polars frame of an Arrow table, or of some of its rows.

    Dictionary-encoded label columns become String columns, or stay Categorical if `categorical`.
    """
    if rows is not None:
        table = table.take(pa.array(np.asarray(rows, dtype=np.int64)))
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df if categorical else df.with_columns(cs.categorical().cast(pl.String))


def ts_strings() -> pl.Expr:
    """ISO-8601 event_ts with µs: 'Z' for most clients, local '+01:00' for the web client."""
    naive = pl.col("event_ts").dt.replace_time_zone(None)
    utc = naive.cast(pl.String).str.replace(" ", "T", literal=True) + pl.lit("Z")
    local = (naive + pl.duration(hours=1)).cast(pl.String).str.replace(" ", "T", literal=True) + pl.lit("+01:00")
    return pl.when(pl.col("platform") == "web").then(local).otherwise(utc)


_NUMERIC = {"toxicity_score", "text_length", "schema_version", "shown"}
_NULLABLE = {"country", "platform", "app_version", "reply_to_comment_id", "prompt_id"}


def line_expr(event_type: str) -> pl.Expr:
    """A string expression rendering one event of `event_type` as a JSON object.

    Identifiers and labels never need escaping, so literal pieces and columns are concatenated directly
    (several times faster than a generic JSON encoder); nullable fields render as `null`.  Expects the
    rendered timestamp in column `_tsj`.
    """
    exprs: list[pl.Expr] = []
    pending = "{"
    for k, f in enumerate((*COMMON_FIELDS, *EVENT_FIELDS[event_type])):
        key = ("" if k == 0 else ",") + f'"{f}":'
        col = pl.col("_tsj") if f == "event_ts" else pl.col(f)
        if f == "event_type":
            pending += f'{key}"{event_type}"'
        elif f in _NULLABLE:
            exprs += [pl.lit(pending + key), pl.concat_str([pl.lit('"'), col, pl.lit('"')]).fill_null("null")]
            pending = ""
        elif f in _NUMERIC:
            exprs += [pl.lit(pending + key), col.cast(pl.String).fill_null("null")]
            pending = ""
        else:
            exprs += [pl.lit(pending + key + '"'), col]
            pending = '"'
    exprs.append(pl.lit(pending + "}"))
    return pl.concat_str(exprs)


def json_lines_grouped(events: pl.DataFrame) -> tuple[pl.Series, np.ndarray]:
    """JSON lines grouped by event type, and `pos` with lines[pos[i]] the line of events row i.

    Callers that gather lines in another order anyway (the writer) use `pos` and so avoid sorting
    gigabytes of text back into row order.
    """
    common = [c for c in COMMON_FIELDS if c != "event_ts"]
    base = events.select(*common, *TYPE_COLUMNS, _row=pl.int_range(pl.len(), dtype=pl.Int64), _tsj=ts_strings())
    parts, rows = [], []
    for event_type, fields in EVENT_FIELDS.items():
        sub = base.select("_row", "_tsj", *common, *fields).filter(pl.col("event_type") == event_type)
        if sub.height:
            parts.append(sub.select(line=line_expr(event_type))["line"])
            rows.append(sub["_row"].to_numpy())
    pos = np.empty(events.height, dtype=np.int64)
    if rows:
        order = np.concatenate(rows)
        pos[order] = np.arange(len(order))
    lines = pl.concat(parts, rechunk=False) if parts else pl.Series("line", [], dtype=pl.String)
    return lines, pos


def json_lines(events: pl.DataFrame) -> pl.Series:
    """One JSON line per event, in the frame's order, holding exactly the fields of its type."""
    lines, pos = json_lines_grouped(events)
    return lines.gather(pos) if len(pos) else lines
