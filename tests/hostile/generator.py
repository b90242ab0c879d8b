"""Adversarial event logs for the hostile-input suite (issue 14), and the generator's own count of their lines.

Each *family* is one events root (one `nudge run`): a few valid events so that the run has an experiment to
analyse, plus files that a hostile or broken upstream could land. Every file is declared statically
(:data:`FAMILIES`), so that pytest can name one test per file before anything is written; :func:`build`
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
from dataclasses import dataclass, field
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
    """One entry of a family: its path under the events root, how it is written, the issue-14 defect that
    makes it fail on main (None if it should pass), and whether its lines are counted (not for entries that
    are not regular files: they are expected to be reported as not read)."""

    case: str
    relpath: str
    write: Writer
    defect: int | None = None
    counted: bool = True


@dataclass
class Family:
    name: str
    specs: list[Spec]
    root_name: str = "events"
    memory_limit: str = "128MB"
    setup: Callable[[Path], None] | None = None  # extra entries around the root (siblings, …)
    defects: dict[str, int] = field(default_factory=dict)  # invariant -> defect that breaks it on main


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


def _gz(content: bytes, *, cut: int | None = None, members: int = 1, bad_crc: bool = False) -> Writer:
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


def _parquet(rows: list[dict[str, Any]], **extra_columns: list[Any]) -> Writer:
    def write(path: Path) -> int:
        names = list(dict.fromkeys(k for r in rows for k in r))  # from_pylist would take the first row's keys
        table = pa.Table.from_pydict({k: [r.get(k) for r in rows] for k in names})
        for name, values in extra_columns.items():
            table = table.append_column(name, pa.array(values))
        pq.write_table(table, path)
        return len(rows)
    return write


def _deep(depth: int, *, tail: str = "", opening: str = "[") -> bytes:
    closing = "]" if opening == "[" else "}"
    inner = "1" if opening == "[" else "{}"
    body = (opening if opening == "[" else '{"a":') * depth + inner + closing * depth
    return ('{"x": ' + body + tail + "}").encode()


def _utf16(count: int, codec: str) -> bytes:
    return "".join(line(n, prefix="w").decode() + "\n" for n in range(count)).encode(codec)


def _mixed_endings() -> bytes:
    ends = [b"\n", b"\r\n", b"\r"]
    return b"".join(line(n, prefix="m") + ends[n % 3] for n in range(30))


def _oddraw() -> bytes:
    return b"".join([
        line(0, prefix="o"), b"\n",
        line(1, prefix="o").replace(b'"1.0"', b'"caf\xe9"'), b"\n",  # latin-1
        line(2, prefix="o").replace(b'"1.0"', b'"\\ud800"'), b"\n",  # an escaped lone surrogate
        line(3, prefix="o").replace(b'"1.0"', b'"\xed\xa0\x80"'), b"\n",  # a raw (CESU-8) surrogate
        line(4, prefix="o").replace(b'"1.0"', b'"a\\u0000b"'), b"\n",  # an escaped NUL
        line(5, prefix="o").replace(b'"1.0"', b'"a\x00b"'), b"\n",  # a raw NUL
        b"\x00\x00\x00\n", b"\xff\xfe\n",
        b"\xef\xbb\xbf" + line(6, prefix="o"), b"\n",  # a BOM inside the file
        b"\x0b\x0c\n", b"   \t \n", b"\n", b"\r\n",  # a VT/FF line counts; white space only is skipped
        line(7, prefix="o"), b"\n",
    ])


def _lenient() -> bytes:
    return b"".join([
        line(0, prefix="l")[:-1] + b",}\n",  # a trailing comma
        line(1, prefix="l").replace(b"0.9", b"NaN") + b"\n",
        line(2, prefix="l").replace(b"0.3", b"Infinity") + b"\n",
        line(3, prefix="l")[:-1] + b', "event_id": "dup-key"}\n',  # a key given twice
        b"[1, 2, 3]\n", b'"just a string"\n', b"null\n", b"{\n", b"}\n",
        line(4, prefix="l") + b"\n", line(5, prefix="l")[:40],  # the last one cut off
    ])


def _nested_text() -> bytes:
    canary = CANARY
    return b"".join(x.encode() + b"\n" for x in [
        json.dumps({**event(0, prefix="n"), "meta": {"text": f"{canary} nested 1"}}),
        json.dumps({**event(1, prefix="n"), "a": [{"b": [{"text": f"{canary} nested 2"}]}]}),
        json.dumps(event(2, prefix="n"))[:-1] + f', "\\u0074ext": "{canary} escaped key"}}',
        json.dumps({**event(3, prefix="n"), "text": f"{canary} not strict"})[:-1] + ",}",
        json.dumps({**event(4, prefix="n"), "text": {"text": f"{canary} in an object"}}),
    ])


def _huge_line() -> bytes:
    pad = "x" * (2 << 20)
    return b"".join([line(0, prefix="h"), b"\n", line(1, prefix="h", padding=pad, text=f"{CANARY} huge"), b"\n",
                     b"{" + b" " * (2 << 20) + b"}\n", line(2, prefix="h"), b"\n"])


def _redelivery(day1: bytes) -> bytes:
    copies = day1.splitlines(keepends=True)[:20]
    conflicting = [line(n, DAY1, "e", app_version="9.9") + b"\n" for n in range(20, 30)]
    return b"".join(copies + conflicting) + lines(8, DAY2)


def _text_rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{**event(n, prefix=prefix), "text": f"{CANARY} parquet {n}"} for n in range(count)]


def _plain_rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [event(n, prefix=prefix) for n in range(count)]


BASE = lines(64) + b"".join(with_text(n) + b"\n" for n in range(16))
D1 = f"dt={DAY1}"
D2 = f"dt={DAY2}"

CONTENT = Family("content", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("crlf", f"{D1}/crlf.jsonl", raw(lines(20, prefix="c", end=b"\r\n"))),
    Spec("mixed_endings", f"{D1}/mixed.jsonl", raw(_mixed_endings()), defect=9),
    Spec("cr_only", f"{D1}/cr.jsonl", raw(lines(25, prefix="r", end=b"\r")), defect=9),
    Spec("cr_only_gz", f"{D1}/cr.jsonl.gz", _gz(lines(25, prefix="g", end=b"\r")), defect=9),
    Spec("utf8_bom", f"{D1}/bom.jsonl", raw(b"\xef\xbb\xbf" + lines(10, prefix="b"))),
    Spec("utf16_le", f"{D1}/utf16le.jsonl", raw(_utf16(10, "utf-16"))),
    Spec("utf16_be", f"{D1}/utf16be.jsonl", raw(_utf16(10, "utf-16-be"))),
    Spec("odd_bytes", f"{D1}/odd.jsonl", raw(_oddraw())),
    Spec("lenient_json", f"{D1}/lenient.jsonl", raw(_lenient())),
    Spec("nested_text", f"{D1}/nested.jsonl", raw(_nested_text())),
    Spec("huge_lines", f"{D1}/huge.jsonl", raw(_huge_line())),
    Spec("empty", f"{D1}/empty.jsonl", raw(b"")),
    Spec("blank_only", f"{D1}/blank.jsonl", raw(b"\n \n\t\r\n")),
    Spec("gzip_members", f"{D1}/members.jsonl.gz", _gz(lines(40, prefix="k"), members=3)),
    Spec("gzip_truncated", f"{D1}/cut.jsonl.gz", _gz(lines(400, prefix="q"), cut=2000)),
    Spec("gzip_bad_crc", f"{D1}/crc.jsonl.gz", _gz(lines(30, prefix="z"), members=2, bad_crc=True)),
    Spec("not_gzip", f"{D1}/fake.jsonl.gz", lambda p: raw(b"not gzip\n")(p) and b""),  # nothing readable
    Spec("parquet_text", f"{D1}/text.parquet", _parquet(_text_rows(12, "p"))),
    Spec("parquet_file_row_number", f"{D1}/frn.parquet",
         _parquet(_plain_rows(12, "f"), file_row_number=list(range(12))), defect=6),
    Spec("parquet_filename", f"{D1}/fn.parquet", _parquet(_plain_rows(7, "fn"), filename=["x"] * 7)),
    Spec("redelivery", f"{D2}/redelivery.jsonl", raw(_redelivery(BASE))),
])

DEEP = Family("deep_nesting", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE), defect=2),  # the crash loses the whole date
    Spec("deep_lines", f"{D1}/deep.jsonl", raw(b"\n".join([
        _deep(1500, tail=","), _deep(1500, tail=', "s": "NaN"'), _deep(1500, opening="{"), _deep(100_000),
        line(0, prefix="dd")]) + b"\n"), defect=2),
])

#: Gzip bombs at CI size: 16 MiB of one valid event repeated (every copy is a line and counts), and one line of
#: 160 MiB that is not JSON, from 0.2 MB on disk; main inflates a file whole in memory.
BOMB_LINES = (16 << 20) // (len(line(0, prefix="bomb")) + 1)
BOMB_BYTES = 160 << 20
BOMB = Family("gzip_bomb", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("bomb_of_lines", f"{D1}/bomb-lines.jsonl.gz", lambda p: _write_bomb(p, line(0, prefix="bomb") + b"\n",
                                                                            BOMB_LINES)),
    Spec("bomb_one_line", f"{D1}/bomb-line.jsonl.gz", lambda p: _write_bomb(p, b"x", BOMB_BYTES, end=b"\n"), defect=3),
], defects={"memory": 3})


def _write_bomb(path: Path, unit: bytes, repeat: int, end: bytes = b"") -> int:
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


_NAMES = ["a[1].jsonl", "*.jsonl", "?.jsonl", "{a,b}.jsonl", "<img src=x onerror=alert(1)>.jsonl", "new\nline.jsonl",
          "ünï€😀.jsonl", " spaced .jsonl", "-dash.jsonl", "quote'\".jsonl", "back\\slash.jsonl", "tab\t.jsonl"]
NAMES = Family("hostile_names", [Spec("base", f"{D1}/base.jsonl", raw(BASE))] + [
    Spec(f"name{i}", f"{D1}/{name}", raw(lines(4 + i, prefix=f"n{i}_"))) for i, name in enumerate(_NAMES)
] + [Spec(f"parquet_name{i}", f"{D1}/{name[:-6]}.parquet", _parquet(_plain_rows(3 + i, f"pn{i}_")))
     for i, name in enumerate(_NAMES[:6])])


def _glob_sibling(events_root: Path) -> None:
    """A sibling the events root's name matches as a glob (``ev[1]`` → ``ev1``), with other rows."""
    sibling = events_root.parent / "ev1" / D1
    sibling.mkdir(parents=True)
    _parquet(_plain_rows(40, "sib"))(sibling / "data.parquet")


