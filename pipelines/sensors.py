"""Sensor: every new `dt=` folder becomes an arrival-date partition and is ingested; the analysis follows."""


from pathlib import Path
from typing import Any

import dagster as dg

from pipelines import ingest
from pipelines.partitions import ARRIVAL_DATES
from pipelines.resources import NudgePaths


def build_arrival_sensor(ingest_job: Any) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_arrival_dates",
        job=ingest_job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Registers each new dt=YYYY-MM-DD folder under the events root as a partition and "
        "requests its ingest run.",
    )
    def new_arrival_dates(context: dg.SensorEvaluationContext, paths: NudgePaths) -> dg.SensorResult:
        found = ingest.arrival_dates(Path(paths.events_root))
        known = set(context.instance.get_dynamic_partitions(ARRIVAL_DATES))
        new = [d for d in found if d not in known]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=d, run_key=f"ingest-{d}") for d in new],
            dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(ARRIVAL_DATES, new)] if new else [],
        )

    return new_arrival_dates
