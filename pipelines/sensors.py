"""Sensor and nightly schedule: each new `dt=` folder becomes an arrival-date partition and is ingested; a
folder that received a late batch is ingested again. Downstream assets follow by their automation condition.

Both request a run per arrival date keyed by a fingerprint of the folder's files (names, sizes, times), so
an unchanged folder is never requested twice and a changed one is requested exactly once more.
"""

import hashlib
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.partitions import ARRIVAL_DATES
from pipelines.raw import ingest
from pipelines.resources import NudgeConfig


def folder_fingerprint(events_root: Path, arrival_date: str) -> str:
    digest = hashlib.sha256()
    for path in ingest.partition_files(events_root, arrival_date):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def arrival_date_requests(instance: dg.DagsterInstance, events_root: Path) -> tuple[list[str], list[dg.RunRequest]]:
    """(new partitions to register, one ingest request per arrival date keyed by its folder's fingerprint)."""
    found = ingest.arrival_dates(events_root)
    known = set(instance.get_dynamic_partitions(ARRIVAL_DATES))
    new = [d for d in found if d not in known]
    requests = [
        dg.RunRequest(partition_key=d, run_key=f"ingest-{d}-{folder_fingerprint(events_root, d)}") for d in found
    ]
    return new, requests


def build_arrival_sensor(ingest_job: Any) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_arrival_dates",
        job=ingest_job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Every 5 minutes: registers each new dt=YYYY-MM-DD folder as a partition and ingests it; "
        "re-ingests a folder whose files changed (a late batch).",
    )
    def new_arrival_dates(context: dg.SensorEvaluationContext, paths: NudgeConfig) -> dg.SensorResult:
        new, requests = arrival_date_requests(context.instance, Path(paths.events_root))
        for entry in ingest.unread_entries(Path(paths.events_root)):
            context.log.warning(f"not read: {entry}")
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(ARRIVAL_DATES, new)] if new else [],
        )

    return new_arrival_dates
