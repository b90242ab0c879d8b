"""Raw layer: each arrival date's files → validated rows (raw_events) and explained rejects
(quarantined_events); then one row per distinct event (events)."""


from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines import progress, warehouse
from pipelines.partitions import arrival_date_partitions
from pipelines.resources import NudgePaths, Warehouse

POOL = "duckdb_writer"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "raw_events",
            description="Every readable, contract-valid row of an arrival date's files, typed, without raw text "
            "(duplicates still in). Replaced as a whole when the partition is re-materialised.",
            kinds={"duckdb"},
            group_name="raw",
        ),
        dg.AssetSpec(
            "quarantined_events",
            description="Rows and files that broke the contract: source file, line, reason, offending field. "
            "Never the raw line.",
            kinds={"duckdb"},
            group_name="raw",
        ),
    ],
    partitions_def=arrival_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def raw_events(
    context: dg.AssetExecutionContext, warehouse_db: Warehouse, paths: NudgePaths
) -> Iterator[dg.MaterializeResult]:
    events_root = Path(paths.events_root)
    totals = {"files": 0, "rows_read": 0, "rows_valid": 0, "rows_quarantined": 0}
    findings: dict[str, int] = {}
    with warehouse_db.get_connection() as con:
        for key in context.partition_keys:
            load = warehouse.load_arrival_date(con, events_root, key)
            progress.step("raw_events", f"dt={key}: {load.rows_valid:,} valid, {load.rows_quarantined:,} quarantined")
            context.log.info(f"dt={key}: {load}")
            for k in totals:
                totals[k] += getattr(load, k)
            for k, v in load.file_findings.items():
                findings[k] = findings.get(k, 0) + v
    yield dg.MaterializeResult(
        asset_key="raw_events",
        metadata={
            "files": totals["files"],
            "rows_read": totals["rows_read"],
            "rows_valid": totals["rows_valid"],
            "file_findings": dg.MetadataValue.json(findings),
        },
    )
    yield dg.MaterializeResult(
        asset_key="quarantined_events", metadata={"rows_quarantined": totals["rows_quarantined"]}
    )


@dg.asset(
    deps=["raw_events"],
    description="One row per distinct event_id over all arrival dates (first delivery kept), no raw text; "
    "plus delivery_findings (duplicate and conflicting re-deliveries per arrival date).",
    kinds={"duckdb"},
    group_name="raw",
    pool=POOL,
)
def events(warehouse_db: Warehouse) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        rows = warehouse.rebuild(con, "events")
        warehouse.rebuild(con, "delivery_findings")
        dupes = con.execute(
            "SELECT coalesce(sum(count), 0) FROM delivery_findings WHERE reason = 'duplicate_event'"
        ).fetchall()[0][0]
    progress.step("events", f"{rows:,} distinct events, {int(dupes):,} duplicate deliveries dropped")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "duplicates_dropped": int(dupes)})
