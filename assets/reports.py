"""Report layer: one self-contained HTML report per experiment and language, plus results.csv."""


from pathlib import Path

import dagster as dg

from assets.raw import ON_UPSTREAM_CHANGE, POOL
from pipelines import progress
from pipelines.registry import load_registry
from pipelines.report.build import write_reports
from pipelines.resources import NudgeConfig, Warehouse


@dg.asset(
    deps=["experiment_results", "sample_ratio_checks", "data_quality"],
    description="reports/<experiment_id>/index.html (English), index.de.html (German) and results.csv, and "
    "reports/index.html listing every experiment. Self-contained: plotly.js is inlined.",
    kinds={"html", "plotly"},
    group_name="reports",
    pool=POOL,
    automation_condition=ON_UPSTREAM_CHANGE,
)
def experiment_reports(warehouse_db: Warehouse, paths: NudgeConfig) -> dg.MaterializeResult:
    experiments = load_registry(paths.registry)
    with warehouse_db.get_connection() as con:
        written = write_reports(con, experiments, Path(paths.reports_dir))
    progress.step("experiment_reports", f"{len(written)} files in {paths.reports_dir}")
    index = Path(paths.reports_dir) / "index.html"
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index)),
            "reports": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in written)),
        }
    )
