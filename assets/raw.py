"""Raw layer: each arrival date's files → validated rows (raw_events), explained rejects (quarantined_events) and
what each file gave (ingested_files); then one row per distinct event (events) and the re-deliveries found on the
way (delivery_findings)."""


from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import dagster as dg

from assets.metadata import date_span, markdown_table
from pipelines import progress, tables
from pipelines.engine import read_tuples, row_count
from pipelines.partitions import arrival_date_partitions
from pipelines.raw import ingest, warehouse
from pipelines.resources import NudgeConfig, Warehouse

POOL = "duckdb_writer"

#: Downstream assets rebuild when anything upstream changed (a new or re-loaded arrival date), once nothing
#: upstream is still running. Used by the UI's automation; `nudge run` materialises everything explicitly.
ON_UPSTREAM_CHANGE = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("on upstream change")


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
        dg.AssetSpec(
            "ingested_files",
            description="One row per file of an arrival date: its format, rows read, valid and quarantined, and "
            "what was wrong with it as a whole (empty, unreadable, damaged gzip).",
            kinds={"duckdb"},
            group_name="raw",
        ),
    ],
    partitions_def=arrival_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def raw_events(
    context: dg.AssetExecutionContext, warehouse_db: Warehouse, paths: NudgeConfig
) -> Iterator[dg.MaterializeResult]:
    events_root = Path(paths.events_root)
    keys = context.partition_keys
    totals = {"files": 0, "rows_read": 0, "rows_valid": 0, "rows_quarantined": 0}
    files = {key: ingest.partition_files(events_root, key) for key in keys}
    with warehouse_db.get_connection() as con:
        with progress.raw_load(files, context.log, con):
            loads = warehouse.load_arrival_dates(con, events_root, keys)
        reasons: dict[str, dict[str, int]] = {}
        for day, reason, n in read_tuples(con, "quarantine_reasons", {"days": [date.fromisoformat(k) for k in keys]}):
            reasons.setdefault(day, {})[reason] = int(n)
    for load in loads:
        key = load.arrival_date
        context.log.info(f"dt={key}: {load.files} files, {load.rows_read:,} rows read, {load.rows_valid:,} valid, "
                         f"{load.rows_quarantined:,} quarantined" + (f"; file findings {load.file_findings}"
                                                                      if load.file_findings else ""))
        for k in totals:
            totals[k] += getattr(load, k)
        # each arrival date's own figures on its own materialisation (the run's totals are on all of them)
        context.add_asset_metadata(asset_key="raw_events", partition_key=key, metadata={
            "dagster/row_count": load.rows_valid, "files": load.files, "rows_read": load.rows_read,
            "file_findings": dg.MetadataValue.json(load.file_findings)})
        context.add_asset_metadata(asset_key="quarantined_events", partition_key=key, metadata={
            "dagster/row_count": load.rows_quarantined,
            "quarantine_share": round(load.rows_quarantined / max(load.rows_read, 1), 4),
            "reasons": dg.MetadataValue.md(_reasons_table(reasons.get(key, {})))})
        context.add_asset_metadata(asset_key="ingested_files", partition_key=key, metadata={
            "dagster/row_count": load.files, "file_findings": dg.MetadataValue.json(load.file_findings)})
    span = date_span(keys)
    progress.step("raw_events", f"dt={span}: {totals['rows_valid']:,} valid rows, "
                  f"{totals['rows_quarantined']:,} quarantined, from {totals['files']:,} files")
    yield dg.MaterializeResult(asset_key="raw_events", metadata={
        "run_arrival_dates": span, "run_rows_valid": totals["rows_valid"], "run_files": totals["files"]})
    yield dg.MaterializeResult(asset_key="quarantined_events", metadata={
        "run_arrival_dates": span, "run_rows_quarantined": totals["rows_quarantined"]})
    yield dg.MaterializeResult(asset_key="ingested_files", metadata={
        "run_arrival_dates": span, "run_files": totals["files"]})


def _reasons_table(counts: dict[str, int]) -> str:
    return markdown_table(["reason", "rows"], sorted(counts.items())) if counts else "no rejected rows"


