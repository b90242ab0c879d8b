"""The reports in headless Chromium (Debian's ``chromium``), offline: every figure renders as Plotly SVG, no
console error, no request leaves the file system; screenshots are kept in ``test-artifacts/report/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.resources import Settings
from tests.report.conftest import Built, chromium_or_skip

FIGURES = ("fig-funnel", "fig-forest", "fig-daily", "fig-segments", "fig-fatigue", "fig-learning")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser(built: Built, withheld: Settings) -> Iterator[Any]:
    """Chromium via playwright, started after the Dagster runs (playwright's event loop must not host them)."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """One page load: console errors, uncaught exceptions and every request that was not a local file."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed request {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:", "blob:", "about:"))]


def _report(built: Built, lang: str) -> Path:
    return built.reports / built.experiments[0].id / ("index.html" if lang == "en" else "index.de.html")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_figure_renders_without_errors(browser: Any, built: Built, artifacts: Path, lang: str) -> None:
    visit = Visit(browser, _report(built, lang))
    page = visit.page
    page.wait_for_function(
        "ids => ids.every(id => document.querySelectorAll('#' + id + ' svg.main-svg').length > 0)",
        arg=list(FIGURES), timeout=30_000)
    counts = page.evaluate("ids => ids.map(id => document.querySelectorAll('#' + id + ' svg.main-svg').length)",
                           list(FIGURES))
    assert all(c >= 1 for c in counts), dict(zip(FIGURES, counts, strict=True))
    assert page.locator(".js-plotly-plot").count() == len(FIGURES)
    # every figure drew its data: bars, markers or lines
    drawn = page.evaluate("ids => ids.map(id => document.querySelectorAll("
                          "'#' + id + ' .point, #' + id + ' .scatterlayer path.js-line').length)", list(FIGURES))
    assert all(n > 0 for n in drawn), dict(zip(FIGURES, drawn, strict=True))
    page.screenshot(path=str(artifacts / f"report-{lang}.png"), full_page=True)
    page.screenshot(path=str(artifacts / f"report-{lang}-first-screen.png"))
    for fig in FIGURES:
        page.locator(f"#{fig}-figure").screenshot(path=str(artifacts / f"{fig}-{lang}.png"))
    assert not visit.errors, visit.errors
    assert not visit.external_requests(), visit.external_requests()
    page.close()


def test_the_answer_and_the_trust_verdict_are_on_the_first_screen(browser: Any, built: Built) -> None:
    visit = Visit(browser, _report(built, "en"))
    page = visit.page
    first = page.locator(".answer").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= 900
    pill = page.locator("header .pill").bounding_box()
    assert pill is not None and pill["y"] < 300
    page.close()


def test_german_figures_format_numbers_the_german_way(browser: Any, built: Built) -> None:
    visit = Visit(browser, _report(built, "de"))
    page = visit.page
    page.wait_for_selector("#fig-funnel svg.main-svg")
    labels = page.evaluate("() => Array.from(document.querySelectorAll('#fig-funnel text.bartext'))"
                           ".map(t => t.textContent)")
    assert labels and all("," in s and "." not in s for s in labels if "%" in s), labels
    page.close()


@pytest.mark.parametrize("name", ["index.html", "index.de.html"])
def test_index_opens_without_errors(browser: Any, built: Built, artifacts: Path, name: str) -> None:
    visit = Visit(browser, built.reports / name)
    visit.page.screenshot(path=str(artifacts / name.replace(".html", ".png")), full_page=True)
    assert visit.page.locator("#index-table tr").count() == len(built.experiments) + 1
    assert not visit.errors and not visit.external_requests()
    visit.page.close()


def test_withheld_notice_opens_without_errors(browser: Any, withheld: Settings, artifacts: Path) -> None:
    for name in ("index.html", "index.de.html"):
        visit = Visit(browser, withheld.reports_dir / "exp1" / name)
        banner = visit.page.locator("#trust-banner")
        assert banner.is_visible() and banner.bounding_box() is not None
        visit.page.screenshot(path=str(artifacts / f"withheld-{name.replace('.html', '')}.png"), full_page=True)
        assert not visit.errors and not visit.external_requests()
        visit.page.close()
