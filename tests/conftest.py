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


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for every Spark test (starting one takes ~10-20 s), configured as the translated
    sql/ files need (pipelines/spark/translate.py SPARK_CONF). Needs a Java runtime: .ci/run installs one; on a
    developer machine without Java the Spark tests are skipped (never in CI)."""
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("CI"):
        pytest.skip("no Java runtime: the Spark tests need one (Debian: openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    from pipelines.spark.translate import SPARK_CONF

    builder = (SparkSession.builder.master("local[2]").appName("nudge-impact-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g"))
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
