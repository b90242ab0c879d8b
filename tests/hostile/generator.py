"""Adversarial event logs for the hostile-input suite (issue 14), and the generator's own count of their lines.

Each *family* is one events root (one `nudge run`): a few valid events so that the run has an experiment to
analyse, plus files that a hostile or broken upstream could land. Every file is declared statically
(in tests/hostile/cases.py), so that pytest can name one test per file before anything is written; :func:`build`
writes a family and returns, per file, how many lines it holds — counted here, from the bytes written, by
the rule of docs/definitions.md §1 (a line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r``; a leading UTF-8 BOM
is not part of it; lines of only spaces, tabs, CR and LF are skipped) — so the suite can check that each
line became exactly one event or one quarantine row.

Raw comment text is planted as :data:`CANARY` strings in ``text`` fields (top level, nested at any depth,
under an escaped key, in Parquet columns), in numbers large enough to make DuckDB spill at small memory
limits when asked to.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

CANARY = "HOSTILE-CANARY-7d1e"
#: How a canary could appear on disk if raw text were stored: plainly, or as UTF-16 (a UTF-16 input line).
CANARY_NEEDLES = (CANARY.encode(), CANARY.encode("utf-16-le"), CANARY.encode("utf-16-be"))
EXPERIMENT = "hostile_exp"
DAY1, DAY2 = "2026-03-02", "2026-03-03"
REGISTRY = {"experiments": [{
    "id": EXPERIMENT, "start": "2026-03-01", "end": "2026-03-31", "control": "control",
    "variants": {"control": 0.5, "prompt": 0.5}, "trigger_threshold": 0.8,
}]}

_LINE_END = re.compile(rb"\r\n|\r|\n")


def count_lines(content: bytes) -> int:
    """The lines of decompressed file content that must each become one event or one quarantine row."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    parts = _LINE_END.split(content)
    if parts and parts[-1] == b"":
        parts.pop()  # the content ends with a terminator
    return sum(1 for p in parts if p.strip(b" \t\r\n"))


def readable_gzip(data: bytes) -> bytes:
    """What a (possibly truncated) run of gzip members decompresses to up to its end or first damage."""
    out: list[bytes] = []
    while data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
        except zlib.error:
            break
        if not d.eof:
            break
        data = d.unused_data
    return b"".join(out)


# --- events ----------------------------------------------------------------------------------------------


