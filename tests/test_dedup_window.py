"""De-duplication looks only where a copy can be (docs/definitions.md §2): an identical copy arrives at most two days
after another (a later one has an implausible timestamp), so a row is a copy of an earlier row of its event id
that arrived at most two days before it, and a nightly load compares its new ids with the arrival dates around
it alone — giving the same tables as deciding every row at once, in whatever order the dates arrive."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines import tables
from pipelines.raw import warehouse
from tests.logbuilder import Log, ts

DAYS = [(date(2026, 3, 1) + timedelta(days=i)).isoformat() for i in range(12)]
COMPARED = ("SELECT arrival_date, source_file, line_no, d.kept FROM raw_events "
            "LEFT JOIN redeliveries d USING (arrival_date, source_file, line_no)",
            "SELECT * FROM delivery_findings")


def _copy(log: Log, event: dict[str, Any], arrival: str, **changes: Any) -> None:
    log.events.append((arrival, {**event, **changes}))


def window_log() -> Log:
    log = Log()
    for i, day in enumerate(DAYS):  # six other events on every arrival date (a night's rows are a small share)
        for user in range(6):
            log.add("draft_discarded", f"bg{user}", (i - 1) * 1440.0, arrival=day, draft_id=f"bg-{day}-{user}")
    same = log.assign("u1", "control", 0)  # event date 03-02, arrives 03-02
    _copy(log, same, "2026-03-03")
    _copy(log, same, "2026-03-04")  # identical copies one and two days later
    _copy(log, same, "2026-03-02")  # and the same day
    far = log.assign("u2", "control", 1)
    _copy(log, far, "2026-03-05", event_ts=ts(3 * 1440 + 1))  # the id again, three days later: another event
    chain = log.assign("u3", "control", 2)
    _copy(log, chain, "2026-03-04", event_ts=ts(2 * 1440 + 2), variant="prompt_empathy")
    _copy(log, chain, "2026-03-06", event_ts=ts(4 * 1440 + 2), variant="prompt_empathy")
    conflict = log.assign("u4", "control", 3, arrival="2026-03-08", event_ts=ts(6 * 1440 + 3))
    _copy(log, conflict, "2026-03-08", country="AT")
    _copy(log, conflict, "2026-03-09")
    return log


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> list[list[tuple]]:
    return [sorted(con.execute(q).fetchall(), key=repr) for q in COMPARED]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("window")
    window_log().write(root)
    return root / "events"


@pytest.fixture(scope="module")
def full(root: Path, tmp_path_factory: pytest.TempPathFactory) -> list[list[tuple]]:
    con = _connect(tmp_path_factory.mktemp("full") / "w.duckdb")
    warehouse.load_arrival_dates(con, root, DAYS)
    assert tables.resolve_duplicates(con)[1] == "full"
    result = _tables(con)
    con.close()
    return result


def _kept(rows: list[tuple], day: str) -> list[Any]:
    """Whether each row of the reused ids (line 7 on) of one arrival date, in line order, is the kept delivery
    (None: an only copy)."""
    return [r[3] for r in sorted(rows, key=lambda r: r[2]) if r[0].isoformat() == day and r[2] > 6]


def test_an_identical_copy_landing_later_than_the_window_is_an_implausible_timestamp(tmp_path: Path) -> None:
    log = Log()
    event = log.assign("u1", "control", 0)
    _copy(log, event, "2026-03-05")
    con = _connect(tmp_path / "w.duckdb")
    warehouse.load_arrival_dates(con, log.write(tmp_path)[0], ["2026-03-02", "2026-03-05"])
    assert con.execute("SELECT arrival_date::VARCHAR, reason FROM quarantined_events").fetchall() == [
        ("2026-03-05", "implausible_timestamp")]
    assert con.execute("SELECT arrival_date::VARCHAR FROM raw_events").fetchall() == [("2026-03-02",)]


def test_copies_are_looked_for_within_two_days(full: list[list[tuple]]) -> None:
    raw, findings = full
    assert _kept(raw, "2026-03-02") == [True, False, None, True]  # same (kept), same (a copy), far, chain
    assert _kept(raw, "2026-03-03") == [False] and _kept(raw, "2026-03-04") == [False, False]
    assert _kept(raw, "2026-03-05") == [None]  # three days after its id's only delivery: an event of its own
    assert _kept(raw, "2026-03-06") == [False]  # two days after the chain's last delivery: a copy
    counts = {(d.isoformat(), reason): n for d, reason, n in findings}
    assert counts == {
        ("2026-03-02", "duplicate_event"): 1, ("2026-03-03", "duplicate_event"): 1,
        ("2026-03-04", "duplicate_event"): 2, ("2026-03-04", "conflicting_duplicate"): 1,
        ("2026-03-06", "duplicate_event"): 1, ("2026-03-06", "conflicting_duplicate"): 1,
        ("2026-03-08", "duplicate_event"): 1, ("2026-03-08", "conflicting_duplicate"): 1,
        ("2026-03-09", "duplicate_event"): 1,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_of_nights_gives_the_full_decision_reading_only_the_window(
        root: Path, full: list[list[tuple]], tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    order = rng.sample(DAYS, len(DAYS))
    con = _connect(tmp_path / "w.duckdb")
    warehouse.load_arrival_dates(con, root, order[:4])
    tables.resolve_duplicates(con)
    nights = [order[4:5], *([d] for d in order[5:]), [rng.choice(order[:5])]]  # the last: a date re-delivered
    for night in nights:
        warehouse.load_arrival_dates(con, root, night)
        modes = tables.resolve_duplicates(con)[1]
        if night is not nights[-1]:
            assert modes == "incremental"
            day = date.fromisoformat(night[0])
            read = {r[0] for r in con.execute("SELECT arrival_date FROM dedup_dates").fetchall()}
            assert read == {day + timedelta(days=k) for k in range(-4, 5)}
    assert _tables(con) == full
