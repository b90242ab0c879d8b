"""JSONL (plain or gzip) as a bounded stream of scrubbed lines: what DuckDB is given of a JSON log.

A file is read in pieces (gzip decompressed member by member in bounded steps, pipelines/raw/gzip_stream.py), split into
lines at ``\\n``, ``\\r\\n`` and a lone ``\\r``, and handed on in Arrow batches of one piece's lines, so memory stays
bounded whatever a file expands to. Before any byte of a line leaves this module:

- a key ``text`` (raw comment text, event-log-v1 §3) at any depth is removed from the line, and the line is
  flagged ``has_text`` (also when the line is rejected);
- a line that is not strict JSON (a trailing comma, NaN, Infinity), nested deeper than :data:`MAX_DEPTH`,
  longer than :data:`MAX_LINE_BYTES`, or not UTF-8 is replaced by :data:`BAD_LINE` and flagged ``not_strict``
  (it becomes a ``not_json`` / ``truncated_line`` quarantine row; its bytes never reach DuckDB).

Only the few suspect lines (found by vectorised regexes over the whole batch) are looked at in Python.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract import RAW_TEXT_FIELD
from pipelines.raw import gzip_stream
from pipelines.raw.gzip_stream import Report, one_line

#: A line longer than this (bytes, its terminator included) is not read: it is quarantined as not_json.
MAX_LINE_BYTES = 1 << 20
#: Deeper nesting of arrays / objects than this makes a line not_json (an event is flat; this bounds parsing).
MAX_DEPTH = 64
#: What DuckDB sees of a line rejected here: not JSON, not blank.
BAD_LINE = "#"
#: What DuckDB's JSON reader tolerates beyond the standard (checked strictly in Python).
_LENIENT_SUSPECT = r",\s*[}\]]|NaN|Infinity"
_TRAILING_COMMA = r",\s*[}\]]"
#: A JSON string equal to "text" (its letters written plainly or as \u escapes).
_TEXT_STRING = r'"(?:t|\\u0074)(?:e|\\u0065)(?:x|\\u0078)(?:t|\\u0074)"'
_TEXT_KEY = re.compile(_TEXT_STRING + r"\s*:")
_TEXT_KEY_BYTES = re.compile(_TEXT_KEY.pattern.encode())  # the same, over the bytes of a line too long to decode
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


@dataclass
class LineBatch:
    """Consecutive lines of one file: line_no, line (scrubbed), unterminated, not_strict, has_text, and
    reject_detail (why a line was replaced by BAD_LINE, else null)."""

    table: pa.Table

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file (a FIFO or device would block or never end)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name}: not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb", buffering=0)


def line_batches(path: Path, report: Report) -> Iterator[LineBatch]:
    """Every line of a JSONL file, scrubbed, in batches; file-level findings go to ``report``. Raises OSError
    only for a file that cannot be opened."""
    with open_regular(path) as f:
        gz = path.name.endswith(".gz")
        yield from _split(_coalesced(gzip_stream.gunzip(f, report)) if gz else _plain(f), report)


def _plain(f: BinaryIO) -> Iterator[bytes]:
    while piece := f.read(gzip_stream.READ_BYTES):
        yield piece


def _coalesced(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` joined into pieces of at least READ_BYTES (a 16 KiB step of gzip inflates to a few hundred KiB of
    lines: split one by one, each batch's fixed cost of regexes and validation would dominate)."""
    held: list[bytes] = []
    size = 0
    for chunk in chunks:
        held.append(chunk)
        size += len(chunk)
        if size >= gzip_stream.READ_BYTES:
            yield b"".join(held)
            held, size = [], 0
    if held:
        yield b"".join(held)


# --- lines ------------------------------------------------------------------------------------------------


