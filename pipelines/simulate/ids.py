"""Fast, collision-free pseudonymous identifiers.

Every identifier is a pure function of (seed, namespace, integer index): the index is pushed through
the splitmix64 finaliser, a bijection on 64-bit integers, so distinct indices of one namespace can
never produce the same string.  Callers keep disjoint index ranges for real rows (0..), dirt rows
(`DIRT_BASE`..) and junk rows (`JUNK_BASE`..).  Strings are assembled as fixed-width byte matrices
and handed to Arrow without a Python loop.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

NS_USER, NS_EVENT, NS_DRAFT, NS_COMMENT, NS_VIDEO, NS_TEXT = range(1, 7)
DIRT_BASE = 1 << 40
JUNK_BASE = 1 << 41

_MASK64 = (1 << 64) - 1
#: byte -> its two ASCII hex digits, packed so that a uint16 view keeps the character order
_LUT16 = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)


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


def _hex(words: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 16) ASCII hex bytes, big-endian."""
    raw = words.astype(">u8").view(np.uint8)
    return _LUT16[raw].view(np.uint8).reshape(-1, 16)


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


def id_strings(
    index: np.ndarray,
    namespace: int,
    seed: int,
    *,
    prefix: str = "",
    words: int = 1,
    uuid: bool = False,
    name: str = "id",
) -> pl.Series:
    """Identifier strings for integer indices; negative indices become null.

    `words` 64-bit words are rendered as hex (16 characters each); `uuid=True` renders two words in
    the 8-4-4-4-12 layout.  The first word is a bijection of the index, hence unique.
    """
    index = np.asarray(index, dtype=np.int64)
    valid = index >= 0
    all_valid = bool(valid.all())
    sel = index if all_valid else index[valid]
    w1 = mix64(sel.astype(np.uint64) + np.uint64(namespace_key(seed, namespace)))
    parts = [_hex(w1)]
    key2 = np.uint64(namespace_key(seed, namespace + 1000))
    w = w1
    for _ in range(1, 2 if uuid else words):
        w = mix64(w ^ key2)
        parts.append(_hex(w))
    hexes = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    pieces: list[np.ndarray] = []
    if prefix:
        pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
        pieces.append(np.broadcast_to(pre, (len(sel), len(pre))))
    if uuid:
        dash = np.full((len(sel), 1), ord("-"), dtype=np.uint8)
        pieces += [
            hexes[:, :8],
            dash,
            hexes[:, 8:12],
            dash,
            hexes[:, 12:16],
            dash,
            hexes[:, 16:20],
            dash,
            hexes[:, 20:],
        ]
    else:
        pieces.append(hexes)
    chars = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
    return _to_series(chars, name, None if all_valid else valid)


def hash_unit(index: np.ndarray, namespace: int, seed: int) -> np.ndarray:
    """A deterministic 'hash' of each index mapped to [0, 1): used for the assignment split."""
    base = np.asarray(index, dtype=np.int64).astype(np.uint64) + np.uint64(namespace_key(seed, namespace))
    return (mix64(base) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
