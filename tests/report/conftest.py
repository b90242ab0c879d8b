"""One warehouse and one set of reports for every report test (session-scoped, built once).

The data are the project's simulator (``nudge simulate``, ~3000 users, 14 days) when it works; otherwise the
small synthetic log of :mod:`tests.report.synthetic`. Either way the whole asset graph runs on them, exactly
as ``nudge run`` does, so the reports under test are the ones the pipeline writes.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import run
from pipelines.registry import Experiment, load_registry
from pipelines.resources import Settings

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "report"


@dataclass
class Built:
    """The warehouse, the reports and the registry of the session's run."""

    settings: Settings
    experiments: list[Experiment]
    source: str  # "simulator" or "synthetic"

    @property
    def reports(self) -> Path:
        return self.settings.reports_dir

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.settings.warehouse), read_only=True)

    def pages(self) -> list[Path]:
        """Every HTML file written (reports of every experiment in both languages, and the index)."""
        return sorted(self.reports.rglob("*.html"))


def _events(root: Path) -> tuple[Path, Path, str]:
    try:
        from pipelines.simulate import simulate

        simulate(root / "sim", users=3000, days=14, seed=11, fmt="jsonl")
        return root / "sim" / "events", root / "sim" / "experiments.yml", "simulator"
    except Exception as exc:  # the simulator is another team's module; the report tests must not wait for it
        warnings.warn(f"simulator unavailable ({type(exc).__name__}: {exc}); using tests/report/synthetic.py",
                      stacklevel=1)
        from tests.report import synthetic

        events, registry = synthetic.write(root / "synthetic")
        return events, registry, "synthetic"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("report")
    events, registry, source = _events(root)
    settings = Settings(events, registry, root / "w.duckdb", root / "reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        run(settings)
    yield Built(settings, load_registry(registry), source)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def lopsided_settings(tmp_path: Path) -> Settings:
    """A hand-written log whose arms are far from the planned 50:50 (60:12): the sample-ratio check fails."""
    from tests.logbuilder import Log

    log = Log()
    for i in range(60):
        log.assign(f"t{i}", "prompt_empathy")
    for i in range(12):
        log.assign(f"c{i}", "control")
    for i in range(6):
        log.draft(f"t{i}", f"d{i}", 5, 0.9, "aa")
        log.trigger(f"t{i}", f"d{i}", 5, "prompt_empathy")
        log.draft(f"c{i}", f"e{i}", 5, 0.9, "aa")
        log.trigger(f"c{i}", f"e{i}", 5, "control")
    events, registry = log.write(tmp_path)
    return Settings(events, registry, tmp_path / "w.duckdb", tmp_path / "reports")


@pytest.fixture(scope="session")
def withheld(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A run whose only experiment fails the sample-ratio check (its reports are the withheld notice)."""
    from pipelines.cli import CliError

    settings = lopsided_settings(tmp_path_factory.mktemp("withheld"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        with pytest.raises(CliError, match="sample-ratio mismatch"):
            run(settings)
    return settings


def chromium_or_skip() -> str:
    """The path of Debian's chromium; skip when it is absent locally, fail when it is absent in CI."""
    path = "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing (.ci/run installs it)")
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    return path
