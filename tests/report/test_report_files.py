"""The written reports, read as files: self-contained, no personal data, locale numbers, and the headline
sentences equal to the results table."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest

from pipelines.report.data import load
from pipelines.report.sentences import arm_status
from tests.report.conftest import Built
from tests.report.htmltools import HEADLINE, TOXIC, parse, sentences, to_float

EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # any scheme or protocol-relative URL


def _report(built: Built, lang: str) -> Path:
    exp = built.experiments[0]
    return built.reports / exp.id / ("index.html" if lang == "en" else "index.de.html")


def test_every_file_is_written(built: Built) -> None:
    for exp in built.experiments:
        folder = built.reports / exp.id
        for name in ("index.html", "index.de.html", "results.csv", "summary.json"):
            assert (folder / name).is_file(), name
    assert (built.reports / "index.html").is_file() and (built.reports / "index.de.html").is_file()


def test_nothing_external_and_plotly_inlined_once(built: Built) -> None:
    for path in built.pages():
        source = path.read_text(encoding="utf-8")
        page = parse(source)
        external = [r for r in page.refs if EXTERNAL.match(r[2]) and not r[2].startswith("data:")]
        assert not external, f"{path}: {external}"
        assert not page.script_srcs, f"{path}: scripts must be inline"
        for style in page.styles:
            assert "url(" not in style and "@import" not in style, path
        bundles = sum(s.count("plotly.js v") for s in page.scripts)
        has_figures = 'class="plot"' in source
        assert bundles == (1 if has_figures else 0), path


def test_relative_links_resolve(built: Built) -> None:
    for path in built.pages():
        for _, attr, value in parse(path.read_text(encoding="utf-8")).refs:
            if attr == "href" and not value.startswith("#"):
                assert (path.parent / value).resolve().is_file(), f"{path}: broken link {value}"


def test_each_report_links_the_other_language_the_csv_and_the_index(built: Built) -> None:
    en = {v for _, _, v in parse(_report(built, "en").read_text(encoding="utf-8")).refs}
    de = {v for _, _, v in parse(_report(built, "de").read_text(encoding="utf-8")).refs}
    assert {"index.de.html", "results.csv", "../index.html"} <= en
    assert {"index.html", "results.csv", "../index.de.html"} <= de


def test_no_user_id_and_no_raw_text_anywhere(built: Built) -> None:
    con = built.connect()
    try:
        ids = [r[0] for r in con.execute(
            "SELECT DISTINCT user_id FROM (SELECT user_id FROM assignments UNION ALL "
            "SELECT user_id FROM triggered_attempts) ORDER BY hash(user_id) LIMIT 300").fetchall()]
        hashes = [r[0] for r in con.execute(
            "SELECT DISTINCT text_hash FROM events WHERE text_hash IS NOT NULL LIMIT 50").fetchall()]
    finally:
        con.close()
    assert len(ids) >= 100
    files = [p for p in built.reports.rglob("*") if p.is_file()]
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = [u for u in ids if u in text]
        assert not leaked, f"{path}: user ids {leaked[:3]}"
        assert not [h for h in hashes if len(h) >= 8 and h in text], path
        assert "CANARY-RAW-TEXT" not in text, path


def test_headline_numbers_equal_the_results_table(built: Built) -> None:
    con = built.connect()
    try:
        for exp in built.experiments:
            data = load(con, exp)
            for lang in ("en", "de"):
                page = built.reports / exp.id / ("index.html" if lang == "en" else "index.de.html")
                found = sentences(page.read_text(encoding="utf-8"))
                headline = sorted(data.overall("withdraw_or_change_rate"), key=lambda r: -r["diff"])
                assert [s.variant for s in found] == [r["variant"] for r in headline]  # largest effect first
                toxic = {r["variant"]: r for r in data.overall("toxic_posts_per_user")}
                for s, row in zip(found, headline, strict=True):
                    _check_sentence(s.text, row, toxic.get(s.variant), lang)
                    assert s.status == arm_status(data, s.variant) == row["verdict"]
                    assert s.status in ("ship", "do_not_ship", "inconclusive")
                    if row["verdict"] == "ship":
                        assert row["decision"] == "win"
    finally:
        con.close()


def _close(shown: str, value: float, lang: str, digits: int) -> None:
    """A shown number is the table's value rounded to ``digits`` decimals (half a unit of tolerance)."""
    assert math.isfinite(value)
    assert abs(to_float(shown, lang) - value) <= 0.5 * 10 ** -digits + 1e-9, (shown, value)


