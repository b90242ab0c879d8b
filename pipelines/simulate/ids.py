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
USER_PREFIX = "u_"
DIRT_BASE = 1 << 40
JUNK_BASE = 1 << 41

_MASK64 = (1 << 64) - 1
#: byte -> its two ASCII hex digits, packed so that a uint16 view keeps the character order
_LUT16 = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
#: Arrow offsets are int32 below this many bytes of string data; larger columns use large_string
_MAX_STRING_BYTES = (1 << 31) - 1


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


def _string_array(chars: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """Fixed-width rows of `chars` (uint8, one row per valid entry) as an Arrow string array.

    Rows absent from `valid` (if given) are null.  int32 offsets (`string`) unless the data needs more.
    """
    k, width = chars.shape
    n = k if valid is None else len(valid)
    large = k * width > _MAX_STRING_BYTES
    otype = np.int64 if large else np.int32
    if valid is None:
        offsets = np.arange(0, (n + 1) * width, width, dtype=otype)
        bitmap = None
    else:
        offsets = np.zeros(n + 1, dtype=otype)
        offsets[1:] = np.cumsum(valid, dtype=otype) * width
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    cls = pa.LargeStringArray if large else pa.StringArray
    data = pa.py_buffer(np.ascontiguousarray(chars).reshape(-1))
    return cls.from_buffers(n, pa.py_buffer(offsets), data, bitmap, n - k)


def _hex_matrix(words: list[np.ndarray], prefix: str = "") -> np.ndarray:
    """(n, len(prefix) + 16 * len(words)) ASCII: the prefix, then hex digits of 64-bit words (big-endian order).

    Each byte maps to its two characters through a 256-entry uint16 table.
    """
    n = len(words[0])
    p = len(prefix)
    out = np.empty((n, p + 16 * len(words)), dtype=np.uint8)
    if p:
        out[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    for k, w in enumerate(words):
        big_endian = w.astype(">u8", copy=False).view(np.uint8)
        out[:, p + 16 * k : p + 16 * (k + 1)] = _LUT16[big_endian].view(np.uint8).reshape(n, 16)
    return out


def id_array(index: np.ndarray, namespace: int, seed: int, *, prefix: str = "", words: int = 1) -> pa.Array:
    """Identifier strings for integer indices as an Arrow string array; negative indices become null.

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
    return _string_array(_hex_matrix(ws, prefix), None if all_valid else valid)


def id_strings(
    index: np.ndarray,
    namespace: int,
    seed: int,
    *,
    prefix: str = "",
    words: int = 1,
    name: str = "id",
) -> pl.Series:
    """:func:`id_array` as a polars Series named `name`."""
    series = pl.Series(name, id_array(index, namespace, seed, prefix=prefix, words=words))
    return series.cast(pl.String) if series.dtype != pl.String else series


def hash_unit(index: np.ndarray, namespace: int, seed: int) -> np.ndarray:
    """A deterministic 'hash' of each index mapped to [0, 1): used for the assignment split."""
    base = np.asarray(index, dtype=np.int64).astype(np.uint64) + np.uint64(namespace_key(seed, namespace))
    return (mix64(base) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