GLOB_ROOT = Family("glob_root", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("parquet_under_glob_root", f"{D1}/data.parquet", _parquet(_plain_rows(9, "g")), defect=4),
], root_name="ev[1]", setup=_glob_sibling)


def _not_regular(kind: str) -> Writer:
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


PATHS = Family("hostile_paths", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("fifo", f"{D1}/fifo.jsonl", _not_regular("fifo"), defect=7, counted=False),
    Spec("dangling_link", f"{D1}/dangling.jsonl", _not_regular("dangling"), defect=7, counted=False),
    Spec("link_loop", f"{D1}/loop.jsonl", _not_regular("loop"), defect=7, counted=False),
    Spec("link_outside_root", f"{D1}/outside.jsonl", _not_regular("outside"), defect=7, counted=False),
    Spec("upper_case_dt", "DT=2026-03-03/upper.jsonl", raw(lines(3, DAY2, "up")), defect=7, counted=False),
    Spec("dt_with_newline", "dt=2026-03-04\n/nl.jsonl", raw(lines(3, "2026-03-04", "nl")), counted=False),
])

#: Spill pressure: enough raw text in JSON lines that DuckDB, at a small memory limit, writes to its temp folder.
SPILL_LINES = 60_000
SPILL = Family("spill_and_kill", [
    Spec("text_heavy", f"{D1}/text.jsonl", lambda p: _write_text_heavy(p, DAY1)),
    Spec("text_heavy_day2", f"{D2}/text.jsonl", lambda p: _write_text_heavy(p, DAY2)),
], memory_limit="64MB", defects={"privacy": 1})


def _write_text_heavy(path: Path, day: str) -> bytes:
    pad = CANARY + " " + "raw comment text " * 12
    content = b"".join(line(n, day, "s", text=f"{pad}{n}") + b"\n" for n in range(SPILL_LINES))
    path.write_bytes(content)
    return content


FAMILIES = {f.name: f for f in (CONTENT, DEEP, BOMB, NAMES, GLOB_ROOT, PATHS, SPILL)}


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
