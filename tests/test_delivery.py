"""At-least-once, late delivery and re-runs: every event counts once, a second run changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import CliError, run
from pipelines.registry import RegistryError, load_registry
from pipelines.resources import Settings
from tests.conftest import run_log
from tests.logbuilder import REGISTRY, Log

TABLES = ("events", "assignments", "triggered_attempts", "user_metrics", "arm_statistics", "experiment_results",
          "sample_ratio_checks", "data_quality", "quarantined_events")


def small_log() -> Log:
    log = Log()
    log.assign("u1", "prompt_empathy")
    log.assign("u2", "control")
    for i, (user, arm) in enumerate([("u1", "prompt_empathy"), ("u2", "control")] * 3):
        draft = f"d{i}"
        log.draft(user, draft, 10 * i, 0.9, f"a{i}")
        log.trigger(user, draft, 10 * i, arm)
        if i % 2:
            log.post(user, draft, 10 * i + 1, 0.2, f"b{i}", f"c{i}")
    return log


def snapshot(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        con.close()


def test_redelivery_two_days_later_counts_once(tmp_path: Path) -> None:
    log = small_log()
    first = log.events[2][1]
    log.events.append(("2026-03-04", dict(first)))  # same event_id, identical content, two days later
    log.events.append(("2026-03-02", dict(first)))  # and again the same day
    con = run_log(log, tmp_path)
    assert con.execute("SELECT count(*) FROM events WHERE event_id = $e", {"e": first["event_id"]}).fetchall() == [(1,)]
    dq = dict(con.execute("SELECT arrival_date::VARCHAR || ' ' || reason, count FROM data_quality").fetchall())
    assert dq["2026-03-04 duplicate_event"] == 1
    assert dq["2026-03-02 duplicate_event"] == 1


def test_late_event_is_attributed_to_its_event_time_and_counted(tmp_path: Path) -> None:
    log = small_log()
    day, post = next((d, e) for d, e in log.events if e["event_type"] == "comment_posted")
    log.events.remove((day, post))
    log.events.append(("2026-03-04", post))
    con = run_log(log, tmp_path)
    assert con.execute("SELECT count(*) FROM triggered_attempts WHERE outcome = 'changed'").fetchall() == [(3,)]
    assert con.execute("SELECT count FROM data_quality WHERE reason = 'late_event'").fetchall() == [(1,)]


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    log = small_log()
    log.events.append(("2026-03-03", dict(log.events[3][1])))
    run_log(log, tmp_path)
    before = snapshot(tmp_path / "w.duckdb")
    run(Settings(tmp_path / "events", tmp_path / "experiments.yml", tmp_path / "w.duckdb", tmp_path / "reports"))
    assert snapshot(tmp_path / "w.duckdb") == before


def test_new_file_in_processed_day_is_picked_up_without_double_counting(tmp_path: Path) -> None:
    log = small_log()
    con = run_log(log, tmp_path)
    n_before = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    con.close()
    late = Log()
    late.ids = iter(range(1000, 2000))  # type: ignore[assignment]
    late.assign("u3", "control")
    extra = [e for _, e in late.events] + [e for _, e in log.events[:3]]  # a new user plus three re-deliveries
    (tmp_path / "events" / "dt=2026-03-02" / "part-late.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in extra))
    run(Settings(tmp_path / "events", tmp_path / "experiments.yml", tmp_path / "w.duckdb", tmp_path / "reports"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == n_before + 1
    assert con.execute("SELECT count(*) FROM assignments").fetchall()[0][0] == 3


def test_hostile_experiment_id_is_rejected_with_a_clear_error(tmp_path: Path) -> None:
    registry = json.loads(json.dumps(REGISTRY))
    registry["experiments"][0]["id"] = "x'; DROP TABLE events; --"
    log = small_log()
    events_root, path = log.write(tmp_path, registry=registry)
    with pytest.raises(CliError, match="not a valid identifier"):
        run(Settings(events_root, path, tmp_path / "w.duckdb", tmp_path / "r"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"control": "nobody"}, "control arm 'nobody' is not one of the variants"),
        ({"variants": {"control": 0.5, "a": 0.4}}, "sum to 0.9"),
        ({"colour": "blue"}, "unknown key"),
        ({"trigger_threshold": None}, "missing required key"),
        ({"end": "2026-01-01"}, "before start"),
        ({"start": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))}, "give the date alone"),
    ],
)
def test_malformed_registry_fails_fast_naming_the_fix(tmp_path: Path, change: dict, message: str) -> None:
    import yaml

    registry = json.loads(json.dumps(REGISTRY))
    registry["experiments"][0].update(change)
    path = tmp_path / "experiments.yml"
    path.write_text(yaml.safe_dump(registry))
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_missing_events_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="events folder not found"):
        run(Settings(tmp_path / "nope", tmp_path / "r.yml", tmp_path / "w.duckdb", tmp_path / "r"))


def test_a_misnamed_day_folder_is_skipped_with_a_warning_and_the_rest_is_processed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = small_log()
    events_root, path = log.write(tmp_path)
    (events_root / "dt=2026-02-30").mkdir()
    (events_root / "dt=2026-02-30" / "part-0.jsonl").write_text("{}\n")
    summary = run(Settings(events_root, path, tmp_path / "w.duckdb", tmp_path / "r"))
    assert "dt=2026-02-30" not in " ".join(summary.arrival_dates)
    assert summary.arrival_dates
    assert "not read:" in capsys.readouterr().err
