"""Errors the command line reports as one line (``nudge: error: …``, exit status 2).

In a module of their own so that any command's module can raise them without importing :mod:`pipelines.cli`
(which imports the commands: the two would import each other). Nothing here imports Dagster or DuckDB.
"""

from __future__ import annotations

from typing import Any


class CliError(Exception):
    """A failure the user can act on; printed as one line."""


def run_failure_reason(events: list[Any]) -> str:
    """The one-line cause of a failed in-process Dagster run, from its events (``result.all_events``).

    The first failed step's error if a step failed; else the error of whatever failed before any step ran
    (resources that could not be initialised — a warehouse file that is not a DuckDB database or is locked by
    another process); else the run's own. In each case the innermost cause — the user's problem (DuckDB's own
    message), not Dagster's wrapper around it. An in-process run writes no log anyone could look up.
    """
    found = [(event, error) for event in events if (error := _error_of(event)) is not None]
    for event, error in found:
        if event.is_step_failure:
            return f"step {event.step_key} failed: {_innermost_line(error)}"
    for event, error in found:
        if event.event_type_value == "RESOURCE_INIT_FAILURE":
            return f"the run could not start: {_innermost_line(error)}"
    if found:
        return f"the run failed: {_innermost_line(found[0][1])}"
    return "the run failed without an error message"


def _error_of(event: Any) -> Any | None:
    """The serialised error an event carries (step failure, resource init failure, run failure), or None."""
    return getattr(getattr(event, "event_specific_data", None), "error", None)


def _innermost_line(error: Any) -> str:
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = str(error.message).strip().splitlines()
    line = lines[0] if lines else str(error.cls_name)
    prefix, sep, rest = line.partition(": ")
    if sep and error.cls_name and prefix.split(".")[-1] == error.cls_name:  # "module.Class: text" -> "text"
        line = rest
    return line[:500]