def event(n: int, day: str = DAY1, prefix: str = "e", **extra: Any) -> dict[str, Any]:
    """The n-th of a small valid experiment (assignment, draft, trigger, post per user), dated ``day``."""
    user, kind = f"{prefix}u{n // 4}", n % 4
    arm = "prompt" if (n // 4) % 2 else "control"
    base: dict[str, Any] = {"event_id": f"{prefix}{day}-{n}", "event_ts": f"{day}T10:{n % 60:02d}:00Z",
                            "user_id": user, "schema_version": 1, "country": "DE", "platform": "ios",
                            "app_version": "1.0"}
    draft = f"{prefix}d{n // 4}-{day}"
    if kind == 0:
        base.update(event_type="experiment_assignment", experiment_id=EXPERIMENT, variant=arm)
    elif kind == 1:
        base.update(event_type="comment_draft_submitted", draft_id=draft, video_id="v1", toxicity_score=0.9,
                    classifier_version="c1", text_hash="aa", text_length=5, reply_to_comment_id=None)
    elif kind == 2:
        base.update(event_type="nudge_triggered", draft_id=draft, experiment_id=EXPERIMENT, variant=arm,
                    shown=arm != "control", prompt_id="p1" if arm != "control" else None)
    else:
        base.update(event_type="comment_posted", draft_id=draft, comment_id=f"c{n}", video_id="v1",
                    toxicity_score=0.3, text_hash="bb" if n % 8 == 3 else "aa")
    return {**base, **extra}


def line(n: int, day: str = DAY1, prefix: str = "e", **extra: Any) -> bytes:
    return json.dumps(event(n, day, prefix, **extra)).encode()


def lines(count: int, day: str = DAY1, prefix: str = "e", end: bytes = b"\n", **extra: Any) -> bytes:
    return b"".join(line(n, day, prefix, **extra) + end for n in range(count))


def with_text(n: int, day: str = DAY1, prefix: str = "t") -> bytes:
    return line(n, day, prefix, text=f"{CANARY} raw comment {n}")


# --- files -----------------------------------------------------------------------------------------------

#: A writer gets the file's path and returns the decompressed content it wrote (what :func:`count_lines` reads),
#: or None when the file is not a JSONL file whose lines can be counted that way (it counts them itself).
Writer = Callable[[Path], "bytes | int | None"]


@dataclass(frozen=True)
class Spec:
    """One entry of a family: its path under the events root, how it is written, the issue-14 defect it
    reproduces (None if it is not one), and for an entry that must not be read (not a regular
    file, not in a dt=YYYY-MM-DD folder) what a warning must name instead of its lines being counted."""

    case: str
    relpath: str
    write: Writer
    defect: int | None = None
    warns: str | None = None

    @property
    def counted(self) -> bool:
        return self.warns is None


@dataclass
class Family:
    name: str
    specs: list[Spec]
    root_name: str = "events"
    memory_limit: str = "128MB"
    setup: Callable[[Path], None] | None = None  # extra entries around the root (siblings, …)


@dataclass(frozen=True)
class Built:
    events_root: Path
    registry: Path
    expected: dict[str, int]  # source_file (dt=…/name) -> lines
    entries: dict[str, str]  # case -> relpath
    canaries_written: int  # regular files under the events root holding a canary


def raw(content: bytes) -> Writer:
    def write(path: Path) -> bytes:
        path.write_bytes(content)
        return content
    return write


def gz(content: bytes, *, cut: int | None = None, members: int = 1, bad_crc: bool = False) -> Writer:
    def write(path: Path) -> bytes:
        step = -(-len(content) // members)
        parts = [gzip.compress(content[i : i + step], mtime=0) for i in range(0, len(content), step)]
        if bad_crc:
            parts[0] = parts[0][:-8] + b"\0\0\0\0" + parts[0][-4:]
        data = b"".join(parts)
        data = data[:cut] if cut is not None else data
        path.write_bytes(data)
        # a wrong checksum leaves every member's data intact: all of it still counts (event-log-v1 §2)
        return readable_gzip(data) if cut is not None else content
    return write


def parquet(rows: list[dict[str, Any]], **extra_columns: list[Any]) -> Writer:
    def write(path: Path) -> int:
        names = list(dict.fromkeys(k for r in rows for k in r))  # from_pylist would take the first row's keys
        table = pa.Table.from_pydict({k: [r.get(k) for r in rows] for k in names})
        for name, values in extra_columns.items():
            table = table.append_column(name, pa.array(values))
        pq.write_table(table, path)
        return len(rows)
    return write


def deep(depth: int, *, tail: str = "", opening: str = "[") -> bytes:
    closing = "]" if opening == "[" else "}"
    inner = "1" if opening == "[" else "{}"
    body = (opening if opening == "[" else '{"a":') * depth + inner + closing * depth
    return ('{"x": ' + body + tail + "}").encode()


def utf16(count: int, codec: str) -> bytes:
    return "".join(line(n, prefix="w").decode() + "\n" for n in range(count)).encode(codec)


def text_rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{**event(n, prefix=prefix), "text": f"{CANARY} parquet {n}"} for n in range(count)]


def plain_rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [event(n, prefix=prefix) for n in range(count)]


def write_bomb(path: Path, unit: bytes, repeat: int, end: bytes = b"") -> int:
    """``unit`` ``repeat`` times (then ``end``), gzip-compressed in bounded steps; returns the lines written."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    with path.open("wb") as f:
        for _ in range(repeat // per_block):
            f.write(comp.compress(block))
        f.write(comp.compress(unit * (repeat % per_block) + end))
        f.write(comp.flush())
    return repeat if unit.endswith(b"\n") else count_lines(unit + end)


def not_regular(kind: str) -> Writer:
    def write(path: Path) -> None:
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dangling":
            path.symlink_to(path.parent / "missing.jsonl")
        elif kind == "loop":
            path.symlink_to(path)
        elif kind == "outside":
            outside = path.parents[2] / "outside.jsonl"
            outside.write_bytes(lines(5, prefix="out"))
            path.symlink_to(outside)
        return None
    return write


def build(family: Family, folder: Path) -> Built:
    """Write ``family`` under ``folder``: the events root, the registry, and the generator's line counts."""
    events_root = folder / family.root_name
    events_root.mkdir(parents=True)
    expected: dict[str, int] = {}
    for spec in family.specs:
        path = events_root / spec.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        written = spec.write(path)
        if spec.counted:
            expected[spec.relpath] = written if isinstance(written, int) else count_lines(written or b"")
    if family.setup:
        family.setup(events_root)
    registry = folder / "experiments.yml"
    registry.write_text(yaml.safe_dump(REGISTRY), encoding="utf-8")
    canaries = sum(1 for p in events_root.rglob("*") if p.is_file() and not p.is_symlink()
                   and stat.S_ISREG(p.stat().st_mode) and CANARY.encode() in p.read_bytes())
    return Built(events_root, registry, expected, {s.case: s.relpath for s in family.specs}, canaries)
