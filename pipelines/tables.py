"""Building the warehouse's derived tables from their ``sql/`` files: which file runs (the full rebuild or the
incremental update), with which parameters, and the expression lists generated from the contract and the
metric catalogue. Every statement is in a file; this module only chooses and passes values.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contract import ATTRIBUTION_WINDOW_MINUTES, FIELDS, MAX_LATENESS_DAYS, PRE_PERIOD_DAYS
from pipelines.engine import read, read_tuples, row_count, run_sql, table_exists, transaction
from pipelines.metrics import metric_structs_sql, split_counts_sql, split_select_sql
from pipelines.registry import Experiment


def _delivery_substitutions() -> dict[str, str]:
    content = [f.name for f in FIELDS if f.name != "event_id"]
    return {
        "content_columns": ", ".join(f"r.{c}" for c in content),
        "same_content": " AND ".join(f"c.{c} IS NOT DISTINCT FROM f.{c}" for c in content),
    }


#: Code-generated expression lists of the SQL files that have ``{placeholders}``.
SUBSTITUTIONS: dict[str, dict[str, str]] = {
    "delivery_findings": _delivery_substitutions(),
    "delivery_findings_incremental": _delivery_substitutions(),
    "user_metrics": {"split_counts": split_counts_sql(), "split_columns": split_select_sql()},
    "arm_statistics": {"metric_structs": metric_structs_sql()},
}

#: The contract's constants the SQL files take as ``$parameters``.
PARAMETERS: dict[str, dict[str, Any]] = {
    "attempt_outcomes": {"window_minutes": ATTRIBUTION_WINDOW_MINUTES},
    "attempt_outcomes_incremental": {"window_minutes": ATTRIBUTION_WINDOW_MINUTES},
    "user_metrics": {"pre_period_days": PRE_PERIOD_DAYS},
    # a copy arrives at most this many days after another copy of its event (docs/definitions.md §2)
    **{name: {"window_days": MAX_LATENESS_DAYS} for name in (
        "redelivered_incremental", "redeliveries", "delivery_findings", "delivery_findings_incremental")},
}


def run_file(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> None:
    """Run ``sql/**/<name>.sql`` with its generated expressions and the contract's parameters (plus ``params``)."""
    run_sql(con, name, {**PARAMETERS.get(name, {}), **(params or {})}, **SUBSTITUTIONS.get(name, {}))


def rebuild(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Rebuild the unpartitioned table ``name`` from ``sql/**/<name>.sql`` atomically; return its row count."""
    with transaction(con):
        run_file(con, name)
    return row_count(con, name)


def write_registry(con: duckdb.DuckDBPyConnection, experiments: list[Experiment]) -> None:
    """The registry as two small tables the SQL joins against (sql/**/experiment_registry.sql; values bound as
    data, never as SQL)."""
    incoming_experiments = pa.table({
        "experiment_id": pa.array([e.id for e in experiments], pa.string()),
        "start_date": pa.array([e.start for e in experiments], pa.date32()),
        "end_date": pa.array([e.end for e in experiments], pa.date32()),
        "control": pa.array([e.control for e in experiments], pa.string()),
        "trigger_threshold": pa.array([e.trigger_threshold for e in experiments], pa.float64()),
        "band_edge": pa.array([e.band_edge for e in experiments], pa.float64()),
        "guardrail_margin": pa.array([e.guardrail_margin for e in experiments], pa.float64()),
    })
    variants = [(e.id, v, share) for e in experiments for v, share in e.variants.items()]
    incoming_variants = pa.table({
        "experiment_id": pa.array([v[0] for v in variants], pa.string()),
        "variant": pa.array([v[1] for v in variants], pa.string()),
        "planned_share": pa.array([v[2] for v in variants], pa.float64()),
    })
    con.register("incoming_experiments", incoming_experiments)
    con.register("incoming_variants", incoming_variants)
    try:
        with transaction(con):
            run_file(con, "experiment_registry")
    finally:
        con.unregister("incoming_experiments")
        con.unregister("incoming_variants")


def _drop_events_table(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses written before `events` became a view hold it as a table."""
    kind = read_tuples(con, "events_kind")
    if kind and kind[0][0] == "BASE TABLE":
        run_sql(con, "drop_events_table")


def resolve_duplicates(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """sql/raw/redeliveries.sql, sql/raw/events.sql, then sql/raw/delivery_findings.sql, in one transaction;
    return the number of distinct events and how delivery_findings was brought up to date: "full", or
    "incremental" (only the arrival dates whose copies were looked at, when only the event ids of newly loaded
    dates were)."""
    state = read(con, "dedup_state")[0]
    complete = bool(state["complete"])
    # every redelivered event id after decided rows were replaced; or when most rows are new (a first load), one
    # pass over every event id is cheaper than a semi-join
    all_ids = complete or (state["pending_dates"] > 0 and 2 * state["pending_rows"] > state["total_rows"])
    incremental = not all_ids and table_exists(con, "delivery_findings")
    with transaction(con):
        _drop_events_table(con)
        run_file(con, "redelivered" if all_ids else "redelivered_incremental")
        run_file(con, "redeliveries", {"complete": complete})
        run_file(con, "events")
        run_file(con, "delivery_findings_incremental" if incremental else "delivery_findings")
    return row_count(con, "events"), "incremental" if incremental else "full"


def update_attempt_outcomes(con: duckdb.DuckDBPyConnection) -> str:
    """Bring attempt_outcomes up to date with the loaded events; return "full", "incremental" or "unchanged".

    Only the drafts with events in the arrival dates loaded since the last update are computed again (their
    rows replaced: sql/experiment/attempt_outcomes_incremental.sql), which is exact: an attempt depends on its
    draft's events and the registry alone. Everything is computed again (sql/experiment/attempt_outcomes.sql)
    when that cannot be known: no table yet, another registry, rows that had been processed were replaced (a
    re-loaded date), or a date older than one already processed was added (its rows may displace kept copies of
    events of other drafts).
    """
    state = read(con, "attempts_state")[0]
    oldest, processed_until = state["oldest_pending"], state["processed_until"]
    incremental = (
        table_exists(con, "attempt_outcomes") and state["stored_fingerprint"] == state["registry_fingerprint"]
        and not state["complete"] and (processed_until is None or oldest is None or oldest > processed_until)
    )
    mode = "unchanged" if incremental and not state["pending_dates"] else "incremental" if incremental else "full"
    with transaction(con):
        if mode != "unchanged":
            run_file(con, "attempt_outcomes" if mode == "full" else "attempt_outcomes_incremental")
        run_file(con, "attempts_done", {"registry_fingerprint": state["registry_fingerprint"]})
    return mode


def withheld_experiments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The experiments whose results are withheld (sql/**/withheld_experiments.sql: the one place that decides)."""
    return [r[0] for r in read_tuples(con, "withheld_experiments")]
