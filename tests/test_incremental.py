"""After a nightly load only the drafts with new events are computed again (sql/experiment/attempt_outcomes.sql); the
result must be exactly what a full rebuild from every loaded event gives, and every case where that cannot be
known must fall back to the full rebuild."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import tables
from pipelines.raw import ingest, warehouse
from pipelines.registry import load_registry
from pipelines.simulate import simulate
from tests import asset_steps

COMPARED = ("attempt_outcomes", "triggered_attempts", "delivery_findings", "redeliveries", "user_metrics",
            "arm_statistics")
FINDINGS_MODES: list[str] = []


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    simulate(root / "sim", users=1_500, days=7, seed=13, fmt="parquet")
    return root / "sim"


def _analyse(con: duckdb.DuckDBPyConnection, log: Path) -> str:
    """The steps of the events, registry, assignments, triggered_attempts, user_metrics and arm_statistics assets,
    in their order (the last two from whatever the incremental steps before them left)."""
    FINDINGS_MODES.append(tables.resolve_duplicates(con)[1])
    tables.write_registry(con, load_registry(log / "experiments.yml"))
    tables.rebuild(con, "assignments")
    mode = tables.update_attempt_outcomes(con)
    tables.rebuild(con, "triggered_attempts")
    tables.rebuild(con, "user_metrics")
    tables.rebuild(con, "arm_statistics")
    return mode


def _load(con: duckdb.DuckDBPyConnection, log: Path, dates: list[str]) -> None:
    warehouse.load_arrival_dates(con, log / "events", dates)


def _assert_same_as_full_rebuild(con: duckdb.DuckDBPyConnection, log: Path, tmp_path: Path) -> None:
    full = asset_steps.connect(tmp_path / "full.duckdb")
    _load(full, log, [r[0].isoformat() for r in con.execute(
        "SELECT arrival_date FROM bookkeeping.loaded_partitions ORDER BY 1").fetchall()])
    assert _analyse(full, log) == "full"
    full.close()
    for table in COMPARED:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
    assert asset_steps.differences(con, tmp_path / "full.duckdb", set(COMPARED)) == []


def test_day_by_day_equals_one_full_rebuild(log: Path, tmp_path: Path) -> None:
    con = asset_steps.connect(tmp_path / "nightly.duckdb")
    dates = ingest.arrival_dates(log / "events")
    modes = []
    FINDINGS_MODES.clear()
    for d in dates:
        _load(con, log, [d])
        modes.append(_analyse(con, log))
    assert modes[0] == "full" and set(modes[1:]) == {"incremental"}
    assert "incremental" in FINDINGS_MODES  # the nightly path of delivery_findings was taken
    assert con.execute("SELECT count(*) FROM delivery_findings WHERE reason = 'duplicate_event'").fetchall()[0][0]
    assert _analyse(con, log) == "unchanged"  # nothing new: nothing recomputed
    _assert_same_as_full_rebuild(con, log, tmp_path)


def test_a_date_older_than_processed_ones_and_a_reloaded_date_rebuild_everything(log: Path, tmp_path: Path) -> None:
    con = asset_steps.connect(tmp_path / "nightly.duckdb")
    dates = ingest.arrival_dates(log / "events")
    held_back = dates[len(dates) // 2]
    _load(con, log, [d for d in dates if d != held_back])
    assert _analyse(con, log) == "full"
    _load(con, log, [held_back])  # a gap filled late: its rows may displace kept copies of other drafts' events
    assert _analyse(con, log) == "full"
    _assert_same_as_full_rebuild(con, log, tmp_path)
    # a late batch in an already processed day: that day's rows are replaced
    late = log / "events" / f"dt={dates[-2]}"
    victim = sorted(late.iterdir())[0]
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 1_000_000_000))
    _load(con, log, [dates[-2]])
    assert _analyse(con, log) == "full"
    _assert_same_as_full_rebuild(con, log, tmp_path)


def test_another_registry_rebuilds_everything(log: Path, tmp_path: Path) -> None:
    con = asset_steps.connect(tmp_path / "nightly.duckdb")
    dates = ingest.arrival_dates(log / "events")
    _load(con, log, dates[:-1])
    assert _analyse(con, log) == "full"
    _load(con, log, dates[-1:])
    tables.resolve_duplicates(con)
    con.execute("UPDATE registry_experiments SET band_edge = band_edge + 0.01")  # e.g. an edited experiments.yml
    assert tables.update_attempt_outcomes(con) == "full"


def test_daily_looks_equal_a_direct_count_of_each_day(log: Path, tmp_path: Path) -> None:
    """sql/metrics/daily_arm_statistics.sql sums each user's changes; here every look is counted from scratch."""
    con = asset_steps.connect(tmp_path / "w.duckdb")
    _load(con, log, ingest.arrival_dates(log / "events"))
    _analyse(con, log)
    tables.rebuild(con, "daily_arm_statistics")
    attempts = con.execute(
        "SELECT a.experiment_id, a.variant, a.user_id, CAST(a.triggered_at AS DATE), "
        "a.outcome IN ('withdrawn', 'changed'), x.start_date, x.end_date "
        "FROM triggered_attempts a JOIN registry_experiments x USING (experiment_id) WHERE a.exclusion IS NULL"
    ).fetchall()
    assert attempts
    last_day = max(r[3] for r in attempts)
    start, end = attempts[0][5], attempts[0][6]
    expected = {}
    day = start
    while day <= min(end, last_day):
        per_user: dict[tuple[str, str, str], list[int]] = {}
        for exp, variant, user, when, success, *_ in attempts:
            if when <= day:
                md = per_user.setdefault((exp, variant, user), [0, 0])
                md[0] += int(success)
                md[1] += 1
        for (exp, variant, _), (m, d) in per_user.items():
            s = expected.setdefault((exp, variant, day), [0, 0, 0, 0, 0, 0])
            for i, v in enumerate((1, m, m * m, d, d * d, m * d)):
                s[i] += v
        day = date.fromordinal(day.toordinal() + 1)
    got = {(e, v, d): [n, *map(int, rest)] for e, v, d, _, n, *rest in con.execute(
        "SELECT * FROM daily_arm_statistics").fetchall()}
    assert got == expected


