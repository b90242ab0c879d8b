"""Write the reports: per experiment ``index.html`` (English), ``index.de.html`` (German), ``results.csv`` and
``summary.json`` (what the index shows); ``index.html`` / ``index.de.html`` listing every experiment.

Reads only aggregates (:mod:`pipelines.report.data`): no user id and no raw text can reach a report. An
experiment whose results are withheld (:func:`pipelines.tables.withheld_experiments`: its arms are not the
planned sizes) gets the withheld notice instead of a report (:func:`write_withheld_report`).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.engine import read
from pipelines.registry import Experiment
from pipelines.report import data as report_data
from pipelines.report.pages import index_page, report_page, withheld_page
from pipelines.report.sentences import HEADLINE, arm_status
from pipelines.report.text import LANGS, Lang, percent, points, signed_points, t
from pipelines.report.trust import assess
from pipelines.tables import withheld_experiments

PAGE: dict[Lang, str] = {"en": "index.html", "de": "index.de.html"}
SUMMARY = "summary.json"


@dataclass
class Written:
    """What one run of :func:`build_reports` wrote, and the headline per experiment and arm."""

    paths: list[Path] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)


def write_reports(con: duckdb.DuckDBPyConnection, experiments: list[Experiment], reports_dir: Path) -> list[Path]:
    """Write every experiment's report and the index; return the files written."""
    return build_reports(con, experiments, reports_dir).paths


def build_reports(con: duckdb.DuckDBPyConnection, experiments: list[Experiment], reports_dir: Path, *,
                  rejected_limit: float = 0.05) -> Written:
    """Write every experiment's report (or its withheld notice) and the index; return paths and summaries.
    ``rejected_limit``: the raw-layer check's limit on rejected rows, which the trust banner applies too."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    out = Written()
    withheld = set(withheld_experiments(con))
    for exp in experiments:
        data = report_data.load(con, exp, rejected_limit=rejected_limit)
        if exp.id in withheld:
            out.paths += write_withheld_report(con, exp, reports_dir, update_index=False)
            out.summaries.append(_summary(exp, data, withheld=True))
            continue
        folder = reports_dir / exp.id
        folder.mkdir(parents=True, exist_ok=True)
        out.paths.append(_write_csv(folder / "results.csv", data.results))
        for lang in LANGS:
            path = folder / PAGE[lang]
            path.write_text(report_page(data, lang), encoding="utf-8")
            out.paths.append(path)
        summary = _summary(exp, data, withheld=False)
        (folder / SUMMARY).write_text(json.dumps(summary, indent=1), encoding="utf-8")
        out.summaries.append(summary)
    out.paths += write_index(reports_dir)
    return out


def _summary(exp: Experiment, data: report_data.ReportData, *, withheld: bool) -> dict[str, Any]:
    arms = [] if withheld else [
        {"variant": r["variant"], "control": r["control"], "status": arm_status(data, r["variant"]),
         "value_variant": r["value_variant"], "value_control": r["value_control"], "diff": r["diff"],
         "diff_ci_low": r["diff_ci_low"], "diff_ci_high": r["diff_ci_high"],
         "p_value_adjusted": r["p_value_adjusted"], "decision": r["decision"]}
        for r in data.overall(HEADLINE)
    ]
    return {"experiment_id": exp.id, "start": exp.start.isoformat(), "end": exp.end.isoformat(),
            "withheld": withheld, "trust": "fail" if withheld else assess(data, "en").level,
            "arms": _finite_json(arms)}


def _finite_json(value: Any) -> Any:
    """NaN and infinities as null, so summary.json stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    return value


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        if rows:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def write_index(reports_dir: Path) -> list[Path]:
    """``index.html`` and ``index.de.html`` from every ``<experiment>/summary.json`` under ``reports_dir``."""
    summaries = []
    for f in sorted(reports_dir.glob(f"*/{SUMMARY}")):
        try:
            summaries.append(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    written = []
    for lang in LANGS:
        path = reports_dir / PAGE[lang]
        path.write_text(index_page(summaries, lang), encoding="utf-8")
        written.append(path)
    return written


def write_withheld_report(con: duckdb.DuckDBPyConnection, exp: Experiment, reports_dir: Path, *,
                          update_index: bool = True) -> list[Path]:
    """Replace an experiment's report by a red notice: its arms are not the planned sizes, so no result of
    it may be read as an effect of the prompt. Shows the sample-ratio check per segment, no effects; removes
    the stale results.csv and marks the experiment as withheld in the index."""
    srm = read(con, "report_sample_ratio_checks", {"e": exp.id})
    folder = reports_dir / exp.id
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in LANGS:
        path = folder / PAGE[lang]
        path.write_text(withheld_page(exp, srm, lang), encoding="utf-8")
        written.append(path)
    stale = folder / "results.csv"
    if stale.exists():
        stale.unlink()
    summary = {"experiment_id": exp.id, "start": exp.start.isoformat(), "end": exp.end.isoformat(),
               "withheld": True, "trust": "fail", "arms": []}
    (folder / SUMMARY).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if update_index:
        written += write_index(reports_dir)
    return written


def headline_markdown(summaries: list[dict[str, Any]]) -> str:
    """The headline per experiment and arm as a markdown table (Dagster metadata)."""
    lang: Lang = "en"
    lines = ["| experiment | arm | status | withdrawn or changed | control | difference (95 % CI) | data |",
             "|---|---|---|---|---|---|---|"]
    for s in summaries:
        if s["withheld"]:
            lines.append(f"| {s['experiment_id']} | – | withheld: sample-ratio mismatch | – | – | – | do not trust |")
            continue
        for a in s["arms"]:
            ci = (f"{points(a['diff'], lang)} ({signed_points(a['diff_ci_low'], lang)} to "
                  f"{signed_points(a['diff_ci_high'], lang)})")
            lines.append(f"| {s['experiment_id']} | {a['variant']} | {t(a['status'], lang)} | "
                         f"{percent(a['value_variant'], lang)} | {percent(a['value_control'], lang)} | {ci} | "
                         f"{t('level_' + s['trust'], lang)} |")
    return "\n".join(lines)
