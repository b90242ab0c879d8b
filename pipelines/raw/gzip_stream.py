"""gzip, inflated in bounded steps: what a file holds, whatever it expands to, a few MiB at a time.

Every member of a file is inflated raw (its trailer checked here), 16 KiB of compressed bytes at a time, each
step's output taken in parts of at most :data:`OUT_BYTES`: a gzip bomb (a megabyte that expands to gigabytes)
costs time, never memory. A damaged member still gives what it holds before the damage (event-log-v1 §2); after
a member whose trailer alone is wrong the next member is read as usual.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol

READ_BYTES = 4 << 20  # bytes read from disk at a time
FEED_BYTES = 16 << 10  # compressed bytes fed to zlib at a time (16 KiB of a bomb inflate to at most ~16.5 MiB)
OUT_BYTES = 8 << 20  # decompressed bytes produced at a time
SALVAGE_BYTES = 1 << 10  # granularity of what is kept of a damaged gzip member before the damage


class Report(Protocol):
    """Where a file-level finding goes (pipelines/raw/ingest.FileReport)."""

    finding: str | None
    detail: str | None


class _Input:
    """The compressed bytes of a file, read a block at a time and consumed from the front (no copy of the rest
    per step: a member of one line each, or a 16 KiB step, must not cost a copy of the whole block)."""

    def __init__(self, f: BinaryIO) -> None:
        self._f, self._buf, self._pos, self._eof = f, b"", 0, False

    def available(self, want: int) -> int:
        """How many bytes are at hand, after reading more if fewer than ``want`` are (and the file goes on)."""
        while len(self._buf) - self._pos < want and not self._eof:
            piece = self._f.read(READ_BYTES)
            self._eof = not piece
            self._buf, self._pos = self._buf[self._pos :] + piece, 0
        return len(self._buf) - self._pos

    def peek(self, n: int) -> bytes:
        return self._buf[self._pos : self._pos + n]

    def take(self, n: int) -> bytes:
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def give_back(self, n: int) -> None:
        """Un-take the last ``n`` bytes taken (what followed a member's end in the piece fed to zlib)."""
        self._pos -= n


def gunzip(f: BinaryIO, report: Report) -> Iterator[bytes]:
    """The decompressed bytes of every gzip member of ``f``, at most OUT_BYTES at a time; what a damaged member
    holds before the damage still counts (event-log-v1 §2), and after a member whose trailer alone is wrong the
    next one is read as usual."""
    data = _Input(f)
    while data.available(64 << 10):
        start = gzip_header_length(data.peek(64 << 10))
        if start is None:
            report.finding, report.detail = "corrupt_gzip", "not a gzip member (bad header)"
            return
        data.take(start)
        inflate = zlib.decompressobj(wbits=-15)
        crc = size = 0
        while not inflate.eof:
            if not data.available(FEED_BYTES):
                report.finding = "corrupt_gzip"
                report.detail = "gzip stream ends before its end marker (truncated)"
                return
            piece = data.take(FEED_BYTES)
            saved = inflate.copy()
            try:
                outs = list(_inflate(inflate, piece))  # a 16 KiB piece inflates to at most ~16.5 MiB
            except zlib.error as exc:
                report.finding, report.detail = "corrupt_gzip", one_line(exc)
                yield from _salvage(saved, piece)
                return
            for out in outs:
                crc, size = zlib.crc32(out, crc), size + len(out)
                yield out
        data.give_back(len(inflate.unused_data))
        trailer = data.take(8) if data.available(8) >= 8 else b""
        if not trailer:
            report.finding, report.detail = "corrupt_gzip", "gzip stream ends inside its trailer (truncated)"
            return
        if int.from_bytes(trailer[:4], "little") != crc or int.from_bytes(trailer[4:], "little") != size & 0xFFFFFFFF:
            report.finding, report.detail = "corrupt_gzip", "Error -3 while decompressing data: incorrect data check"


def _inflate(inflate: Any, piece: bytes) -> Iterator[bytes]:
    """What ``piece`` inflates to, in parts of at most OUT_BYTES. A full part may leave output inside zlib
    with no input left (a match running past it), so zlib is asked again until a part comes back short. At the
    member's end the rest is in ``unused_data`` (``unconsumed_tail`` may still hold it too: feeding that again
    would never end)."""
    out = inflate.decompress(piece, OUT_BYTES)
    while True:
        if out:
            yield out
        if inflate.eof or (not inflate.unconsumed_tail and len(out) < OUT_BYTES):
            return
        out = inflate.decompress(inflate.unconsumed_tail, OUT_BYTES)


def _salvage(inflate: Any, piece: bytes) -> Iterator[bytes]:
    """What ``piece`` decompresses to before its damage, fed in small parts to a copy of the state before it."""
    for pos in range(0, len(piece), SALVAGE_BYTES):
        try:
            outs = list(_inflate(inflate, piece[pos : pos + SALVAGE_BYTES]))
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


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
