"""The nightly schedule (02:00 UTC): ingest every arrival date that is new or changed since it was loaded.

A schedule cannot return partition requests the way a sensor does, so it registers new folders as
partitions itself before requesting their runs. Run keys carry the folder's fingerprint: a day processed
before is requested again only if a file landed in it since, so nothing is double counted and nothing is
reprocessed for nothing.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.partitions import ARRIVAL_DATES
from pipelines.resources import NudgeConfig
from pipelines.sensors import arrival_date_requests


def build_nightly_schedule(ingest_job: Any) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_ingest",
        cron_schedule="0 2 * * *",
        execution_timezone="UTC",
        job=ingest_job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="02:00 UTC: ingest each newly landed or changed arrival date; the analysis assets follow "
        "automatically (automation condition 'on upstream change').",
    )
    def nightly_ingest(context: dg.ScheduleEvaluationContext, paths: NudgeConfig) -> list[dg.RunRequest]:
        new, requests = arrival_date_requests(context.instance, Path(paths.events_root))
        if new:
            context.instance.add_dynamic_partitions(ARRIVAL_DATES, new)
        return requests

    return nightly_ingest
