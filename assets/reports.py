"""Report layer: one self-contained HTML report per experiment and language, plus results.csv and the index."""


from pathlib import Path

import dagster as dg

from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress
from pipelines.registry import load_registry
from pipelines.report.build import PAGE, build_reports, headline_markdown
from pipelines.resources import NudgeConfig, Warehouse


@dg.asset(
    deps=["experiment_results", "daily_results", "segment_heterogeneity", "sample_ratio_checks", "data_quality",
          "triggered_attempts", "ingested_files"],
    description="reports/<experiment_id>/index.html (English), index.de.html (German) and results.csv, and "
    "reports/index.html (index.de.html) listing every experiment. Self-contained (plotly.js inlined, no "
    "external links), built from aggregates only: the answer per arm, the trust banner, five figures, all "
    "metrics, data quality and methods.",
    kinds={"html", "plotly"},
    group_name="reports",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def experiment_reports(warehouse_db: Warehouse, paths: NudgeConfig) -> dg.MaterializeResult:
    experiments = load_registry(paths.registry)
    reports_dir = Path(paths.reports_dir)
    with warehouse_db.get_connection() as con:
        written = build_reports(con, experiments, reports_dir, rejected_limit=paths.max_quarantine_share)
    progress.step("experiment_reports", f"{len(written.paths)} files in {paths.reports_dir}")
    metadata: dict[str, dg.MetadataValue] = {
        "headline": dg.MetadataValue.md(headline_markdown(written.summaries)),
        "index": dg.MetadataValue.path(str(reports_dir / PAGE["en"])),
    }
    for s in written.summaries:
        metadata[f"report_{s['experiment_id']}"] = dg.MetadataValue.path(
            str(reports_dir / s["experiment_id"] / PAGE["en"]))
    metadata["files"] = dg.MetadataValue.md("\n".join(f"- `{p}`" for p in written.paths))
    return dg.MaterializeResult(metadata=metadata)
