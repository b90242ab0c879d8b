from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import run
from pipelines.resources import Settings
from tests.logbuilder import Log


@pytest.fixture(autouse=True, scope="session")
def _no_dagster_home() -> Iterator[None]:
    """No test records runs in the project's instance (`python3 tasks.py test` sets DAGSTER_HOME for the UI):
    session-scoped, so that it is gone before the module-scoped fixtures that run whole logs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        yield


def run_log(log: Log, tmp_path: Path, **write_kw: object) -> duckdb.DuckDBPyConnection:
    """Write the log, run the whole asset graph on it, return a read-only connection to the warehouse."""
    events_root, registry = log.write(tmp_path, **write_kw)  # type: ignore[arg-type]
    settings = Settings(events_root, registry, tmp_path / "w.duckdb", tmp_path / "reports")
    run(settings)
    return duckdb.connect(str(settings.warehouse), read_only=True)
