"""The cases of the hostile-input suite: what each family of tests/hostile/generator.py holds.

One family is one events root and one `nudge run`. ``defect`` names the issue-14 defect a case reproduces (each
failed before its fix); ``warns`` marks entries that are not regular files, which the run must name in a warning
instead of reading.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.generator import (
    CANARY,
    DAY1,
    DAY2,
    Family,
    Spec,
    deep,
    event,
    gz,
    line,
    lines,
    not_regular,
    parquet,
    plain_rows,
    raw,
    text_rows,
    utf16,
    with_text,
    write_bomb,
)


def _mixed_endings() -> bytes:
    ends = [b"\n", b"\r\n", b"\r"]
    return b"".join(line(n, prefix="m") + ends[n % 3] for n in range(30))


def _odd_bytes() -> bytes:
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


BASE = lines(64) + b"".join(with_text(n) + b"\n" for n in range(16))
D1 = f"dt={DAY1}"
D2 = f"dt={DAY2}"

CONTENT = Family("content", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("crlf", f"{D1}/crlf.jsonl", raw(lines(20, prefix="c", end=b"\r\n"))),
    Spec("mixed_endings", f"{D1}/mixed.jsonl", raw(_mixed_endings()), defect=9),
    Spec("cr_only", f"{D1}/cr.jsonl", raw(lines(25, prefix="r", end=b"\r")), defect=9),
    Spec("cr_only_gz", f"{D1}/cr.jsonl.gz", gz(lines(25, prefix="g", end=b"\r")), defect=9),
    Spec("utf8_bom", f"{D1}/bom.jsonl", raw(b"\xef\xbb\xbf" + lines(10, prefix="b"))),
    # JSON text is UTF-8 (RFC 8259 §8.1): lines are split at the byte 0x0A, so the little-endian file's last
    # NUL, after its last newline, is a line of its own (11 lines, each not JSON)
    Spec("utf16_le", f"{D1}/utf16le.jsonl", raw(utf16(10, "utf-16"))),
    Spec("utf16_be", f"{D1}/utf16be.jsonl", raw(utf16(10, "utf-16-be"))),
    Spec("odd_bytes", f"{D1}/odd.jsonl", raw(_odd_bytes())),
    Spec("lenient_json", f"{D1}/lenient.jsonl", raw(_lenient())),
    Spec("nested_text", f"{D1}/nested.jsonl", raw(_nested_text())),
    Spec("huge_lines", f"{D1}/huge.jsonl", raw(_huge_line())),
    Spec("empty", f"{D1}/empty.jsonl", raw(b"")),
    Spec("blank_only", f"{D1}/blank.jsonl", raw(b"\n \n\t\r\n")),
    Spec("gzip_members", f"{D1}/members.jsonl.gz", gz(lines(40, prefix="k"), members=3)),
    Spec("gzip_truncated", f"{D1}/cut.jsonl.gz", gz(lines(400, prefix="q"), cut=2000)),
    Spec("gzip_bad_crc", f"{D1}/crc.jsonl.gz", gz(lines(30, prefix="z"), members=2, bad_crc=True)),
    Spec("not_gzip", f"{D1}/fake.jsonl.gz", lambda p: raw(b"not gzip\n")(p) and b""),  # nothing readable
    Spec("parquet_text", f"{D1}/text.parquet", parquet(text_rows(12, "p"))),
    Spec("parquet_file_row_number", f"{D1}/frn.parquet",
         parquet(plain_rows(12, "f"), file_row_number=list(range(12))), defect=6),
    Spec("parquet_filename", f"{D1}/fn.parquet", parquet(plain_rows(7, "fn"), filename=["x"] * 7)),
    Spec("redelivery", f"{D2}/redelivery.jsonl", raw(_redelivery(BASE))),
])

DEEP = Family("deep_nesting", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE), defect=2),  # the crash loses the whole date
    Spec("deep_lines", f"{D1}/deep.jsonl", raw(b"\n".join([
        deep(1500, tail=","), deep(1500, tail=', "s": "NaN"'), deep(1500, opening="{"), deep(100_000),
        line(0, prefix="dd")]) + b"\n"), defect=2),
])

#: Gzip bombs at CI size: 16 MiB of one valid event repeated (every copy is a line and counts), and one line of
#: 160 MiB that is not JSON, from 0.2 MB on disk; main inflates a file whole in memory.
BOMB_LINES = (16 << 20) // (len(line(0, prefix="bomb")) + 1)
BOMB_BYTES = 160 << 20
BOMB = Family("gzip_bomb", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("bomb_of_lines", f"{D1}/bomb-lines.jsonl.gz", lambda p: write_bomb(p, line(0, prefix="bomb") + b"\n",
                                                                            BOMB_LINES)),
    Spec("bomb_one_line", f"{D1}/bomb-line.jsonl.gz", lambda p: write_bomb(p, b"x", BOMB_BYTES, end=b"\n"), defect=3),
])  # defect 3 broke the memory bound here


_NAMES = ["a[1].jsonl", "*.jsonl", "?.jsonl", "{a,b}.jsonl", "<img src=x onerror=alert(1)>.jsonl", "new\nline.jsonl",
          "ünï€😀.jsonl", " spaced .jsonl", "-dash.jsonl", "quote'\".jsonl", "back\\slash.jsonl", "tab\t.jsonl"]
#: Hostile file and folder names beside hostile paths: files and Parquet files named with glob characters, HTML,
#: newlines, tabs, quotes and non-ASCII letters (each read like any other); entries that are not read — a FIFO,
#: dangling, looping and outward symlinks, folders that are not dt=YYYY-MM-DD or sit inside one — each named
#: in a warning (``warns``).
NAMES_AND_PATHS = Family("hostile_names_and_paths", [Spec("base", f"{D1}/base.jsonl", raw(BASE))] + [
    Spec(f"name{i}", f"{D1}/{name}", raw(lines(4 + i, prefix=f"n{i}_"))) for i, name in enumerate(_NAMES)
] + [Spec(f"parquet_name{i}", f"{D1}/{name[:-6]}.parquet", parquet(plain_rows(3 + i, f"pn{i}_")))
     for i, name in enumerate(_NAMES[:6])] + [
    Spec("fifo", f"{D1}/fifo.jsonl", not_regular("fifo"), defect=7, warns="fifo.jsonl"),
    Spec("dangling_link", f"{D1}/dangling.jsonl", not_regular("dangling"), defect=7, warns="dangling.jsonl"),
    Spec("link_loop", f"{D1}/loop.jsonl", not_regular("loop"), defect=7, warns="loop.jsonl"),
    Spec("link_outside_root", f"{D1}/outside.jsonl", not_regular("outside"), defect=7, warns="outside.jsonl"),
    Spec("upper_case_dt", "DT=2026-03-03/upper.jsonl", raw(lines(3, DAY2, "up")), defect=7, warns="DT=2026-03-03"),
    Spec("dt_with_newline", "dt=2026-03-04\n/nl.jsonl", raw(lines(3, "2026-03-04", "nl")), warns="dt=2026-03-04"),
    Spec("dt_html", "dt=<img src=x onerror=alert(1)>/h.jsonl", raw(lines(3, prefix="ht")), warns="dt=<img"),
    Spec("dt_glob", "dt=2026-03-0[2]/g.jsonl", raw(lines(3, prefix="gl")), warns="dt=2026-03-0[2]"),
    Spec("folder_in_partition", f"{D1}/sub*dir/s.jsonl", raw(lines(3, prefix="sd")), warns="sub*dir"),
])  # defect 7: the newline of 'dt=2026-03-04\n' splits its warning in two lines


def _glob_sibling(events_root: Path) -> None:
    """A sibling the events root's name matches as a glob (``ev[1]`` → ``ev1``), with other rows."""
    sibling = events_root.parent / "ev1" / D1
    sibling.mkdir(parents=True)
    parquet(plain_rows(40, "sib"))(sibling / "data.parquet")


