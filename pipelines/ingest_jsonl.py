"""JSONL (plain or gzip) as a bounded stream of scrubbed lines: what DuckDB is given of a JSON log.

A file is read in pieces (gzip decompressed member by member, at most ``_OUT_BYTES`` per step), split into
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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract import RAW_TEXT_FIELD

#: A line longer than this (bytes, its terminator included) is not read: it is quarantined as not_json.
MAX_LINE_BYTES = 1 << 20
#: Deeper nesting of arrays / objects than this makes a line not_json (an event is flat; this bounds parsing).
MAX_DEPTH = 64
#: What DuckDB sees of a line rejected here: not JSON, not blank.
BAD_LINE = "#"
#: Decompressed bytes one file may yield at most (env ``NUDGE_MAX_FILE_BYTES``); beyond it the file is cut
#: there with the finding ``file_too_large``.
DEFAULT_MAX_FILE_BYTES = 32 << 30
_READ_BYTES = 4 << 20  # bytes read from disk at a time
_FEED_BYTES = 16 << 10  # compressed bytes fed to zlib at a time (a bomb's 16 KiB inflate to at most ~16 MiB)
_OUT_BYTES = 8 << 20  # decompressed bytes produced at a time
_SALVAGE_BYTES = 1 << 10  # granularity of what is kept of a damaged gzip member before the damage
#: What DuckDB's JSON reader tolerates beyond the standard (checked strictly in Python).
_LENIENT_SUSPECT = r",\s*[}\]]|NaN|Infinity"
_TRAILING_COMMA = r",\s*[}\]]"
#: A JSON string equal to "text" (its letters written plainly or as \u escapes).
_TEXT_STRING = r'"(?:t|\\u0074)(?:e|\\u0065)(?:x|\\u0078)(?:t|\\u0074)"'
_TEXT_KEY = re.compile(_TEXT_STRING + r"\s*:")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class Report(Protocol):
    finding: str | None
    detail: str | None


@dataclass
class LineBatch:
    """Consecutive lines of one file: line_no, line (scrubbed), unterminated, not_strict, has_text."""

    table: pa.Table

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def max_file_bytes() -> int:
    value = os.environ.get("NUDGE_MAX_FILE_BYTES")
    return int(value) if value else DEFAULT_MAX_FILE_BYTES


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
        chunks = _gunzip(f, report) if path.name.endswith(".gz") else _plain(f)
        yield from _split(_capped(chunks, report, gz=path.name.endswith(".gz")), report)


def _plain(f: BinaryIO) -> Iterator[bytes]:
    while piece := f.read(_READ_BYTES):
        yield piece


def _capped(chunks: Iterator[bytes], report: Report, *, gz: bool) -> Iterator[bytes]:
    limit, total = max_file_bytes(), 0
    for chunk in chunks:
        if total + len(chunk) > limit:
            yield chunk[: limit - total]
            report.finding = "file_too_large"
            report.detail = (f"{'decompresses' if gz else 'is'} larger than {limit:,} bytes (NUDGE_MAX_FILE_BYTES): "
                             "lines up to there were read")
            return
        total += len(chunk)
        yield chunk


# --- gzip, streamed ----------------------------------------------------------------------------------------


def _gunzip(f: BinaryIO, report: Report) -> Iterator[bytes]:
    """The decompressed bytes of every gzip member of ``f``; what a damaged member holds before the damage still
    counts (event-log-v1 §2), and after a member whose trailer alone is wrong the next one is read as usual."""
    data = b""
    at_eof = False

    def more() -> bool:
        nonlocal data, at_eof
        piece = b"" if at_eof else f.read(_READ_BYTES)
        at_eof = not piece
        data += piece
        return bool(piece)

    while True:
        while len(data) < (64 << 10) and more():
            pass
        if not data:
            return
        start = gzip_header_length(data)
        if start is None:
            report.finding, report.detail = "corrupt_gzip", "not a gzip member (bad header)"
            return
        data = data[start:]
        inflate = zlib.decompressobj(wbits=-15)
        crc = size = 0
        while not inflate.eof:
            if not data and not more():
                report.finding = "corrupt_gzip"
                report.detail = "gzip stream ends before its end marker (truncated)"
                return
            piece, data = data[:_FEED_BYTES], data[_FEED_BYTES:]
            saved = inflate.copy()
            try:
                outs = list(_inflate(inflate, piece))
            except zlib.error as exc:
                report.finding, report.detail = "corrupt_gzip", _one_line(exc)
                yield from _salvage(saved, piece)
                return
            for out in outs:
                crc, size = zlib.crc32(out, crc), size + len(out)
                yield out
        data = inflate.unused_data + data
        while len(data) < 8 and more():
            pass
        trailer, data = data[:8], data[8:]
        if len(trailer) < 8:
            report.finding, report.detail = "corrupt_gzip", "gzip stream ends inside its trailer (truncated)"
            return
        if int.from_bytes(trailer[:4], "little") != crc or int.from_bytes(trailer[4:], "little") != size & 0xFFFFFFFF:
            report.finding, report.detail = "corrupt_gzip", "Error -3 while decompressing data: incorrect data check"


def _inflate(inflate: Any, piece: bytes) -> Iterator[bytes]:
    out = inflate.decompress(piece, _OUT_BYTES)
    while True:
        if out:
            yield out
        if not inflate.unconsumed_tail:
            return
        out = inflate.decompress(inflate.unconsumed_tail, _OUT_BYTES)


def _salvage(inflate: Any, piece: bytes) -> Iterator[bytes]:
    """What ``piece`` decompresses to before its damage, fed in small parts to a copy of the state before it."""
    for pos in range(0, len(piece), _SALVAGE_BYTES):
        try:
            outs = list(_inflate(inflate, piece[pos : pos + _SALVAGE_BYTES]))
        except zlib.error:
            return
        yield from outs


def gzip_header_length(data: bytes) -> int | None:
    """Length of the gzip member header at the start of ``data`` (RFC 1952 §2.3), None if it is not one."""
    if len(data) < 10 or data[:3] != b"\x1f\x8b\x08":
        return None
    flags, pos = data[3], 10
    try:
        if flags & 4:  # FEXTRA
            pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
        if flags & 8:  # FNAME
            pos = data.index(b"\0", pos) + 1
        if flags & 16:  # FCOMMENT
            pos = data.index(b"\0", pos) + 1
    except ValueError:
        return None
    if flags & 2:  # FHCRC
        pos += 2
    return pos if pos <= len(data) else None


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
                skipped_text = skipped_text or bool(_TEXT_KEY.search(data.decode("utf-8", "replace")))
                pending = data[-16:]  # keep enough to see a key split across pieces
                continue
            skipped_text = skipped_text or bool(_TEXT_KEY.search(data[: ends[0]].decode("utf-8", "replace")))
            line_no += 1
            yield _bad_line(line_no, unterminated=False, has_text=skipped_text)
            data, ends = data[ends[0] :], ends[1:] - ends[0]
            skipping = False
        cut = int(ends[-1]) if len(ends) else 0
        if cut:
            batch = _batch(data[:cut], ends, line_no, unterminated_last=False)
            line_no += batch.num_rows
            yield batch
        pending = data[cut:]
        if len(pending) > MAX_LINE_BYTES:
            skipping, skipped_text = True, bool(_TEXT_KEY.search(pending.decode("utf-8", "replace")))
            pending = pending[-16:]
    if not started and pending.startswith(b"\xef\xbb\xbf"):
        pending = pending[3:]
    if skipping:
        yield _bad_line(line_no + 1, unterminated=True, has_text=skipped_text)
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
    cr, lf = buf == 13, buf == 10
    after_cr = np.zeros(len(buf), np.bool_)
    after_cr[1:] = cr[:-1]
    lone_cr = cr.copy()
    lone_cr[:-1] &= ~lf[1:]
    if not final and len(buf):
        lone_cr[-1] = False
    return np.flatnonzero(lf | lone_cr) + 1


def _bad_line(line_no: int, *, unterminated: bool, has_text: bool) -> LineBatch:
    return LineBatch(pa.table({
        "line_no": pa.array([line_no], pa.int64()), "line": pa.array([BAD_LINE], pa.large_string()),
        "unterminated": pa.array([unterminated]), "not_strict": pa.array([True]), "has_text": pa.array([has_text]),
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
    not_strict, has_text, lines = _scrub(lines, undecodable, may_hold_words=b"NaN" in data or b"Infinity" in data)
    unterminated = np.zeros(n, np.bool_)
    unterminated[-1] = unterminated_last
    return LineBatch(pa.table({
        "line_no": pa.array(np.arange(first + 1, first + n + 1, dtype=np.int64)), "line": lines,
        "unterminated": pa.array(unterminated), "not_strict": pa.array(not_strict), "has_text": pa.array(has_text),
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
           ) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """(not_strict, has_text, lines with every ``text`` key removed and rejected lines replaced by BAD_LINE)."""
    n = len(lines)

    def flags(mask: pa.Array) -> np.ndarray:
        return np.asarray(mask.to_numpy(zero_copy_only=False), np.bool_)

    lenient = flags(pc.match_substring_regex(lines, _LENIENT_SUSPECT if may_hold_words else _TRAILING_COMMA))
    texty = flags(pc.match_substring_regex(lines, _TEXT_STRING))
    deep = flags(pc.greater_equal(pc.count_substring_regex(lines, r"[\[{]"), MAX_DEPTH))
    long = flags(pc.greater(pc.binary_length(lines), MAX_LINE_BYTES))
    not_strict = np.zeros(n, np.bool_)
    has_text = np.zeros(n, np.bool_)
    replaced: dict[int, str] = {}
    for i in np.flatnonzero(lenient | texty | deep | long | undecodable).tolist():
        line = lines[i].as_py()
        keep, text = (None, False) if long[i] or undecodable[i] or (deep[i] and _depth(line) > MAX_DEPTH) \
            else _strict_scrub(line)
        if keep is None:  # rejected: whether it carried a text key is read from its characters
            not_strict[i], replaced[i] = True, BAD_LINE
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
    return not_strict, has_text, lines


def _strict_scrub(line: str) -> tuple[str | None, bool]:
    """(the line without any ``text`` key, whether it had one); (None, …) when it is not strict JSON.

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
        return (json.dumps(value, allow_nan=False) + "\n" if found else line), found
    except (ValueError, RecursionError):
        return None, False


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _depth(line: str) -> int:
    """How deeply arrays and objects nest in ``line`` (brackets inside strings left out)."""
    b = np.frombuffer(_JSON_STRING.sub("", line).encode(), np.uint8)
    step = ((b == 91) | (b == 123)).astype(np.int64) - ((b == 93) | (b == 125)).astype(np.int64)
    return int(np.cumsum(step).max(initial=0))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
