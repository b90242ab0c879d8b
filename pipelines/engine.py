"""Where SQL runs: the files of ``sql/``, run on an open DuckDB connection.

A file is found by its name anywhere under ``sql/`` (``sql/**/<name>.sql``, one of each name), so the layer
folders can be reorganised without touching the callers. Values from outside (paths, dates, registry entries)
always travel as bound ``$parameters`` or as rows of a registered table, never pasted into SQL text; the only
text substituted into a file (``{placeholders}``) is generated from the code's own constants (the contract and
the metric catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def analysis_files() -> list[Path]:
    """The files of the analysis, which every engine runs (``sql/<layer>/``): not ``sql/duckdb/``, which sets
    and inspects the DuckDB engine itself (another engine has settings of its own)."""
    return sorted(p for p in SQL_DIR.rglob("*.sql") if p.relative_to(SQL_DIR).parts[0] != "duckdb")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything in the block is committed together, or rolled back if it raises."""
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        con.rollback()
        raise


@cache
def sql_path(name: str) -> Path:
    """``sql/**/<name>.sql``: the one file of that name under ``sql/``."""
    found = sorted(SQL_DIR.rglob(f"{name}.sql"))
    if len(found) != 1:
        raise LookupError(f"expected one sql/**/{name}.sql, found {[str(p) for p in found]}")
    return found[0]


def sql_text(name: str, **substitutions: str) -> str:
    """The text of ``sql/**/<name>.sql`` with the code-generated ``{placeholders}`` filled in."""
    text = sql_path(name).read_text(encoding="utf-8")
    return text.format(**substitutions) if substitutions else text


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None,
            **substitutions: str) -> None:
    """Run every statement of ``sql/**/<name>.sql``, binding only the parameters each statement uses."""
    for statement in con.extract_statements(sql_text(name, **substitutions)):
        query = statement.query
        code = re.sub(r"--[^\n]*", "", query)  # a $name in a comment is not a parameter of the statement
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", code)}
        con.execute(query, used) if used else con.execute(query)


def read(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
         ) -> list[dict[str, Any]]:
    """The rows of ``sql/**/<name>.sql``, a file of one (small) ``SELECT``, as dictionaries."""
    return fetch_dicts(con, sql_text(name), params)


def read_tuples(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
                ) -> list[tuple[Any, ...]]:
    """The rows of ``sql/**/<name>.sql``, a file of one (small) ``SELECT``, as tuples."""
    text = sql_text(name)
    used = {k: v for k, v in (params or {}).items() if f"${k}" in text}
    return con.execute(text, used).fetchall()


def fetch_dicts(con: duckdb.DuckDBPyConnection, query: str, params: Mapping[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """Rows of a (small) query as dictionaries."""
    cur = con.execute(query, params or {})
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def fetch_table(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """Every row of the (small) table ``name``, a code constant, as dictionaries."""
    return fetch_dicts(con, f"SELECT * FROM {name}")


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """The number of rows of table or view ``name``, a code constant."""
    return int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = $n",
                            {"n": name}).fetchall()[0][0])


def replace_table(con: duckdb.DuckDBPyConnection, name: str, columns: Mapping[str, str],
                  rows: Sequence[Mapping[str, Any]]) -> int:
    """Replace table ``name`` (a code constant) with ``rows``, typed by ``columns`` {name: SQL type}.

    NaN becomes NULL: an undefined statistic is missing, not a number.
    """

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and v != v else v

    data = {c: [clean(r.get(c)) for r in rows] for c in columns}
    table = pa.table({c: pa.array(v) if rows else pa.array([], pa.null()) for c, v in data.items()})
    select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns.items())
    con.register("incoming_rows", table)
    try:
        with transaction(con):
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM incoming_rows")
    finally:
        con.unregister("incoming_rows")
    return len(rows)