@dg.multi_asset(
    name="events",
    specs=[
        dg.AssetSpec(
            "events",
            deps=["raw_events"],
            description="One row per distinct event_id over all arrival dates (first delivery kept), no raw text: "
            "a view of raw_events without the copies in redeliveries (sql/raw/events.sql).",
            kinds={"duckdb"},
            group_name="raw",
            automation_condition=ON_UPSTREAM_CHANGE,
        ),
        dg.AssetSpec(
            "redeliveries",
            deps=["raw_events"],
            description="Every delivery of an event id delivered more than once within 2 arrival days, and whether "
            "it is the kept one (sql/raw/redeliveries.sql: the first delivery is kept, the others are copies). "
            "Decided incrementally: a night reads only the new dates' ids, within the window around them.",
            kinds={"duckdb"},
            group_name="raw",
            automation_condition=ON_UPSTREAM_CHANGE,
        ),
        dg.AssetSpec(
            "delivery_findings",
            deps=["raw_events"],
            description="Redundant copies of already delivered events per arrival date of the copy: "
            "duplicate_event, and conflicting_duplicate when the copy's content differs. Decided with events "
            "(which copy is kept), so written by the same step.",
            kinds={"duckdb"},
            group_name="raw",
            automation_condition=ON_UPSTREAM_CHANGE,
        ),
    ],
    pool=POOL,
    check_specs=[
        dg.AssetCheckSpec("quarantine_share_within_limit", asset="events", additional_deps=["ingested_files"],
                          description="Fails when any arrival date rejected more than the configured share of "
                          "its rows (NUDGE_MAX_QUARANTINE_SHARE, default 5 %)."),
        dg.AssetCheckSpec("new_data_recently", asset="events",
                          description="Warns when the newest arrival date is older than NUDGE_STALE_AFTER_HOURS "
                          "(default 36 h)."),
    ],
)
def events(warehouse_db: Warehouse, paths: NudgeConfig) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with warehouse_db.get_connection() as con:
        rows, findings_update = tables.resolve_duplicates(con)
        findings = read_tuples(con, "delivery_findings_by_reason")
        findings_rows = row_count(con, "delivery_findings")
        redelivered_rows = row_count(con, "redeliveries")
        shares = read_tuples(con, "quarantine_shares")
    dupes = int(sum(n for reason, n in findings if reason == "duplicate_event"))
    dates = [d for d, _, _ in shares]
    progress.step("events", f"{rows:,} distinct events, {dupes:,} duplicate deliveries dropped")
    yield dg.MaterializeResult(asset_key="redeliveries", metadata={
        "dagster/row_count": redelivered_rows, "copies": dupes, "update": findings_update})
    yield dg.MaterializeResult(asset_key="events", metadata={
        "dagster/row_count": rows, "duplicates_dropped": dupes, "arrival_dates": date_span(dates)})
    yield dg.MaterializeResult(asset_key="delivery_findings", metadata={
        "dagster/row_count": findings_rows, "update": findings_update,
        "findings": dg.MetadataValue.md(
            markdown_table(["finding", "count"], [(r, int(n)) for r, n in findings]) if findings else "none"),
    })
    share = {d: q / max(r, 1) for d, q, r in shares}
    too_dirty = {d: round(s, 4) for d, s in share.items() if s > paths.max_quarantine_share}
    worst = max(share, key=lambda d: share[d], default=None)
    yield dg.AssetCheckResult(
        asset_key="events", check_name="quarantine_share_within_limit", passed=not too_dirty,
        description=f"{len(too_dirty)} arrival dates rejected more than {paths.max_quarantine_share:.1%} of their rows"
        if too_dirty else None,
        metadata={"limit": paths.max_quarantine_share,
                  "worst_share": round(share[worst], 4) if worst else 0.0,
                  "worst_arrival_date": worst or "none",
                  "overall_share": round(sum(q for _, q, _ in shares) / max(sum(r for _, _, r in shares), 1), 4),
                  "days_over_limit": dg.MetadataValue.json(too_dirty),
                  "shares": dg.MetadataValue.md(markdown_table(
                      ["arrival date", "rejected rows", "rows read", "share", "over limit"],
                      [(d, int(q), int(r), f"{share[d]:.2%}", d in too_dirty) for d, q, r in shares]))},
    )
    newest = max(dates, default=None)
    age_hours = None
    if newest is not None:
        end_of_day = datetime.combine(date.fromisoformat(newest), time(23, 59, 59), tzinfo=UTC)
        age_hours = max(0.0, (datetime.now(UTC) - end_of_day).total_seconds() / 3600)
    yield dg.AssetCheckResult(
        asset_key="events", check_name="new_data_recently",
        passed=age_hours is not None and age_hours <= paths.stale_after_hours,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest_arrival_date": str(newest), "hours_since": round(age_hours or -1.0, 1),
                  "limit_hours": paths.stale_after_hours},
    )
