"""Orchestration: the sensor and the nightly schedule follow the dt= folders, every warehouse writer is in the
one-writer pool, a failing step releases the DuckDB file, and assets materialise with a temporary DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.raw import POOL, raw_events
from pipelines.definitions import ALL_ASSETS, build_definitions
from pipelines.partitions import ARRIVAL_DATES
from pipelines.resources import Settings, Warehouse
from pipelines.schedules import build_nightly_schedule
from pipelines.sensors import build_arrival_sensor
from tests.logbuilder import Log


def two_day_log(tmp_path: Path) -> Settings:
    log = Log()
    log.assign("u1", "control")
    log.assign("u2", "prompt_empathy", minutes=1440)
    events_root, registry = log.write(tmp_path)
    return Settings(events_root, registry, tmp_path / "w.duckdb", tmp_path / "reports")


def sensor_result(settings: Settings, instance: dg.DagsterInstance) -> dg.SensorResult:
    defs = build_definitions(settings)
    sensor = defs.get_sensor_def("new_arrival_dates")
    # the resources the sensor asks for (as the daemon gives them): the warehouse is opened only by runs
    context = dg.build_sensor_context(instance=instance, resources={"paths": settings.resources()["paths"]},
                                      definitions=defs)
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_sensor_registers_new_folders_and_requests_their_ingest(tmp_path: Path) -> None:
    settings = two_day_log(tmp_path)
    with dg.instance_for_test() as instance:
        result = sensor_result(settings, instance)
        assert [r.partition_key for r in result.run_requests or []] == ["2026-03-02", "2026-03-03"]
        (request,) = result.dynamic_partitions_requests or []
        assert list(request.partition_keys or []) == ["2026-03-02", "2026-03-03"]


def test_changed_folder_gets_a_new_run_key_and_unchanged_ones_keep_theirs(tmp_path: Path) -> None:
    settings = two_day_log(tmp_path)
    with dg.instance_for_test() as instance:
        before = {r.partition_key: r.run_key for r in sensor_result(settings, instance).run_requests or []}
        (settings.events_root / "dt=2026-03-03" / "late-batch.jsonl").write_text("")
        after = {r.partition_key: r.run_key for r in sensor_result(settings, instance).run_requests or []}
    assert before["2026-03-02"] == after["2026-03-02"]
    assert before["2026-03-03"] != after["2026-03-03"]


def test_nightly_schedule_picks_up_tomorrows_folder(tmp_path: Path) -> None:
    settings = two_day_log(tmp_path)
    defs = build_definitions(settings)
    schedule = defs.get_schedule_def("nightly_ingest")
    assert schedule.cron_schedule == "0 2 * * *"
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(ARRIVAL_DATES, ["2026-03-02", "2026-03-03"])
        (settings.events_root / "dt=2026-03-04").mkdir()
        (settings.events_root / "dt=2026-03-04" / "part-0.jsonl").write_text("")
        context = dg.build_schedule_context(instance_ref=instance.get_ref(),
                                            resources={"paths": settings.resources()["paths"]},
                                            repository_def=defs.get_repository_def(),
                                            scheduled_execution_time=datetime(2026, 3, 5, 2, tzinfo=UTC))
        requests = schedule.evaluate_tick(context).run_requests or []
        assert "2026-03-04" in instance.get_dynamic_partitions(ARRIVAL_DATES)
    assert [r.partition_key for r in requests] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert build_nightly_schedule and build_arrival_sensor  # the factories used by the definitions


def test_every_warehouse_writer_is_in_the_one_writer_pool() -> None:
    for asset in ALL_ASSETS:
        for spec in asset.specs:
            assert asset.op.pool == POOL, f"{spec.key} writes DuckDB outside the pool"
    assert "default_limit: 1" in (Path(__file__).parents[1] / "dagster_home" / "dagster.yaml").read_text()


def test_materialise_one_partition_with_a_temporary_duckdb(tmp_path: Path) -> None:
    settings = two_day_log(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(ARRIVAL_DATES, ["2026-03-02", "2026-03-03"])
        result = dg.materialize([raw_events], partition_key="2026-03-03", instance=instance,
                                resources=settings.resources())
    assert result.success
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("SELECT arrival_date::VARCHAR, count(*) FROM raw_events GROUP BY 1").fetchall() == [
        ("2026-03-03", 1)]


def test_a_failing_step_releases_the_warehouse_file(tmp_path: Path) -> None:
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError), warehouse.get_connection() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise RuntimeError("boom")
    # another process can open the file for writing: no connection was left open here
    code = f"import duckdb; duckdb.connect({str(tmp_path / 'w.duckdb')!r}).execute('SELECT * FROM t').fetchall()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_failing_run_releases_the_warehouse_file(tmp_path: Path) -> None:
    """Within a run the steps share one connection; it is closed when the run ends, failed or not."""

    @dg.asset
    def breaks_after_writing(warehouse_db: Warehouse) -> None:
        with warehouse_db.get_connection() as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise RuntimeError("boom")

    result = dg.materialize([breaks_after_writing], resources={"warehouse_db": Warehouse(
        database=str(tmp_path / "w.duckdb"))}, raise_on_error=False)
    assert not result.success
    code = f"import duckdb; duckdb.connect({str(tmp_path / 'w.duckdb')!r}).execute('SELECT * FROM t').fetchall()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_dg_loads_the_project_as_laid_out(tmp_path: Path) -> None:
    """`dg` (dev, check, launch) reads [tool.dg] in pyproject.toml: the code location pipelines/definitions.py."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "VIRTUAL_ENV": str(Path(sys.executable).parents[1]),
           "NUDGE_EVENTS": str(tmp_path / "events"), "NUDGE_WAREHOUSE": str(tmp_path / "w.duckdb")}
    dg_cli = Path(sys.executable).parent / "dg"
    proc = subprocess.run([str(dg_cli), "check", "defs"], cwd=Path(__file__).parents[1], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully." in proc.stdout + proc.stderr
    assert not (tmp_path / "w.duckdb").exists()  # loading the definitions opens no warehouse


def test_a_fresh_clone_has_the_reports_folder_and_the_instance_settings_only() -> None:
    """reports/ and dagster_home/ are in the repository with their one committed file; what runs write there
    (reports, Dagster's run storage) stays out of git."""
    root = Path(__file__).parents[1]
    tracked = subprocess.run(["git", "ls-files", "reports", "dagster_home"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(tracked) == ["dagster_home/dagster.yaml", "reports/README.md"]
    generated = ["reports/index.html", "reports/exp1/index.html", "dagster_home/history/runs.db",
                 "dagster_home/storage/x/compute_logs/y.err"]
    ignored = subprocess.run(["git", "check-ignore", *generated], cwd=root, capture_output=True, text=True).stdout
    assert ignored.split() == generated