GLOB_ROOT = Family("glob_root", [
    Spec("base", f"{D1}/base.jsonl", raw(BASE)),
    Spec("parquet_under_glob_root", f"{D1}/data.parquet", parquet(plain_rows(9, "g")), defect=4),
], root_name="ev[1]", setup=_glob_sibling)


#: Spill pressure: enough raw text in JSON lines that DuckDB, at a small memory limit, writes to its temp folder.
SPILL_LINES = 60_000
SPILL = Family("spill_and_kill", [
    Spec("text_heavy", f"{D1}/text.jsonl", lambda p: _write_text_heavy(p, DAY1)),
    Spec("text_heavy_day2", f"{D2}/text.jsonl", lambda p: _write_text_heavy(p, DAY2)),
], memory_limit="64MB")  # defect 1 broke privacy here


def _write_text_heavy(path: Path, day: str) -> bytes:
    """Lines with raw text at the top level, nested in an object, or in an array of objects, by turns."""
    pad = CANARY + " " + "raw comment text " * 12
    where = [lambda t: {"text": t}, lambda t: {"meta": {"text": t}}, lambda t: {"a": [{"b": {"text": t}}]}]
    content = b"".join(line(n, day, "s", **where[n % 3](f"{pad}{n}")) + b"\n" for n in range(SPILL_LINES))
    path.write_bytes(content)
    return content


FAMILIES = {f.name: f for f in (CONTENT, DEEP, BOMB, NAMES_AND_PATHS, GLOB_ROOT, SPILL)}


