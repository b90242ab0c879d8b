"""SQL unit tests in the dbt style: given rows for each input table → one SQL file → the expected rows.

    con = run_model("triggered_attempts", {
        "attempt_outcomes": [{"experiment_id": "exp1", "user_id": "u1", "draft_id": "d1", ...}],
        "registry_experiments": [...],
        "assignments": [],
    })
    assert_rows(con, "triggered_attempts", [{"draft_id": "d1", "exclusion": "trigger_without_assignment"}])

Every input table is created empty in an in-memory DuckDB with the column types it has in the warehouse (the
*reference schema*: the warehouse's own DDL and SQL files run on empty inputs, see :func:`reference_schema`),
then filled with the given rows; a column a row leaves out is NULL, a column the warehouse does not have is an
error. The file is found by its table name anywhere under ``sql/`` (``sql/**/<name>.sql``), so it may live in
a layer's sub-folder. Only the columns named in the expected rows are compared, in any order.

A whole graph run on a hand-written log takes about a second; one file on a few rows takes milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_ROOT = Path(__file__).resolve().parents[1] / "sql"

Rows = Sequence[Mapping[str, Any]]

#: Derived tables whose types the reference schema takes from their own SQL file, run on empty inputs, in the
#: order the graph builds them.
REFERENCE_MODELS = ("assignments", "attempt_outcomes", "triggered_attempts")

_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def sql_file(name: str) -> Path:
    """``sql/**/<name>.sql``: exactly one file of that name anywhere under ``sql/``."""
    found = sorted(SQL_ROOT.rglob(f"{name}.sql"))
    if len(found) != 1:
        raise LookupError(f"expected one sql/**/{name}.sql, found {[str(p) for p in found]}")
    return found[0]


def sql_text(name: str, substitutions: Mapping[str, str] | None = None) -> str:
    """The file's text with its code-generated ``{placeholders}`` filled in, as the warehouse fills them."""
    from pipelines.tables import SUBSTITUTIONS

    text = sql_file(name).read_text(encoding="utf-8")
    wanted = set(_PLACEHOLDER.findall(text))
    if not wanted:
        return text
    values = {**SUBSTITUTIONS.get(name, {}), **(substitutions or {})}
    missing = wanted - set(values)
    if missing:
        raise KeyError(f"sql/**/{name}.sql needs substitutions for {sorted(missing)}")
    return text.format(**{k: values[k] for k in wanted})


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None,
            substitutions: Mapping[str, str] | None = None) -> None:
    """Run every statement of the file, binding only the parameters each statement uses: the contract's constants
    the warehouse passes (``pipelines.tables.PARAMETERS``, e.g. the 60-minute window), then ``params``."""
    from pipelines.tables import PARAMETERS

    values = {**PARAMETERS.get(name, {}), **(params or {})}
    for statement in con.extract_statements(sql_text(name, substitutions)):
        query = statement.query
        used = {k: v for k, v in values.items() if f"${k}" in query}
        con.execute(query, used) if used else con.execute(query)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB set up as the warehouse's connection is (UTC: dates of timestamps are UTC dates)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


@cache
def reference_schema() -> dict[str, tuple[tuple[str, str], ...]]:
    """``{table: ((column, type), ...)}`` of the warehouse (``bookkeeping.<name>`` for that schema): its DDL, the
    registry tables, the ``events`` view (sql/raw/events.sql on no rows) and the derived tables of
    :data:`REFERENCE_MODELS` on no rows."""
    from pipelines.raw.warehouse import ensure_schema
    from pipelines.tables import write_registry

    con = connect()
    try:
        ensure_schema(con)
        write_registry(con, [])
        run_sql(con, "events")  # a view of raw_events and redeliveries, both created by ensure_schema
        for name in REFERENCE_MODELS:
            run_sql(con, name)
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in con.execute(
                "SELECT CASE table_schema WHEN 'main' THEN '' ELSE table_schema || '.' END || table_name, "
                "column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema IN ('main', 'bookkeeping') "
                "ORDER BY table_schema, table_name, ordinal_position").fetchall():
            columns.setdefault(table, []).append((column, data_type))
    finally:
        con.close()
    return {table: tuple(cols) for table, cols in columns.items()}


def given(con: duckdb.DuckDBPyConnection, table: str, rows: Rows,
          types: Mapping[str, str] | None = None) -> None:
    """Create ``table`` with its warehouse columns (or ``types``, for a table the warehouse does not know) and
    insert ``rows``; values are cast to the column types (an ISO string becomes a timestamp)."""
    schema = dict(types) if types is not None else dict(reference_schema().get(table, ()))
    if not schema:
        raise KeyError(f"{table} is not a table of the warehouse: give its column types")
    for row in rows:
        unknown = set(row) - set(schema)
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    if "." in table:  # a table of another schema (bookkeeping.…)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in schema.items())})")
    if rows:
        names = list(schema)
        casts = ", ".join(f"CAST(? AS {schema[c]})" for c in names)
        con.executemany(f"INSERT INTO {table} SELECT {casts}", [[row.get(c) for c in names] for row in rows])


def run_model(name: str, inputs: Mapping[str, Rows], *, params: Mapping[str, Any] | None = None,
              substitutions: Mapping[str, str] | None = None,
              types: Mapping[str, Mapping[str, str]] | None = None) -> duckdb.DuckDBPyConnection:
    """Given ``inputs`` (table → rows), run ``sql/**/<name>.sql`` on a fresh in-memory DuckDB; return it.

    Every table the file reads must be among ``inputs`` (an empty list for an empty table): a table left out is
    DuckDB's "table does not exist" error, not a silent empty input.
    """
    con = connect()
    for table, rows in inputs.items():
        given(con, table, rows, (types or {}).get(table))
    run_sql(con, name, params, substitutions)
    return con


def _as_query(query: str) -> str:
    return query if query.lstrip().upper().startswith(("SELECT", "WITH", "FROM")) else f"SELECT * FROM {query}"


def select_rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    """The rows of a table name or a ``SELECT``, as dicts."""
    cursor = con.execute(_as_query(query))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _typed(con: duckdb.DuckDBPyConnection, query: str, rows: Rows, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """``rows`` cast to the types ``query``'s columns have (so "2026-03-01" compares equal to a DATE)."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {_as_query(query)})").fetchall())
    missing = [c for c in columns if c not in types]
    assert not missing, f"{query} has no column(s) {missing}"
    casts = ", ".join(f"CAST(? AS {types[c]})" for c in columns)
    return [con.execute(f"SELECT {casts}", [row[c] for c in columns]).fetchall()[0] for row in rows]


def assert_rows(con: duckdb.DuckDBPyConnection, query: str, expected: Rows) -> None:
    """The rows of ``query`` (a table name or a ``SELECT``) are exactly ``expected``, in any order, compared on
    the columns the expected rows name (every expected row names the same columns), with the expected values
    cast to the columns' types."""
    actual = select_rows(con, query)
    if not expected:
        assert actual == [], f"expected no rows from {query}, got {actual}"
        return
    columns = list(expected[0])
    assert all(list(row) == columns for row in expected), "every expected row must name the same columns"
    want = sorted(map(repr, _typed(con, query, expected, columns)))
    got = sorted(repr(tuple(row[c] for c in columns)) for row in actual)
    assert got == want, f"{query} ({', '.join(columns)}):\n  expected {want}\n  got      {got}"