def _check_sentence(text: str, row: dict, toxic: dict | None, lang: str) -> None:
    m = HEADLINE[lang].search(text)
    assert m, text
    _close(m["value"], row["value_variant"] * 100, lang, 1)
    _close(m["control"], row["value_control"] * 100, lang, 1)
    _close(m["diff"], row["diff"] * 100, lang, 1)
    _close(m["low"], row["diff_ci_low"] * 100, lang, 1)
    _close(m["high"], row["diff_ci_high"] * 100, lang, 1)
    if toxic is None or toxic["rel_diff"] is None:
        return
    t = TOXIC[lang].search(text)
    assert t, text
    if t["abs"]:
        sign = -1 if t["dir"] in ("fewer", "weniger") else 1
        _close(t["abs"], abs(toxic["rel_diff"]) * 100, lang, 0)
        assert sign * toxic["rel_diff"] > 0
        assert toxic["decision"] in ("win", "harm")
    else:
        _close(t["rel"], toxic["rel_diff"] * 100, lang, 0)
        assert toxic["decision"] == "no_evidence"


def test_german_numbers_use_the_decimal_comma(built: Built) -> None:
    de = parse(_report(built, "de").read_text(encoding="utf-8")).text
    en = parse(_report(built, "en").read_text(encoding="utf-8")).text
    assert re.search(r"\d,\d %", de)
    assert not re.findall(r"\d\.\d+ ?%", de)
    assert not re.findall(r"\d,\d+ ?%", en)
    assert not re.findall(r"[pP] [<=] \d\.\d", de)
    for s in sentences(_report(built, "de").read_text(encoding="utf-8")):
        assert re.search(r"\d,\d %", s.text), s.text
        assert not re.search(r"\d\.\d", s.text), s.text
    source = _report(built, "de").read_text(encoding="utf-8")
    assert source.count('"separators":",."') == 6  # every German figure formats its axes the German way


def test_results_csv_is_the_results_table(built: Built) -> None:
    con = built.connect()
    try:
        for exp in built.experiments:
            count = con.execute("SELECT count(*) FROM experiment_results WHERE experiment_id = $e",
                                {"e": exp.id}).fetchone()
            with (built.reports / exp.id / "results.csv").open(encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            assert count is not None and len(rows) == count[0] > 0
            expected = {"metric", "variant", "diff", "diff_ci_low", "p_value", "p_value_adjusted", "decision"}
            assert expected <= set(rows[0])
            assert "user_id" not in rows[0]
    finally:
        con.close()


def test_report_sections_come_in_the_promised_order(built: Built) -> None:
    source = _report(built, "en").read_text(encoding="utf-8")
    ids = ["answer", "trust", "figures", "all_metrics", "data_quality", "methods"]
    positions = [source.index(f'<section id="{i}">') for i in ids]
    assert positions == sorted(positions)
    figures = re.findall(r'<figure class="plot" id="([\w-]+)-figure">', source)
    assert figures == ["fig-funnel", "fig-forest", "fig-daily", "fig-segments", "fig-fatigue", "fig-learning"]
    assert 'id="trust-banner"' in source
    for word in ("Holm", "Benjamini–Hochberg", "Waudby-Smith", "delta method", "Welch", "CUPED", "Fisher",
                 "Przyborowski", "Cochran's Q", "non-inferiority", "post-treatment", "too few events"):
        assert word in source, word


def test_index_lists_every_experiment_in_both_languages(built: Built) -> None:
    for name in ("index.html", "index.de.html"):
        source = (built.reports / name).read_text(encoding="utf-8")
        for exp in built.experiments:
            assert f'href="{exp.id}/index.html"' in source and f'href="{exp.id}/index.de.html"' in source
    summary = json.loads((built.reports / built.experiments[0].id / "summary.json").read_text(encoding="utf-8"))
    assert summary["arms"] and summary["trust"] in ("ok", "caution", "fail")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_statuses_are_worded(built: Built, lang: str) -> None:
    source = _report(built, lang).read_text(encoding="utf-8")
    words = {"en": ("Clear win", "No evidence yet", "Harm", "Too few events"),
             "de": ("Klarer Erfolg", "Noch kein Nachweis", "Schaden", "Zu wenige Ereignisse")}
    shown = re.findall(r'<span class="pill (?:win|no_evidence|harm|too_few_events)">([^<]+)</span>', source)
    assert shown and set(shown) <= set(words[lang])
    verdict_words = {"en": ("Ship", "Don't ship", "Not decided yet"),
                     "de": ("Einführen", "Nicht einführen", "Noch offen")}
    shown = re.findall(r'<span class="pill (?:ship|do_not_ship|inconclusive)">([^<]+)</span>', source)
    assert shown and set(shown) <= set(verdict_words[lang])
