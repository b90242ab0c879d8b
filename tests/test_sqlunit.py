"""The SQL unit-test helper (tests/sqlunit.py) itself: where it finds files, how it types rows, what it compares."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import sqlunit
from tests.sqlunit import assert_rows, connect, given, run_model, sql_file


def test_sql_file_is_found_by_table_name_in_any_layer_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "assignments.sql").write_text("SELECT 1;\n")
    monkeypatch.setattr(sqlunit, "SQL_ROOT", tmp_path)
    assert sql_file("assignments") == tmp_path / "experiment" / "assignments.sql"
    (tmp_path / "assignments.sql").write_text("SELECT 2;\n")
    with pytest.raises(LookupError, match="expected one"):
        sql_file("assignments")
    with pytest.raises(LookupError, match="expected one"):
        sql_file("no_such_table")


def test_the_repositorys_files_are_found_wherever_they_live() -> None:
    path = sql_file("triggered_attempts")
    assert path.is_file() and path.is_relative_to(sqlunit.SQL_ROOT)


def test_given_rows_take_the_warehouse_types_and_leave_out_columns_null() -> None:
    con = connect()
    given(con, "assignments", [{"experiment_id": "e", "user_id": "u1", "assigned_at": "2026-03-02T12:00:00Z",
                                "contaminated": True}])
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'assignments'").fetchall())
    assert types["assigned_at"] == "TIMESTAMP" and types["contaminated"] == "BOOLEAN"
    assert con.execute("SELECT CAST(assigned_at AS VARCHAR), variant FROM assignments").fetchall() == [
        ("2026-03-02 12:00:00", None)]


def test_a_column_or_table_the_warehouse_does_not_have_is_an_error() -> None:
    con = connect()
    with pytest.raises(KeyError, match="no column"):
        given(con, "assignments", [{"user_id": "u1", "arm": "control"}])
    with pytest.raises(KeyError, match="not a table of the warehouse"):
        given(con, "no_such_table", [])
    given(con, "scratch", [{"a": 1}], {"a": "INTEGER"})  # a table of its own, typed by the test
    assert_rows(con, "scratch", [{"a": 1}])


def test_a_table_the_file_reads_but_the_test_does_not_give_is_an_error() -> None:
    with pytest.raises(Exception, match="attempt_outcomes"):
        run_model("triggered_attempts", {"assignments": [], "registry_experiments": []})


def test_assert_rows_compares_the_named_columns_in_any_order() -> None:
    con = connect()
    given(con, "registry_variants", [{"experiment_id": "e", "variant": "b", "planned_share": 0.5},
                                     {"experiment_id": "e", "variant": "a", "planned_share": 0.5}])
    assert_rows(con, "registry_variants", [{"variant": "a"}, {"variant": "b"}])
    assert_rows(con, "SELECT variant, planned_share FROM registry_variants WHERE variant = 'a'",
                [{"variant": "a", "planned_share": "0.5"}])  # cast to the column's type before comparing
    with pytest.raises(AssertionError, match="expected"):
        assert_rows(con, "registry_variants", [{"variant": "a"}])  # a row too many
    with pytest.raises(AssertionError, match="expected"):
        assert_rows(con, "registry_variants", [{"variant": "a"}, {"variant": "c"}])
    with pytest.raises(AssertionError, match="expected no rows"):
        assert_rows(con, "registry_variants", [])


def test_every_read_file_is_one_select() -> None:
    """sql/<layer>/read/*.sql hold the small reads behind metadata, checks and decisions: one SELECT each, so
    running one never changes the warehouse."""
    import duckdb

    con = connect()
    reads = sorted(sqlunit.SQL_ROOT.rglob("read/*.sql"))
    assert len(reads) >= 10
    for path in reads:
        statements = con.extract_statements(path.read_text(encoding="utf-8"))
        assert [s.type for s in statements] == [duckdb.StatementType.SELECT], path