def test_a_warehouse_with_bookkeeping_in_main_moves_it_to_its_own_schema(log: Path, tmp_path: Path) -> None:
    """Before the bookkeeping schema, the pending sets, the attempts state and the loaded partitions' fingerprints
    lived in main beside the tables users read; opening such a warehouse moves their rows over, so the next night
    neither re-reads unchanged partitions nor forgets what was pending."""
    path = tmp_path / "old.duckdb"
    con = asset_steps.connect(path)
    dates = ingest.arrival_dates(log / "events")[:2]
    _load(con, log, dates)
    for name in ("dedup_pending", "attempts_pending", "attempts_state", "loaded_partitions"):  # as it used to be
        con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM bookkeeping.{name}")
        con.execute(f"DROP TABLE bookkeeping.{name}")
    con.execute("DROP SCHEMA bookkeeping")
    before = {name: sorted(con.execute(f"SELECT * FROM main.{name}").fetchall())
              for name in ("dedup_pending", "attempts_pending", "loaded_partitions")}
    con.close()

    con = asset_steps.connect(path)
    main_tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    assert not main_tables & {"dedup_pending", "attempts_pending", "attempts_state", "loaded_partitions"}
    assert {name: sorted(con.execute(f"SELECT * FROM bookkeeping.{name}").fetchall()) for name in before} == before
    assert len(before["loaded_partitions"]) == 2 and before["dedup_pending"]
    # the moved fingerprints still say the two dates are loaded: loading them again reads nothing
    files_before = con.execute("SELECT count(*) FROM ingested_files").fetchall()[0][0]
    _load(con, log, dates)
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall()[0][0] == files_before
    con.close()


def test_a_warehouse_that_marked_kept_copies_in_raw_events_moves_them_to_redeliveries(log: Path,
                                                                                        tmp_path: Path) -> None:
    """Before the table redeliveries, raw_events itself carried the decision (a column first_delivery, updated in
    place by the events step); opening such a warehouse moves the decisions over and drops the column, so events
    and the duplicate findings stay exactly what they were, and the next night goes on incrementally."""
    path = tmp_path / "old.duckdb"
    con = asset_steps.connect(path)
    _load(con, log, ingest.arrival_dates(log / "events")[:3])
    tables.resolve_duplicates(con)
    events_before = sorted(con.execute("SELECT * FROM events").fetchall())
    decided = sorted(con.execute("SELECT * FROM redeliveries").fetchall())
    assert any(not kept for *_, kept in decided), "the log must redeliver some events"
    con.execute("ALTER TABLE raw_events ADD COLUMN first_delivery BOOLEAN")  # as it used to be
    con.execute("UPDATE raw_events SET first_delivery = d.kept FROM redeliveries d "
                "WHERE raw_events.arrival_date = d.arrival_date AND raw_events.source_file = d.source_file "
                "AND raw_events.line_no = d.line_no")
    con.execute("DROP TABLE redeliveries")
    con.execute("CREATE OR REPLACE VIEW events AS SELECT * EXCLUDE (line_no, first_delivery) FROM raw_events "
                "WHERE first_delivery IS NOT false")
    con.close()

    con = asset_steps.connect(path)
    assert ("first_delivery",) not in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'raw_events'").fetchall()
    assert sorted(con.execute("SELECT * FROM redeliveries").fetchall()) == decided
    assert sorted(con.execute("SELECT * FROM events").fetchall()) == events_before
    assert not con.execute("SELECT * FROM bookkeeping.dedup_pending").fetchall()  # nothing to decide again
    con.close()


def test_a_warehouse_that_never_recorded_kept_copies_decides_them_again(log: Path, tmp_path: Path) -> None:
    """Older still: neither the table nor the column; every loaded date is pending as a whole, so the next events
    step decides every row again and gives what a fresh warehouse gives."""
    path = tmp_path / "older.duckdb"
    con = asset_steps.connect(path)
    _load(con, log, ingest.arrival_dates(log / "events")[:3])
    tables.resolve_duplicates(con)
    decided = sorted(con.execute("SELECT * FROM redeliveries").fetchall())
    con.execute("DROP TABLE redeliveries")
    con.close()

    con = asset_steps.connect(path)
    assert sorted(con.execute("SELECT DISTINCT complete FROM bookkeeping.dedup_pending").fetchall()) == [(True,)]
    assert tables.resolve_duplicates(con)[1] == "full"
    assert sorted(con.execute("SELECT * FROM redeliveries").fetchall()) == decided
    con.close()
