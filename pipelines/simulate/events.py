"""From integer-coded event rows to the contract's typed wide table and to JSON lines.

Row frames (built by outcomes/aftermath/dirt) carry codes and indices: `type, ts, uidx, draft, video,
comment, text, reply, score, text_length, classifier, exp, variant, shown, action, reason, removal`.
`materialise` sorts them by time, numbers them, and renders every identifier and label; `json_lines`
renders each event as one JSON object holding exactly the fields of its type (contract §3-§4).
"""

from __future__ import annotations

import numpy as np
import polars as pl

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
from .ids import NS_COMMENT, NS_DRAFT, NS_EVENT, NS_TEXT, NS_VIDEO, id_strings

#: experiment codes: 0 is the registered experiment, the others are unknown to the registry
EXPERIMENT_LABELS = (EXPERIMENT_ID, "reconsider_prompt_2025q4", "comment_filter_beta")
#: variant codes: the registry arms, then an arm the registry does not know
VARIANT_LABELS = (*ARMS, "prompt_humor")
PROMPT_LABELS = {**PROMPT_IDS, "prompt_humor": "humor_v1"}
CLASSIFIERS = ("tox-clf-3.2.0", "tox-clf-3.3.1")
SYSTEM_USER_ID = "sys_moderation"

ROW_SCHEMA: dict[str, pl.DataType] = {
    "type": pl.Int8(),
    "ts": pl.Int64(),
    "uidx": pl.Int64(),
    "draft": pl.Int64(),
    "video": pl.Int64(),
    "comment": pl.Int64(),
    "text": pl.Int64(),
    "reply": pl.Int64(),
    "score": pl.Float64(),
    "text_length": pl.Int64(),
    "classifier": pl.Int8(),
    "exp": pl.Int8(),
    "variant": pl.Int8(),
    "shown": pl.Boolean(),
    "action": pl.Int8(),
    "reason": pl.Int8(),
    "removal": pl.Int8(),
}

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


def concat_rows(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Stack row frames of different event types into one frame with every ROW_SCHEMA column."""
    full = [
        f.select([(pl.col(c) if c in f.columns else pl.lit(None)).cast(t).alias(c) for c, t in ROW_SCHEMA.items()])
        for f in frames
    ]
    return pl.concat(full, how="vertical")


def _label(code: str, labels: tuple[str, ...]) -> pl.Expr:
    return pl.col(code).replace_strict(dict(enumerate(labels)), default=None, return_dtype=pl.String)


def _ids(rows: pl.DataFrame, col: str, ns: int, seed: int, name: str, prefix: str = "", words: int = 1) -> pl.Series:
    return id_strings(rows[col].fill_null(-1).to_numpy(), ns, seed, name=name, prefix=prefix, words=words)


def materialise(frames: list[pl.DataFrame], users: pl.DataFrame, seed: int, first_index: int) -> pl.DataFrame:
    """Typed wide events (WIDE_SCHEMA order) plus helper columns `_ts` (µs) and `_ix` (event index).

    `users` maps uidx to user_id, country, platform, app_version.  Events are numbered in time order
    starting at `first_index`; that number is hashed into the event_id.
    """
    rows = concat_rows(frames).sort("ts", maintain_order=True)
    rows = rows.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + first_index).alias("_ix"))
    # user attributes by position (users sorted by uidx); unknown uidx (the system actor) -> null
    users = users.sort("uidx")
    known = users["uidx"].to_numpy()
    uidx = rows["uidx"].to_numpy()
    pos = np.minimum(np.searchsorted(known, uidx), len(known) - 1)
    found = known[pos] == uidx
    attrs = users.select("user_id", "country", "platform", "app_version")[pos]
    if not found.all():
        attrs = attrs.select(pl.when(pl.Series(found)).then(pl.all()))
    rows = pl.concat([rows, attrs], how="horizontal")
    system = pl.col("uidx") == SYSTEM_UIDX
    ids = pl.DataFrame(
        [
            id_strings(rows["_ix"].to_numpy(), NS_EVENT, seed, words=2, name="event_id"),
            _ids(rows, "draft", NS_DRAFT, seed, prefix="d_", name="draft_id"),
            _ids(rows, "video", NS_VIDEO, seed, prefix="v_", name="video_id"),
            _ids(rows, "comment", NS_COMMENT, seed, prefix="c_", name="comment_id"),
            _ids(rows, "reply", NS_COMMENT, seed, prefix="c_", name="reply_to_comment_id"),
            _ids(rows, "text", NS_TEXT, seed, words=2, name="text_hash"),
        ]
    )
    variant = _label("variant", VARIANT_LABELS)
    out = pl.concat([rows, ids], how="horizontal").select(
        pl.col("event_id"),
        _label("type", EVENT_TYPES).alias("event_type"),
        pl.from_epoch("ts", time_unit="us").dt.replace_time_zone("UTC").alias("event_ts"),
        pl.when(system).then(pl.lit(SYSTEM_USER_ID)).otherwise(pl.col("user_id")).alias("user_id"),
        pl.lit(SCHEMA_VERSION, pl.Int32).alias("schema_version"),
        "country",
        "platform",
        "app_version",
        _label("exp", EXPERIMENT_LABELS).alias("experiment_id"),
        variant.alias("variant"),
        "draft_id",
        "video_id",
        pl.col("score").alias("toxicity_score"),
        _label("classifier", CLASSIFIERS).alias("classifier_version"),
        "text_hash",
        "text_length",
        "reply_to_comment_id",
        "shown",
        pl.when(pl.col("shown")).then(variant.replace_strict(PROMPT_LABELS, default=None)).alias("prompt_id"),
        _label("action", ACTIONS).alias("action"),
        "comment_id",
        _label("reason", REPORT_REASONS).alias("reason"),
        _label("removal", REMOVAL_SOURCES).alias("removal_source"),
        pl.col("ts").alias("_ts"),
        pl.col("_ix"),
    )
    return out


def contract_columns(events: pl.DataFrame) -> pl.DataFrame:
    """Only the contract's columns (drops helper columns starting with '_')."""
    return events.select(list(WIDE_SCHEMA))


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
