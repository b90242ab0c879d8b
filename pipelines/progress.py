"""Progress lines for `nudge run` on a terminal: one line per partition and per asset, quiet otherwise.

Assets call :func:`step`; only the command line turns the output on (and only when stderr is a terminal),
so the same assets stay silent in the Dagster UI and in tests.
"""

from __future__ import annotations

import sys
import time

_enabled = False
_started = time.monotonic()


def enable(on: bool) -> None:
    global _enabled, _started
    _enabled = on
    _started = time.monotonic()


def step(asset: str, message: str) -> None:
    if _enabled:
        print(f"  [{time.monotonic() - _started:6.1f}s] {asset}: {message}", file=sys.stderr, flush=True)
