"""What a report reads from the warehouse: aggregates only.

Every query here groups or reads result tables; none selects a user id or any text of a comment, so nothing
personal can reach a report. Tables that do not exist yet (a first run) read as empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from pipelines.engine import read, table_exists
from pipelines.registry import Experiment

Row = dict[str, Any]

#: Experiment-level findings that mean a prompt could not be attributed to an assigned user's arm.
UNATTRIBUTED = ("trigger_without_assignment", "trigger_variant_mismatch", "trigger_without_draft")


@dataclass
class ReportData:
    """Everything one experiment's report shows."""

    experiment: Experiment
    results: list[Row] = field(default_factory=list)  # experiment_results rows of the experiment
    daily: list[Row] = field(default_factory=list)  # daily_results rows of the experiment
    srm: list[Row] = field(default_factory=list)  # sample_ratio_checks rows, every segment
    quality: list[Row] = field(default_factory=list)  # reason, scope ('log' | 'experiment'), count
    funnel: dict[str, dict[str, int]] = field(default_factory=dict)  # arm -> outcome -> analysed attempts
    heterogeneity: list[Row] = field(default_factory=list)  # segment_heterogeneity rows of the experiment
    rows_read: int = 0
    rows_rejected: int = 0
    first_arrival: date | None = None
    last_arrival: date | None = None
    #: share of rejected rows above which the result is not trusted: the raw-layer check's limit
    #: (NUDGE_MAX_QUARANTINE_SHARE, NudgeConfig.max_quarantine_share), so the banner and the check agree
    rejected_limit: float = 0.05

    def overall(self, metric: str) -> list[Row]:
        """The results of ``metric`` over all users (segment 'all'), one per treatment arm, in registry order."""
        rows = [r for r in self.results if r["metric"] == metric and r["segment_dim"] == "all"]
        order = {v: i for i, v in enumerate(self.experiment.variants)}
        return sorted(rows, key=lambda r: order.get(r["variant"], len(order)))

    @property
    def srm_overall(self) -> Row | None:
        return next((r for r in self.srm if r["segment_dim"] == "all"), None)

    def assigned(self) -> dict[str, int]:
        """Assigned users per arm (contaminated included), from the overall sample-ratio check."""
        r = self.srm_overall
        return {k: int(v) for k, v in json.loads(r["assigned_users"]).items()} if r else {}

    def quality_count(self, *reasons: str) -> int:
        return sum(int(q["count"]) for q in self.quality if q["reason"] in reasons)

    @property
    def last_day(self) -> date | None:
        """The last experiment day with analysed prompts (from the daily results)."""
        days = [r["as_of"] for r in self.daily]
        return max(days) if days else None


def _rows(con: duckdb.DuckDBPyConnection, table: str, name: str, params: dict[str, Any]) -> list[Row]:
    """The rows of ``sql/reports/read/<name>.sql``, or none while ``table`` has not been built yet."""
    return read(con, name, params) if table_exists(con, table) else []


def load(con: duckdb.DuckDBPyConnection, exp: Experiment, *, rejected_limit: float = 0.05) -> ReportData:
    """Read the aggregates of one experiment."""
    p = {"e": exp.id}
    data = ReportData(exp, rejected_limit=rejected_limit)
    data.results = _rows(con, "experiment_results", "report_results", p)
    data.daily = _rows(con, "daily_results", "report_daily_results", p)
    data.heterogeneity = _rows(con, "segment_heterogeneity", "report_heterogeneity", p)
    data.srm = _rows(con, "sample_ratio_checks", "report_sample_ratio_checks", p)
    data.quality = _rows(con, "data_quality", "report_data_quality", p)
    for r in _rows(con, "triggered_attempts", "report_funnel", p):
        data.funnel.setdefault(r["variant"], {})[r["outcome"]] = int(r["attempts"])
    files = _rows(con, "ingested_files", "report_files", {})
    if files:
        f = files[0]
        data.rows_read, data.rows_rejected = int(f["rows_read"] or 0), int(f["rows_rejected"] or 0)
        data.first_arrival, data.last_arrival = f["first_arrival"], f["last_arrival"]
    return data
