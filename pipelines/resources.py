"""Resources and settings: where the logs, the registry, the warehouse and the reports are.

Paths come from the command line (`nudge run`) or, for the UI (`dg dev`), from environment variables with the
demo's folders as defaults, so the UI works on the demo data out of the box.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines.raw import warehouse

DEMO_DIR = Path(".nudge-demo")


class Warehouse(DuckDBResource):
    """The DuckDB warehouse file: one connection per run and process, closed when the run ends (failed or not).

    Every step of an in-process run (`nudge run`) shares it, with DuckDB's cache of what the previous step
    wrote; with the multiprocess executor (the UI) each step's process has its own. Outside a run,
    :meth:`get_connection` opens a connection for the ``with`` block only.
    """

    memory_limit: str | None = None
    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_connection = self._open()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_connection is not None:
            self._run_connection.close()
            self._run_connection = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.database, config={"custom_user_agent": "nudge-impact", **self.connection_config})
        try:
            warehouse.configure(con, memory_limit=self.memory_limit)
            warehouse.ensure_schema(con)
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._run_connection is not None:
            yield self._run_connection
            return
        con = self._open()
        try:
            yield con
        finally:
            con.close()


class NudgeConfig(dg.ConfigurableResource):
    """Where the event logs arrive, the experiment registry, where reports go, and the check limits."""

    events_root: str
    registry: str
    reports_dir: str
    max_quarantine_share: float = 0.05  # raw-quality check fails above this share of rejected rows per day
    stale_after_hours: int = 36  # freshness check warns when the newest arrival date is older than this


@dataclass(frozen=True)
class Settings:
    events_root: Path
    registry: Path
    warehouse: Path
    reports_dir: Path
    memory_limit: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            events_root=Path(env("NUDGE_EVENTS", str(DEMO_DIR / "events"))).resolve(),
            registry=Path(env("NUDGE_REGISTRY", str(DEMO_DIR / "experiments.yml"))).resolve(),
            warehouse=Path(env("NUDGE_WAREHOUSE", str(DEMO_DIR / "warehouse.duckdb"))).resolve(),
            reports_dir=Path(env("NUDGE_REPORTS", "reports")).resolve(),
            memory_limit=env("NUDGE_MEMORY_LIMIT"),
        )

    def resources(self) -> dict[str, object]:
        return {
            "warehouse_db": Warehouse(database=str(self.warehouse), memory_limit=self.memory_limit),
            "paths": NudgeConfig(
                events_root=str(self.events_root),
                registry=str(self.registry),
                reports_dir=str(self.reports_dir),
                max_quarantine_share=float(os.environ.get("NUDGE_MAX_QUARANTINE_SHARE", "0.05")),
                stale_after_hours=int(os.environ.get("NUDGE_STALE_AFTER_HOURS", "36")),
            ),
        }
