"""The withheld notice after a sample-ratio mismatch, and the Dagster asset's metadata."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from assets.reports import experiment_reports
from pipelines.registry import load_registry
from pipelines.report.build import build_reports
from pipelines.resources import Settings
from tests.report.conftest import Built
from tests.report.htmltools import parse


def test_sample_ratio_mismatch_withholds_the_report_in_both_languages(withheld: Settings) -> None:
    settings = withheld
    folder = settings.reports_dir / "exp1"
    en = (folder / "index.html").read_text(encoding="utf-8")
    de = (folder / "index.de.html").read_text(encoding="utf-8")
    for page, words in ((en, ("Results withheld", "sample-ratio mismatch", "What to check")),
                        (de, ("Ergebnisse zurückgehalten", "Stichprobenverhältnis verletzt", "Was zu prüfen ist"))):
        assert 'id="trust-banner"' in page and 'data-level="fail"' in page
        for w in words:
            assert w in page
        assert 'class="answer' not in page and "plotly.js v" not in page  # no effect shown at all
        assert not [r for r in parse(page).refs if r[2].startswith(("http:", "https:", "//"))]
    assert "83,3 %" in de and "83.3 %" in en  # observed share of the 60:12 split, per locale
    assert not (folder / "results.csv").exists()
    index = (settings.reports_dir / "index.html").read_text(encoding="utf-8")
    assert "withheld" in index and 'href="exp1/index.html"' in index
    assert json.loads((folder / "summary.json").read_text())["withheld"] is True

    # building the reports again (e.g. materialising only the report asset) keeps the notice
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        written = build_reports(con, load_registry(settings.registry), settings.reports_dir)
    finally:
        con.close()
    assert "Results withheld" in (folder / "index.html").read_text(encoding="utf-8")
    assert written.summaries[0]["withheld"] is True and not (folder / "results.csv").exists()


def test_asset_metadata_has_the_headline_table_and_the_report_path(built: Built, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(built.settings.warehouse, warehouse)
    settings = Settings(built.settings.events_root, built.settings.registry, warehouse, tmp_path / "reports")
    result = dg.materialize([experiment_reports], resources=settings.resources())
    assert result.success
    (mat,) = result.asset_materializations_for_node("experiment_reports")
    meta = mat.metadata
    headline = meta["headline"]
    assert isinstance(headline, dg.MarkdownMetadataValue)
    table = headline.md_str or ""
    assert table.startswith("| experiment | arm | status |")
    for exp in built.experiments:
        for arm in exp.treatments:
            assert f"| {exp.id} | {arm} |" in table
    index = meta["index"]
    assert isinstance(index, dg.PathMetadataValue) and Path(index.path) == tmp_path / "reports" / "index.html"
    report = meta[f"report_{built.experiments[0].id}"]
    assert isinstance(report, dg.PathMetadataValue) and Path(report.path).is_file()
