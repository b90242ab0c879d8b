"""`nudge run` records its runs in the project's Dagster instance (DAGSTER_HOME), so that what the command line
did is there in the UI: the arrival dates as partitions, a materialisation with metadata of every asset, an
evaluation of every asset check, the progress in the run log. Each test has its own DAGSTER_HOME."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from pipelines import instance as instance_runs
from pipelines.cli import CliError, run
from pipelines.definitions import ALL_ASSETS
from pipelines.partitions import ARRIVAL_DATES
from pipelines.resources import Settings
from tests.logbuilder import Log

ROOT = Path(__file__).resolve().parents[1]
POOL = "duckdb_writer"


def three_day_log(tmp_path: Path) -> Settings:
    log = Log()
    for i in range(12):
        arm = "control" if i % 2 else "prompt_empathy"
        log.assign(f"u{i}", arm, minutes=i)
        for day in range(3):
            minute = day * 1440 + i
            log.draft(f"u{i}", f"d{i}-{day}", minute, 0.9, "aa")
            log.trigger(f"u{i}", f"d{i}-{day}", minute, arm)
            if (i + day) % 3:
                log.post(f"u{i}", f"d{i}-{day}", minute + 1, 0.3, "bb", f"c{i}-{day}")
    events_root, registry = log.write(tmp_path)
    return Settings(events_root, registry, tmp_path / "w.duckdb", tmp_path / "reports")


def new_dagster_home(root: Path) -> Path:
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = new_dagster_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@dataclass(frozen=True)
class Recorded:
    settings: Settings
    home: Path
    dates: list[str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """One `nudge run` into its own DAGSTER_HOME, shared by the tests that only read what it recorded."""
    root = tmp_path_factory.mktemp("recorded")
    settings = three_day_log(root)
    home = new_dagster_home(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        summary = run(settings)
    yield Recorded(settings, home, summary.arrival_dates)


@pytest.fixture
def instance(recorded: Recorded, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    monkeypatch.setenv("DAGSTER_HOME", str(recorded.home))
    with dg.DagsterInstance.get() as inst:
        yield inst


def test_every_arrival_date_is_a_partition_and_every_partition_is_materialised(
        recorded: Recorded, instance: dg.DagsterInstance) -> None:
    assert recorded.dates == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert list(instance.get_dynamic_partitions(ARRIVAL_DATES)) == recorded.dates
    for key in ("raw_events", "quarantined_events"):
        assert instance.get_materialized_partitions(dg.AssetKey(key)) == set(recorded.dates), key


def test_every_asset_has_a_materialisation_with_metadata(instance: dg.DagsterInstance) -> None:
    for asset in ALL_ASSETS:
        for key in asset.keys:
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.asset_materialization is not None, f"{key} not materialised"
            assert event.asset_materialization.metadata, f"{key} materialised without metadata"


def materialisation(instance: dg.DagsterInstance, key: str, partition: str | None = None
                    ) -> dict[str, dg.MetadataValue]:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), asset_partitions=[partition] if partition else None),
        limit=1).records
    mat = records[0].asset_materialization
    assert mat is not None
    return dict(mat.metadata)


def test_each_arrival_date_carries_its_own_counts(recorded: Recorded, instance: dg.DagsterInstance) -> None:
    import duckdb

    con = duckdb.connect(str(recorded.settings.warehouse), read_only=True)
    per_day = dict(con.execute("SELECT arrival_date::VARCHAR, count(*) FROM raw_events GROUP BY 1").fetchall())
    con.close()
    assert len(set(per_day.values())) > 1, "the days must differ for the test to tell them apart"
    for day in recorded.dates:
        meta = materialisation(instance, "raw_events", day)
        assert meta["dagster/row_count"] == dg.MetadataValue.int(per_day[day])
        assert meta["run_arrival_dates"] == dg.MetadataValue.text("2026-03-02 … 2026-03-04 (3 arrival dates)")
        quarantine = materialisation(instance, "quarantined_events", day)
        assert quarantine["dagster/row_count"] == dg.MetadataValue.int(0)


def test_results_carry_the_headline_per_arm_and_the_report(recorded: Recorded, instance: dg.DagsterInstance) -> None:
    results = materialisation(instance, "experiment_results")
    headline = results["headline"]
    assert isinstance(headline, dg.MarkdownMetadataValue)
    assert "| exp1 | prompt_empathy | " in (headline.md_str or "")
    reports = materialisation(instance, "experiment_reports")
    report = reports["report_exp1"]
    assert isinstance(report, dg.PathMetadataValue) and Path(report.path).is_file()
    srm = materialisation(instance, "sample_ratio_checks")["checks"]
    assert isinstance(srm, dg.MarkdownMetadataValue)
    assert "| exp1 | control | 6 | 50.00% | 50.00% |" in (srm.md_str or "")


def test_every_asset_check_is_evaluated_with_its_figures(instance: dg.DagsterInstance) -> None:
    checks = [key for asset in ALL_ASSETS for key in asset.check_keys]
    assert len(checks) >= 4
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    figures = {}
    for key in checks:
        record = latest.get(key)
        assert record is not None and record.event is not None, f"{key.name} not evaluated"
        evaluation = record.event.dagster_event.event_specific_data  # type: ignore[union-attr]
        assert evaluation.metadata, f"{key.name} evaluated without its figures"
        figures[key.name] = evaluation.metadata
    assert {"limit", "worst_share", "overall_share"} <= set(figures["quarantine_share_within_limit"])
    srm = figures["sample_ratio_matches_plan"]
    assert {"observed_vs_planned", "lowest_p_value", "threshold_p"} <= set(srm)


def test_runs_are_tagged_and_leave_the_writer_pool_free(instance: dg.DagsterInstance) -> None:
    runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"ingest_arrival_dates", "analyse_experiments"}
    assert all(r.status == dg.DagsterRunStatus.SUCCESS and r.tags[instance_runs.COMMAND_TAG] == "nudge run"
               for r in runs)
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert info.slot_count == 1 and info.claimed_slots == [] and info.pending_steps == []


def test_the_run_log_shows_the_raw_load_and_each_step(instance: dg.DagsterInstance) -> None:
    messages = {r.job_name: [e.user_message for e in instance.all_logs(r.run_id)] for r in instance.get_runs()}
    ingest = messages["ingest_arrival_dates"]
    assert any(m.startswith("raw_events: loading 3 arrival dates, 3 files") for m in ingest)
    assert any(re.match(r"raw_events: dt=2026-03-02 … 2026-03-04 written; 3/3 arrival dates", m) for m in ingest)
    analysis = messages["analyse_experiments"]
    for step in ("events", "assignments", "triggered_attempts", "user_metrics", "experiment_results"):
        assert any(m.startswith(f"{step}: ") for m in analysis), step


def test_a_second_run_adds_only_the_new_date(tmp_path: Path, dagster_home: Path) -> None:
    settings = three_day_log(tmp_path)
    run(settings)
    late = settings.events_root / "dt=2026-03-05"
    late.mkdir()
    shutil.copy(settings.events_root / "dt=2026-03-04" / "part-0.jsonl", late / "part-0.jsonl")
    run(settings)
    with dg.DagsterInstance.get() as inst:
        assert list(inst.get_dynamic_partitions(ARRIVAL_DATES))[-1] == "2026-03-05"
        assert inst.get_materialized_partitions(dg.AssetKey("raw_events")) == {
            "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"}
        assert len(inst.get_runs()) == 4
        # the second ingest run materialised the new date only: the unchanged ones were not recorded again
        records = inst.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_events")), limit=100).records
        per_run: dict[str, set[str]] = {}
        for record in records:
            per_run.setdefault(record.run_id, set()).add(record.partition_key or "")
        assert sorted(per_run.values(), key=len) == [{"2026-03-05"}, {"2026-03-02", "2026-03-03", "2026-03-04"}]
    # nothing new: no ingest run at all, only the analysis
    run(settings)
    with dg.DagsterInstance.get() as inst:
        assert len(inst.get_runs()) == 5


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_runs_leftovers_are_released(tmp_path: Path, dagster_home: Path) -> None:
    with dg.DagsterInstance.get() as inst:
        tags = {**instance_runs.run_tags("nudge run"), instance_runs.PID_TAG: str(dead_pid())}
        killed = create_run_for_test(inst, job_name="ingest_arrival_dates", status=dg.DagsterRunStatus.STARTED,
                                     tags=tags)
        inst.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        assert inst.event_log_storage.claim_concurrency_slot(POOL, killed.run_id, "raw_events").is_claimed
        alive = create_run_for_test(inst, job_name="analyse_experiments", status=dg.DagsterRunStatus.STARTED,
                                    tags=instance_runs.run_tags("nudge run"))  # this process: still running
        # checked before any run: a slot left claimed would make the next run wait for it forever
        assert instance_runs.release_abandoned_runs(inst) == [killed.run_id]
        assert inst.event_log_storage.get_concurrency_info(POOL).claimed_slots == []
        record = inst.get_run_by_id(killed.run_id)
        assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
        inst.report_run_failed(alive)
    run(three_day_log(tmp_path))  # starts: nothing in progress is left


def test_a_run_in_progress_stops_nudge_run_with_one_line(tmp_path: Path, dagster_home: Path) -> None:
    with dg.DagsterInstance.get() as inst:
        create_run_for_test(inst, job_name="analyse_experiments", status=dg.DagsterRunStatus.STARTED)
    with pytest.raises(CliError, match=r"runs in progress in DAGSTER_HOME=.*analyse_experiments .* \(started\)"):
        run(three_day_log(tmp_path))


def test_a_missing_dagster_home_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(CliError, match="is not a directory or does not exist"):
        run(three_day_log(tmp_path))


def test_without_dagster_home_the_instance_is_ephemeral(tmp_path: Path) -> None:
    assert "DAGSTER_HOME" not in os.environ  # tests/conftest.py
    with instance_runs.open_instance() as inst:
        assert inst.is_ephemeral


def test_a_terminal_shows_the_raw_load_as_it_happens(tmp_path: Path) -> None:
    """`nudge run` with stderr on a pseudo-terminal, each arrival date loaded as its own batch: the bars, a
    clock-stamped line per committed batch before the steps that follow, a line per step."""
    settings = three_day_log(tmp_path)
    code = ("import sys; from pipelines.raw import warehouse; warehouse._JSON_BYTES_PER_LOAD = 1; "
            "from pipelines.cli import main; main(sys.argv[1:])")
    args = ["run", "--events", str(settings.events_root), "--registry", str(settings.registry),
            "--warehouse", str(settings.warehouse), "--reports", str(settings.reports_dir)]
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {"COLUMNS": "120"}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=secondary,
                            cwd=ROOT, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other end closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    stdout, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    terminal = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", b"".join(chunks).decode())
    assert "files read" in terminal and "dates written" in terminal and "MB/s" in terminal
    lines = [line.strip() for line in re.split(r"[\r\n]+", terminal)]
    stamp = r"\d\d:\d\d:\d\d +\+ *\d+\.\ds  "
    written = [i for i, line in enumerate(lines) if re.match(stamp + r"raw_events: dt=2026-03-0\d written", line)]
    steps = {name: i for i, line in enumerate(lines) for name in ("events", "experiment_reports")
             if re.match(stamp + name + ": ", line)}
    assert len(written) == 3, terminal  # one line per committed arrival date, not one at the end
    assert written[-1] < steps["events"] < steps["experiment_reports"]
    assert b"processed 3 arrival dates" in stdout


def test_not_on_a_terminal_nothing_but_the_summary(tmp_path: Path) -> None:
    settings = three_day_log(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--events", str(settings.events_root), "--registry",
         str(settings.registry), "--warehouse", str(settings.warehouse), "--reports", str(settings.reports_dir)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("processed 3 arrival dates")


def test_dates_registered_before_in_another_order_are_all_read(tmp_path: Path, dagster_home: Path) -> None:
    """The instance already holds 2026-03-03 (from another events root) when a root with 2026-03-02 … 03-04 is
    run: the registered order is then 03-03, 03-02, 03-04, and one partition range from 03-02 to 03-04 would
    skip 03-03. Every date of the root is read, and the results equal those of a run in a fresh instance."""
    import duckdb

    earlier = Log()
    earlier.assign("x", "control", minutes=1440)
    earlier.draft("x", "dx", 1441, 0.9, "aa")
    earlier.trigger("x", "dx", 1441, "control")
    root, registry = earlier.write(tmp_path / "earlier")
    run(Settings(root, registry, tmp_path / "earlier" / "w.duckdb", tmp_path / "earlier" / "reports"))
    settings = three_day_log(tmp_path / "now")
    run(settings)
    with dg.DagsterInstance.get() as inst:
        assert list(inst.get_dynamic_partitions(ARRIVAL_DATES)) == ["2026-03-03", "2026-03-02", "2026-03-04"]
    os.environ.pop("DAGSTER_HOME")
    fresh = three_day_log(tmp_path / "fresh")
    run(fresh)
    query = "SELECT * FROM experiment_results ORDER BY ALL"
    got, want = (duckdb.connect(str(s.warehouse), read_only=True) for s in (settings, fresh))
    rows_got, rows_want = got.execute(query).fetchall(), want.execute(query).fetchall()
    assert rows_want, "the fresh run must have results for the comparison to mean something"
    assert rows_got == rows_want
    assert got.execute("SELECT count(DISTINCT arrival_date) FROM raw_events").fetchone() == (3,)
