"""The Dagster code location: assets, checks, jobs, sensor, schedule and resources.

`dg dev` (the UI; pyproject.toml's [tool.dg] points at this module) and `nudge run` both use
:func:`build_definitions`, so the UI and the command line run the same asset graph."""

from __future__ import annotations

import dagster as dg

from assets import experiment, metrics, raw, reports, results
from pipelines.resources import Settings
from pipelines.schedules import build_nightly_schedule
from pipelines.sensors import build_arrival_sensor

#: One asset (or AssetSpec of a multi_asset, where one step writes several tables) per table a user may read.
ALL_ASSETS = [
    raw.raw_events,  # raw_events, quarantined_events, ingested_files
    raw.events,  # events, delivery_findings
    experiment.experiment_registry,  # registry_experiments, registry_variants
    experiment.assignments,
    experiment.attempt_outcomes,
    experiment.triggered_attempts,
    experiment.experiment_findings,
    metrics.user_metrics,
    metrics.arm_statistics,
    metrics.daily_arm_statistics,
    metrics.sample_ratio_counts,
    results.sample_ratio_checks,
    results.experiment_results,
    results.daily_results,
    results.segment_heterogeneity,
    results.data_quality,
    reports.experiment_reports,
]

INGEST_JOB = "ingest_arrival_dates"
ANALYSIS_JOB = "analyse_experiments"

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.assets(raw.raw_events),
    description="Load arrival-date partitions of the event logs (raw_events, quarantined_events, ingested_files).",
)
analysis_job = dg.define_asset_job(
    ANALYSIS_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(raw.raw_events),
    description="Rebuild everything downstream of the raw layer: events → assignments → attempts → metrics → "
    "results → reports.",
)


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[ingest_job, analysis_job],
        sensors=[build_arrival_sensor(ingest_job)],
        schedules=[build_nightly_schedule(ingest_job)],
        resources=settings.resources(),
    )


defs = build_definitions(Settings.from_env())
