"""Fast, collision-free pseudonymous identifiers.

Every identifier is a pure function of (seed, namespace, integer index): the index is pushed through
the splitmix64 finaliser, a bijection on 64-bit integers, so distinct indices of one namespace can
never produce the same string.  Callers keep disjoint index ranges for real rows (0..), dirt rows
(`DIRT_BASE`..) and junk rows (`JUNK_BASE`..).  Strings are assembled as fixed-width byte matrices
and handed to Arrow without a Python loop (little-endian hosts only).
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
import pyarrow as pa

if sys.byteorder != "little":  # the packed character tables assume it
    raise ImportError("pipelines.simulate.ids needs a little-endian machine")

NS_USER, NS_EVENT, NS_DRAFT, NS_COMMENT, NS_VIDEO, NS_TEXT = range(1, 7)
DIRT_BASE = 1 << 40
JUNK_BASE = 1 << 41

_MASK64 = (1 << 64) - 1
#: byte -> its two ASCII hex digits, packed so that a uint16 view keeps the character order
#: 16-bit value -> its four ASCII hex digits, packed so that a uint8 view keeps the character order
_LUT32 = np.frombuffer(b"".join(f"{i:04x}".encode() for i in range(65536)), dtype=np.uint32)


def _mix_scalar(x: int) -> int:
    x &= _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (a bijection, so it preserves distinctness)."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def namespace_key(seed: int, namespace: int) -> int:
    """A seed- and namespace-specific 64-bit offset."""
    return _mix_scalar(_mix_scalar(seed * 0x9E3779B97F4A7C15 + namespace) + namespace)


def _to_series(chars: np.ndarray, name: str, valid: np.ndarray | None) -> pl.Series:
    """Fixed-width rows of `chars` as a string Series; rows absent from `valid` (if given) are null.

    `chars` holds only the valid rows, in order.
    """
    k, width = chars.shape
    n = k if valid is None else len(valid)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if valid is None:
        offsets[1:] = np.arange(1, n + 1, dtype=np.int64) * width
        bitmap = None
    else:
        np.cumsum(valid.astype(np.int64) * width, out=offsets[1:])
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    arr = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).reshape(-1)), bitmap
    )
    return pl.Series(name, arr)


def _hex_matrix(words: list[np.ndarray]) -> np.ndarray:
    """(n, 16 * len(words)) ASCII hex digits of 64-bit words (big-endian digit order).

    Each 16-bit chunk maps to four characters through a 65536-entry table; two chunks make one
    little-endian uint64 of eight characters, so rows are written eight bytes at a time.
    """
    n = len(words[0])
    out = np.empty((n, 2 * len(words)), dtype=np.uint64)
    for k, w in enumerate(words):
        c = [
            _LUT32[((w >> np.uint64(48 - 16 * i)) & np.uint64(0xFFFF)).astype(np.intp)].astype(np.uint64)
            for i in range(4)
        ]
        out[:, 2 * k] = c[0] | (c[1] << np.uint64(32))
        out[:, 2 * k + 1] = c[2] | (c[3] << np.uint64(32))
    return out.view(np.uint8).reshape(n, 16 * len(words))


def id_strings(
    index: np.ndarray,
    namespace: int,
    seed: int,
    *,
    prefix: str = "",
    words: int = 1,
    name: str = "id",
) -> pl.Series:
    """Identifier strings for integer indices; negative indices become null.

    `prefix` followed by `words` 64-bit words rendered as hex (16 characters each).  The first word is
    a bijection of the index, hence unique within the namespace.
    """
    index = np.asarray(index, dtype=np.int64)
    valid = index >= 0
    all_valid = bool(valid.all())
    sel = index if all_valid else index[valid]
    w = mix64(sel.astype(np.uint64) + np.uint64(namespace_key(seed, namespace)))
    key2 = np.uint64(namespace_key(seed, namespace + 1000))
    ws = [w]
    for _ in range(1, words):
        ws.append(mix64(ws[-1] ^ key2))
    series = _to_series(_hex_matrix(ws), name, None if all_valid else valid)
    if prefix:
        series = pl.select((pl.lit(prefix) + series).alias(name)).to_series()
    return series


def hash_unit(index: np.ndarray, namespace: int, seed: int) -> np.ndarray:
    """A deterministic 'hash' of each index mapped to [0, 1): used for the assignment split."""
    base = np.asarray(index, dtype=np.int64).astype(np.uint64) + np.uint64(namespace_key(seed, namespace))
    return (mix64(base) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