def _split(chunks: Iterator[bytes], report: Report) -> Iterator[LineBatch]:
    """Lines at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (each keeping its terminator: JSON white space); a leading
    BOM dropped; the last line flagged when the file does not end with a terminator."""
    pending = b""
    line_no = 0
    skipping = False  # inside a line longer than MAX_LINE_BYTES, dropped until its end
    skipped_text = False
    started = False
    for chunk in chunks:
        data = pending + chunk
        if not started:
            if len(data) < 3:
                pending = data
                continue
            started = True
            data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        ends = _line_ends(data, final=False)
        if skipping:
            if not len(ends):
                skipped_text = skipped_text or bool(_TEXT_KEY_BYTES.search(data))
                pending = data[-64:]  # enough to see a key split across pieces
                continue
            skipped_text = skipped_text or bool(_TEXT_KEY_BYTES.search(data, 0, int(ends[0])))
            line_no += 1
            yield _long_line(line_no, unterminated=False, has_text=skipped_text)
            data, ends = data[ends[0] :], ends[1:] - ends[0]
            skipping = False
        cut = int(ends[-1]) if len(ends) else 0
        if cut:
            batch = _batch(data[:cut], ends, line_no, unterminated_last=False)
            line_no += batch.num_rows
            yield batch
        pending = data[cut:]
        if len(pending) > MAX_LINE_BYTES:
            skipping, skipped_text = True, bool(_TEXT_KEY_BYTES.search(pending))
            pending = pending[-64:]
    if not started and pending.startswith(b"\xef\xbb\xbf"):
        pending = pending[3:]
    if skipping:
        yield _long_line(line_no + 1, unterminated=True, has_text=skipped_text)
        return
    if pending:
        ends = _line_ends(pending, final=True)
        unterminated = not len(ends) or int(ends[-1]) != len(pending)
        ends = np.append(ends, len(pending)) if unterminated else ends
        yield _batch(pending, ends, line_no, unterminated_last=unterminated)
    elif line_no == 0 and report.finding is None:
        report.finding = "empty_file"


def _line_ends(data: bytes, *, final: bool) -> np.ndarray:
    """Offsets just after each line terminator in ``data``; a ``\\r`` at the very end is a terminator only when
    ``final`` (else it may be the first half of ``\\r\\n``)."""
    buf = np.frombuffer(data, np.uint8)
    if b"\r" not in data:  # the common case, found at memchr speed
        return np.flatnonzero(buf == 10) + 1
    cr, lf = buf == 13, buf == 10
    lone_cr = cr.copy()
    lone_cr[:-1] &= ~lf[1:]
    if not final and len(buf):
        lone_cr[-1] = False
    return np.flatnonzero(lf | lone_cr) + 1


def _long_line(line_no: int, *, unterminated: bool, has_text: bool) -> LineBatch:
    """The stand-in for a line longer than MAX_LINE_BYTES that was skipped without being held."""
    return LineBatch(pa.table({
        "line_no": pa.array([line_no], pa.int64()), "line": pa.array([BAD_LINE], pa.large_string()),
        "unterminated": pa.array([unterminated]), "not_strict": pa.array([True]), "has_text": pa.array([has_text]),
        "reject_detail": pa.array([f"line longer than {MAX_LINE_BYTES:,} bytes: not read"], pa.string()),
    }))


def _batch(data: bytes, ends: np.ndarray, first: int, *, unterminated_last: bool) -> LineBatch:
    n = len(ends)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    lines = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    undecodable = np.zeros(n, np.bool_)
    try:
        lines.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        lines, undecodable = _decode_each(data, offsets)
    not_strict, has_text, lines, why = _scrub(lines, undecodable,
                                              may_hold_words=b"NaN" in data or b"Infinity" in data)
    unterminated = np.zeros(n, np.bool_)
    unterminated[-1] = unterminated_last
    return LineBatch(pa.table({
        "line_no": pa.array(np.arange(first + 1, first + n + 1, dtype=np.int64)), "line": lines,
        "unterminated": pa.array(unterminated), "not_strict": pa.array(not_strict), "has_text": pa.array(has_text),
        "reject_detail": why,
    }))


