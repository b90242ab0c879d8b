"""The Dagster instance `nudge run` records its runs in.

With ``DAGSTER_HOME`` set (``python3 tasks.py`` sets it to the project's ``dagster_home/``, as for the UI), the
runs, materialisations, asset-check evaluations and arrival-date partitions of the command line land in the
project's instance: the analyst who opens the UI next finds them there, and a backfill launched in the UI
continues from them. Without ``DAGSTER_HOME`` (the tests, a one-off run) the instance is ephemeral.

DuckDB has one writer and an in-process run keeps its warehouse connection from its first step to its last, so
a run does not start while another run of the instance is in progress; a run of `nudge run` whose process is
gone (killed) is marked failed first, so that it neither blocks the next one nor holds the writer pool.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

#: Tags on every run `nudge run` starts: what started it, on which machine and in which process (so that a
#: later `nudge run` can tell a run in progress from one whose process was killed).
COMMAND_TAG, HOST_TAG, PID_TAG = "nudge/command", "nudge/host", "nudge/pid"


class InstanceUnavailable(Exception):
    """The configured instance cannot take a run now; the message says why."""


class InstanceBusy(InstanceUnavailable):
    """Another run of the instance is in progress; the message names it."""


def is_persistent() -> bool:
    return bool(os.environ.get("DAGSTER_HOME"))


@contextmanager
def open_instance() -> Iterator[dg.DagsterInstance]:
    """The project's instance (``DAGSTER_HOME``) when one is configured, an ephemeral one otherwise."""
    if not is_persistent():
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance
        return
    try:
        instance = dg.DagsterInstance.get()
    except dg.DagsterInvariantViolationError as exc:  # DAGSTER_HOME missing, not a folder or not absolute
        raise InstanceUnavailable(str(exc).split(". Dagster requires")[0]) from None
    with instance:
        yield instance


def run_tags(command: str) -> dict[str, str]:
    return {COMMAND_TAG: command, HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def release_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every in-progress run that `nudge run` started on this machine in a process that is gone
    (killed, or the machine restarted), and free the pool slots it held. Returns their run ids."""
    host = socket.gethostname()
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES,
                                                       tags={HOST_TAG: host})):
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            instance.report_run_failed(run, message=f"the `nudge run` process (pid {pid}) ended without "
                                       "finishing this run; marked failed by the next `nudge run`")
            if instance.event_log_storage.supports_global_concurrency_limits:
                instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released


def ensure_idle(instance: dg.DagsterInstance) -> None:
    """Raise :class:`InstanceBusy` when a run of the instance is queued or in progress."""
    busy: Sequence[dg.DagsterRun] = instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES),
                                                      limit=5)
    if busy:
        runs = ", ".join(f"{r.job_name} {r.run_id[:8]} ({r.status.value.lower()})" for r in busy)
        raise InstanceBusy(f"runs in progress in DAGSTER_HOME={os.environ.get('DAGSTER_HOME')}: {runs}; "
                           "the warehouse has one writer: wait for them, or cancel them in the UI")
