"""Issue 14: reproductions of the hostile-input defects that are fixed (each fails without its fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.raw import ingest
from pipelines.registry import RegistryError, load_registry

REGISTRY = """experiments:
  - id: {id}
    start: 2026-01-01
    end: 2026-04-30
    control: control
    variants: {{control: 0.5, prompt: 0.5}}
    trigger_threshold: {threshold}
"""


def test_dt_folder_with_a_trailing_newline_is_not_an_arrival_date(tmp_path: Path) -> None:
    (tmp_path / "dt=2026-01-14").mkdir()
    (tmp_path / "dt=2026-01-14\n").mkdir()
    (tmp_path / "dt=2026-01-15\n").mkdir()
    assert ingest.arrival_dates(tmp_path) == ["2026-01-14"]  # `$` matched before the newline: 3 dates, one twice
    unread = ingest.unread_entries(tmp_path)
    assert len(unread) == 2 and all("not dt=YYYY-MM-DD" in u for u in unread)


def test_registry_that_is_not_utf8_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_bytes(REGISTRY.format(id="exp", threshold=0.8).encode() + b"# caf\xe9\n")
    with pytest.raises(RegistryError, match="not UTF-8"):
        load_registry(path)


def test_registry_rejects_a_key_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(REGISTRY.format(id="exp", threshold="0.8\n    trigger_threshold: 0.1"), encoding="utf-8")
    with pytest.raises(RegistryError, match="trigger_threshold' given twice"):
        load_registry(path)


@pytest.mark.parametrize("exp_id", ["index.html", "INDEX.de.html", "summary.json", "exp."])
def test_registry_rejects_ids_that_cannot_be_a_report_folder(tmp_path: Path, exp_id: str) -> None:
    path = tmp_path / "r.yml"
    path.write_text(REGISTRY.format(id=exp_id, threshold=0.8), encoding="utf-8")
    with pytest.raises(RegistryError, match="report folder"):
        load_registry(path)


def test_registry_still_loads_a_clean_file(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(REGISTRY.format(id="exp", threshold=0.8), encoding="utf-8")
    assert load_registry(path)[0].trigger_threshold == 0.8


def test_a_leap_second_is_read_as_the_last_microsecond_of_its_minute(tmp_path: Path) -> None:
    from tests.test_ingest import good, lines, load

    con = load(tmp_path, {"a.jsonl": lines(good("x", event_ts="2026-03-02T23:59:60Z"),
                                           good("y", event_ts="2026-03-02T23:59:60.5+00:00"))})
    assert con.execute("SELECT count(*) FROM quarantined_events").fetchall() == [(0,)]
    assert {str(r[0]) for r in con.execute("SELECT event_ts FROM raw_events").fetchall()} == {
        "2026-03-02 23:59:59.999999"}