def _decode_each(data: bytes, offsets: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Lines of a piece that is not all UTF-8 (rare): JSON text is UTF-8 (RFC 8259 §8.1), so a line holding
    other bytes is not JSON; decoded with replacement characters two different ids could become one."""
    texts, bad = [], []
    for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        try:
            texts.append(data[a:b].decode("utf-8"))
            bad.append(False)
        except UnicodeDecodeError:
            texts.append(data[a:b].decode("utf-8", errors="replace"))
            bad.append(True)
    return pa.array(texts, pa.large_string()), np.array(bad, np.bool_)


def _scrub(lines: pa.Array, undecodable: np.ndarray, *, may_hold_words: bool
           ) -> tuple[np.ndarray, np.ndarray, pa.Array, pa.Array]:
    """(not_strict, has_text, lines with every ``text`` key removed and rejected lines replaced by BAD_LINE,
    why each rejected line was rejected)."""
    n = len(lines)

    def flags(mask: pa.Array) -> np.ndarray:
        return np.asarray(mask.to_numpy(zero_copy_only=False), np.bool_)

    lenient = flags(pc.match_substring_regex(lines, _LENIENT_SUSPECT if may_hold_words else _TRAILING_COMMA))
    texty = flags(pc.match_substring_regex(lines, _TEXT_STRING))
    deep = _many_brackets(lines)
    long = flags(pc.greater(pc.binary_length(lines), MAX_LINE_BYTES))
    not_strict = np.zeros(n, np.bool_)
    has_text = np.zeros(n, np.bool_)
    replaced: dict[int, str] = {}
    details: dict[int, str] = {}
    for i in np.flatnonzero(lenient | texty | deep | long | undecodable).tolist():
        line = lines[i].as_py()
        keep: str | None
        why: str | None
        if long[i]:
            keep, text, why = None, False, f"line longer than {MAX_LINE_BYTES:,} bytes: not read"
        elif undecodable[i]:
            keep, text, why = None, False, "not UTF-8"
        elif deep[i] and _depth(line) > MAX_DEPTH:
            keep, text, why = None, False, f"arrays / objects nested deeper than {MAX_DEPTH} levels"
        else:
            keep, text, why = _strict_scrub(line)
        if keep is None:  # rejected: whether it carried a text key is read from its characters
            not_strict[i], replaced[i], details[i] = True, BAD_LINE, why or "not JSON"
            has_text[i] = bool(texty[i]) and bool(_TEXT_KEY.search(line))
        else:
            has_text[i] = text
            if text:
                replaced[i] = keep
    if replaced:
        mask = np.zeros(n, np.bool_)
        mask[list(replaced)] = True
        lines = pc.replace_with_mask(lines, pa.array(mask),
                                     pa.array([replaced[i] for i in sorted(replaced)], pa.large_string()))
    why_array = pa.nulls(n, pa.string())
    if details:
        texts = np.full(n, None, dtype=object)
        texts[list(details)] = list(details.values())
        why_array = pa.array(texts, pa.string())
    return not_strict, has_text, lines, why_array


def _many_brackets(lines: pa.Array) -> np.ndarray:
    """True for lines with more than MAX_DEPTH opening brackets (``[``, ``{``, also inside strings): only these
    can nest deeper. Counted from the positions of the brackets (about one per event line, its ``{``)."""
    offsets = np.frombuffer(lines.buffers()[1], np.int64)[lines.offset : lines.offset + len(lines) + 1]
    data = np.frombuffer(lines.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    where = np.flatnonzero((data == 91) | (data == 123)) + offsets[0]
    per_line = np.bincount(np.searchsorted(offsets, where, side="right") - 1, minlength=len(lines))
    return np.asarray(per_line[: len(lines)] > MAX_DEPTH)


def _strict_scrub(line: str) -> tuple[str | None, bool, str | None]:
    """(the line without any ``text`` key, whether it had one, None); (None, …, why) when it is not strict JSON
    (the parser's message: a position, never the line's content).

    Re-serialised only when a key was removed; of duplicate keys the first is kept, as DuckDB reads them."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        out: dict[str, Any] = {}
        for key, value in items:
            if key == RAW_TEXT_FIELD:
                found = True
            elif key not in out:
                out[key] = value
        return out

    try:
        value = json.loads(line, parse_constant=_reject_constant, object_pairs_hook=pairs)
        return (json.dumps(value, allow_nan=False) + "\n" if found else line), found, None
    except (ValueError, RecursionError) as exc:
        return None, False, one_line(exc)[:200]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _depth(line: str) -> int:
    """How deeply arrays and objects nest in ``line`` (brackets inside strings left out)."""
    b = np.frombuffer(_JSON_STRING.sub("", line).encode(), np.uint8)
    step = ((b == 91) | (b == 123)).astype(np.int64) - ((b == 93) | (b == 125)).astype(np.int64)
    return int(np.cumsum(step).max(initial=0))
