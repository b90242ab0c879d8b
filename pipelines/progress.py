"""Progress of a run as it works: bars over the raw load, then one line per finished step.

Two audiences. On a terminal (`nudge run` turns the display on only when stderr is one) the raw load shows two
bars — the files read (bytes, rate, time left) and the arrival dates written (with DuckDB's progress through the
statement it is running) — and each finished step prints a line stamped with the clock time as it finishes.
The same progress goes to the Dagster run log, so a run launched in the UI shows it in its log too. Nothing is
printed elsewhere (tests, CI, the UI's own processes).

The raw-loading code reports through two calls that do nothing outside :func:`raw_load`: :func:`files_read` as
each file's lines are read and :func:`dates_written` as each batch of arrival dates is committed. Both are
called from the thread running the load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

_enabled = False
_started = time.monotonic()
_console: Console | None = None
_load: _RawLoad | None = None


class _Log(Protocol):
    def info(self, msg: str) -> Any: ...


def enable(on: bool) -> None:
    """Show progress on stderr (`nudge run` on a terminal) or not."""
    global _enabled, _started, _console
    _enabled = on
    _started = time.monotonic()
    _console = Console(stderr=True, highlight=False) if on else None


def _stamp() -> str:
    return f"{datetime.now():%H:%M:%S} {time.monotonic() - _started:+7.1f}s"


def _print(line: str) -> None:
    if _enabled and _console is not None:
        _console.print(f"  {_stamp()}  {line}", markup=False, soft_wrap=True)


def step(asset: str, message: str) -> None:
    """A finished step: a line on the terminal, and the same in the run's log."""
    _dagster_logger().info(f"{asset}: {message}")
    _print(f"{asset}: {message}")


def _dagster_logger() -> logging.Logger:
    import dagster as dg  # captured into the run's log when called inside a step; a plain logger elsewhere

    return dg.get_dagster_logger("nudge")


def files_read(paths: Iterable[Path]) -> None:
    """The raw load has read these files' lines (JSON) or is about to scan them (Parquet)."""
    if _load is not None:
        _load.read(paths)


def dates_written(arrival_dates: Sequence[str], paths: Iterable[Path]) -> None:
    """The raw load has committed these arrival dates (and so read all their files)."""
    if _load is not None:
        _load.written(arrival_dates, paths)


@contextmanager
def raw_load(files: dict[str, list[Path]], log: _Log, duckdb_connection: Any = None) -> Iterator[None]:
    """Progress of loading ``files`` (arrival date -> its files) while the ``with`` block runs; ``log`` is the
    run's logger. With the display on, DuckDB's progress through its current statement is polled from
    ``duckdb_connection`` (``query_progress`` is meant to be called from another thread)."""
    global _load
    load = _load = _RawLoad(files, log, duckdb_connection if _enabled else None)
    try:
        yield
    except BaseException:
        load.close(finished=False)
        raise
    else:
        load.close(finished=True)
    finally:
        _load = None


def _megabytes(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


class _RawLoad:
    def __init__(self, files: dict[str, list[Path]], log: _Log, duckdb_connection: Any) -> None:
        self._log = log
        self._sizes = {p: _size(p) for paths in files.values() for p in paths}
        self._total_bytes = sum(self._sizes.values())
        self._total_dates = len(files)
        self._read: set[Path] = set()
        self._bytes_read = 0
        self._dates_done = 0
        self._started = time.monotonic()
        line = (f"raw_events: loading {self._total_dates} arrival dates, {len(self._sizes)} files, "
                f"{_megabytes(self._total_bytes)}")
        log.info(line)
        _print(line)
        self._bar: Progress | None = None
        self._poller: threading.Thread | None = None
        self._connection: Any = None
        self._stop = threading.Event()
        if _enabled and _console is not None:
            self._bar = Progress(
                TextColumn("  {task.description:<13}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[size]}"), TextColumn("{task.fields[speed]}"),
                TimeRemainingColumn(compact=True, elapsed_when_finished=True),
                console=_console, transient=False, refresh_per_second=4,
            )
            self._reading = self._bar.add_task("files read", total=len(self._sizes),
                                               size="", speed="")
            self._writing = self._bar.add_task("dates written", total=self._total_dates,
                                               size="", speed="")
            self._bar.start()
            if duckdb_connection is not None:
                from pipelines.engine import run_sql  # not at import: `nudge --help` needs no DuckDB

                run_sql(duckdb_connection, "progress_tracking")  # DuckDB's own bar on, not printed: ours is
                self._connection = duckdb_connection
                self._poller = threading.Thread(target=self._poll, args=(duckdb_connection,), daemon=True)
                self._poller.start()

    def read(self, paths: Iterable[Path]) -> None:
        new = [p for p in paths if p not in self._read]
        self._read.update(new)
        self._bytes_read += sum(self._sizes.get(p, 0) for p in new)
        if self._bar is not None:
            speed = self._bytes_read / max(time.monotonic() - self._started, 1e-9)
            self._bar.update(self._reading, completed=len(self._read),
                             size=f"{_megabytes(self._bytes_read)} / {_megabytes(self._total_bytes)}",
                             speed=f"{speed / 1e6:,.1f} MB/s")

    def written(self, arrival_dates: Sequence[str], paths: Iterable[Path]) -> None:
        self.read(paths)  # a batch read by DuckDB itself (Parquet) counts as read once written
        self._dates_done += len(arrival_dates)
        if self._bar is not None:
            self._bar.update(self._writing, completed=self._dates_done)
        span = arrival_dates[0] if len(arrival_dates) == 1 else f"{arrival_dates[0]} … {arrival_dates[-1]}"
        elapsed = time.monotonic() - self._started
        left = elapsed / self._bytes_read * (self._total_bytes - self._bytes_read) if self._bytes_read else 0.0
        line = (f"raw_events: dt={span} written; {self._dates_done}/{self._total_dates} arrival dates, "
                f"{_megabytes(self._bytes_read)} of {_megabytes(self._total_bytes)} read "
                f"({self._bytes_read / max(elapsed, 1e-9) / 1e6:,.1f} MB/s"
                + (f", about {left:,.0f} s left)" if self._dates_done < self._total_dates else ")"))
        self._log.info(line)
        if self._bar is not None:
            self._bar.console.print(f"  {_stamp()}  {line}", markup=False, soft_wrap=True)

    def _poll(self, con: Any) -> None:
        while not self._stop.wait(0.5):
            try:
                percent = float(con.query_progress())
            except Exception:  # the connection is busy closing or closed: stop showing it
                return
            detail = f"DuckDB {percent:3.0f} %" if percent >= 0 else ""
            if self._bar is not None:
                self._bar.update(self._writing, speed=detail)

    def close(self, *, finished: bool) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join()
            from pipelines.engine import run_sql

            run_sql(self._connection, "progress_tracking_off")
        unchanged = self._total_dates - self._dates_done
        if self._bar is not None:
            if finished:  # the dates not written were unchanged since their last load: nothing left to do
                self._bar.update(self._reading, completed=len(self._sizes), speed="")
                self._bar.update(self._writing, completed=self._total_dates, speed="")
            self._bar.stop()
        if finished and unchanged > 0:
            line = f"raw_events: {unchanged} arrival dates unchanged since their last load, not read again"
            self._log.info(line)
            _print(line)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
