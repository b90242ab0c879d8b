"""The shape of the code: no import cycles among our modules, no module over 400 lines, at most ten SQL
statements in Python strings (issue 17).

The tests read the source with :mod:`ast`; nothing is imported, so they take a fraction of a second.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "assets")
MAX_LINES = 400

# Modules allowed over MAX_LINES (none today). Add one only with the reason beside it; the test fails on an
# entry that no longer applies.
OVERSIZED_ALLOWED: set[str] = set()


def module_files() -> Iterator[tuple[str, Path]]:
    """``(dotted module name, path)`` of every module of our packages."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``module`` imports anywhere in its body (top level, functions, ``TYPE_CHECKING``).

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, otherwise ``a.b``; relative
    imports are resolved against the module's package. Only the named module is an edge: importing a submodule
    also runs its parent package's ``__init__``, but that is not what a cycle between two modules means.
    """
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {m for m in found if m in known and m != module}


def import_graph() -> dict[str, set[str]]:
    files = dict(module_files())
    known = set(files)
    return {module: imported_modules(module, path, known) for module, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_graph_walker_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "pipelines.cli" in graph and "assets.raw" in graph
    # a function-local `from pipelines.raw import ingest` (cli.run) and a relative import (simulate)
    assert {"pipelines.raw.ingest", "pipelines.progress"} <= graph["pipelines.cli"]
    assert "pipelines.simulate.core" in graph["pipelines.simulate"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycles_among_pipelines_and_assets() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_over_400_lines() -> None:
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for _, path in module_files()}
    oversized = {name for name, lines in sizes.items() if lines > MAX_LINES}
    assert oversized - OVERSIZED_ALLOWED == set(), {n: sizes[n] for n in oversized - OVERSIZED_ALLOWED}
    stale = {name for name in OVERSIZED_ALLOWED if sizes.get(name, 0) <= MAX_LINES}
    assert not stale, f"no longer over {MAX_LINES} lines (or gone): remove from OVERSIZED_ALLOWED: {stale}"


def test_sql_files_live_in_their_layer_under_names_of_their_own() -> None:
    """sql/<layer>/[read/]<name>.sql (reports has reads only): the folders read as the data flow, and a file
    is found by its name alone (pipelines.engine.sql_path, tests/sqlunit.py). Beside the layers, sql/duckdb/
    holds the statements that set or inspect the DuckDB engine itself."""
    files = sorted((ROOT / "sql").rglob("*.sql"))
    names = [path.stem for path in files]
    assert len(files) > 20 and len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    layers = {path.relative_to(ROOT / "sql").parts[0] for path in files}
    assert layers == {"raw", "experiment", "metrics", "results", "reports", "duckdb"}, layers


#: What starts an SQL statement (after leading whitespace or an opening parenthesis).
SQL_START = ("SELECT", "INSERT", "CREATE", "DELETE", "UPDATE", "DROP", "ALTER", "WITH", "SET", "DESCRIBE",
             "COPY", "ATTACH", "DETACH", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "EXPORT", "INSTALL",
             "LOAD", "MERGE", "TRUNCATE", "VACUUM", "USE", "CALL", "RESET")
MAX_SQL_IN_PYTHON = 10
#: The translator names SQL constructs in its findings ("UPDATE … FROM", "CREATE MACRO"); it runs no SQL.
NOT_SQL = {"pipelines.spark.translate"}


def sql_in_python() -> list[str]:
    """``module:line: text`` of every string literal (f-strings included) that is an SQL statement."""
    found = []
    for module, path in module_files():
        if module in NOT_SQL:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if id(node) in parts:  # a piece of an f-string: the f-string is counted as a whole
                continue
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            words = text.lstrip(" \n(").split(maxsplit=1)
            if words and words[0].upper() in SQL_START and words[0].isupper() and len(words) > 1:
                found.append(f"{module}:{node.lineno}: {' '.join(text.split())[:80]}")
    return sorted(found)


def test_at_most_ten_sql_statements_remain_in_python_strings() -> None:
    """Every statement that shapes data is a file of sql/ (pipelines/engine.py runs them); what stays in Python
    is a handful of one-line generic reads and the expressions generated from the contract."""
    found = sql_in_python()
    assert len(found) <= MAX_SQL_IN_PYTHON, "\n".join(found)
