"""pipelines.engine: how a sql/ file's statements get their parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines import engine


@pytest.fixture
def sql_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(engine, "SQL_DIR", tmp_path)
    engine.sql_path.cache_clear()
    yield tmp_path
    engine.sql_path.cache_clear()


def test_each_statement_binds_only_the_parameters_its_code_uses(sql_dir: Path) -> None:
    # the comment names $later (a parameter of the second statement only) and $days_kept is a different
    # name that starts like $days: binding either to the first statement made DuckDB reject it
    (sql_dir / "two.sql").write_text(
        "-- the rows of $later come second\n"
        "CREATE TABLE t AS SELECT unnest(CAST($days AS INTEGER[])) AS d;\n"
        "INSERT INTO t SELECT $later + $days_kept;\n", encoding="utf-8")
    con = duckdb.connect()
    engine.run_sql(con, "two", {"days": [1, 2], "later": 10, "days_kept": 5})
    assert sorted(r[0] for r in con.execute("SELECT d FROM t").fetchall()) == [1, 2, 15]
