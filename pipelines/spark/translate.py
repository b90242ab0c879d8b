"""The ``sql/`` files (DuckDB dialect, the one source of the rules) translated into Spark SQL by SQLGlot.

SQLGlot translates what it knows and passes the rest through unchanged, without a word: a DuckDB-only function
comes out as the same name (``timezone(…)``, ``read_ndjson(…)``), ``AS MATERIALIZED``, ``INSERT OR REPLACE`` and
temp macros come out as they went in, and a name both engines know may mean something else (``hash`` is 64-bit
in DuckDB, 32-bit in Spark). So a translation is returned with its *findings*: every construct of the Spark
text that is not known to mean in Spark what it means in DuckDB. A file with findings must not run on Spark;
tests/test_spark_translate.py keeps the list of such files exact.

What this module changes on the way, each because the meaning stays the same:

- ``AS [NOT] MATERIALIZED`` on a CTE is dropped: a hint to DuckDB's planner, not part of the result.
- ``hash(x)`` becomes ``xxhash64(x)``: the files use a hash only to narrow a search within one run, compared
  with hashes of the same engine (sql/raw/events.sql), so a 64-bit hash of the other family keeps the rule;
  Spark's own ``hash`` (32-bit murmur3) would collide 2³² times as often.
- ``CREATE TEMP TABLE`` becomes a plain table (SQLGlot makes it a ``TEMPORARY VIEW``, which is re-evaluated at
  each use: wrong once the tables it reads are changed by a later statement of the file). The names are
  returned, so the engine drops them afterwards.
- ``epoch_us(ts)`` becomes ``unix_micros(ts)``, the same microseconds since 1970-01-01 UTC.
- ``$name`` parameters become Spark's named parameter markers ``:name`` (``spark.sql(text, args=…)``).

The Spark session must run with :data:`SPARK_CONF`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from pipelines.engine import sql_text

#: How the Spark session must be configured for the translated files to mean what the DuckDB files mean.
SPARK_CONF: dict[str, str] = {
    # DuckDB runs with TimeZone UTC (pipelines/raw/warehouse.py configure): dates of timestamps are UTC dates
    "spark.sql.session.timeZone": "UTC",
    # an overflow or a bad cast raises, as in DuckDB, instead of turning into NULL
    "spark.sql.ansi.enabled": "true",
    # DECIMAL(38, 6) × DECIMAL(18, 6) is DECIMAL(38, 12) in DuckDB, exact; Spark by default cuts the scale to 6
    # (sql/metrics/arm_statistics.sql's sums of squares would round). Without precision loss Spark keeps the 12
    # digits and, ANSI, raises where DuckDB raises too (beyond 10^26).
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
}

#: Functions SQLGlot does not know (it passes them through by name) that Spark has with DuckDB's meaning.
SHARED_FUNCTIONS = frozenset({
    "XXHASH64",  # what hash() is translated into (see above)
    "UNIX_MICROS",  # what epoch_us() is translated into: microseconds since 1970-01-01 UTC in both
})
#: DuckDB functions translated by name (:func:`_shared_form`).
_RENAMED = frozenset({"HASH", "EPOCH_US"})


@dataclass(frozen=True)
class Finding:
    """A construct of a translated statement that Spark would not run, or would run with another meaning."""

    statement: int  #: 0-based position of the statement in the file
    construct: str  #: what it is, e.g. "function timezone", "UPDATE … FROM"
    text: str  #: the construct as it stands in the DuckDB text (first 120 characters)


@dataclass(frozen=True)
class Translation:
    """One file in Spark SQL: its statements in order, the temp tables it creates, and what does not translate."""

    statements: list[str]
    temp_tables: list[str]
    findings: list[Finding]


def translate(name: str, **substitutions: str) -> Translation:
    """``sql/**/<name>.sql`` with its ``{placeholders}`` filled in, translated into Spark SQL."""
    return translate_text(sql_text(name, **substitutions))


def translate_text(text: str) -> Translation:
    """DuckDB SQL text (one or more statements) translated into Spark SQL."""
    statements: list[str] = []
    temp_tables: list[str] = []
    findings: list[Finding] = []
    for i, tree in enumerate(t for t in sqlglot.parse(text, read="duckdb") if t is not None):
        findings += [Finding(i, construct, node.sql("duckdb")[:120]) for construct, node in _untranslatable(tree)]
        tree = tree.transform(_shared_form)
        if isinstance(tree, exp.Create) and tree.args.get("properties") and _is_temporary(tree):
            temp_tables.append(tree.this.name)
            tree = _plain_table(tree)
        statements.append(tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE))
    return Translation(statements, temp_tables, findings)


def _shared_form(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node = node.copy()
        node.set("materialized", None)
        return node
    if isinstance(node, exp.Anonymous) and node.name.upper() == "HASH" and len(node.expressions) == 1:
        return exp.Anonymous(this="xxhash64", expressions=[e.copy() for e in node.expressions])
    if isinstance(node, exp.Anonymous) and node.name.upper() == "EPOCH_US" and len(node.expressions) == 1:
        return exp.Anonymous(this="unix_micros", expressions=[e.copy() for e in node.expressions])
    return node


def _is_temporary(create: exp.Create) -> bool:
    props = create.args.get("properties")
    return create.kind == "TABLE" and props is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in props.expressions)


def _plain_table(create: exp.Create) -> exp.Create:
    create = create.copy()
    props = create.args["properties"]
    props.set("expressions", [p for p in props.expressions if not isinstance(p, exp.TemporaryProperty)])
    if not props.expressions:
        create.set("properties", None)
    return create


def _untranslatable(tree: exp.Expr) -> list[tuple[str, exp.Expr]]:
    """Every construct of the DuckDB statement ``tree`` without a faithful Spark translation."""
    found: list[tuple[str, exp.Expr]] = []
    for node in tree.walk():
        construct = _construct(node)
        if construct:
            found.append((construct, node))
    return found


def _construct(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Command):
        return "statement SQLGlot does not parse"
    if isinstance(node, exp.Anonymous):
        fname = node.name.upper()
        return None if fname in SHARED_FUNCTIONS or fname in _RENAMED else f"function {node.name.lower()}"
    if isinstance(node, exp.Create) and node.kind not in {"TABLE", "VIEW", "SCHEMA", None}:
        return f"CREATE {node.kind}"  # temp macros, sequences, types: DuckDB objects
    if isinstance(node, exp.Insert) and node.args.get("alternative"):
        return f"INSERT OR {node.args['alternative']}"
    if isinstance(node, exp.Update) and node.args.get("from_"):
        return "UPDATE … FROM"  # Spark has no UPDATE … FROM (MERGE INTO on Delta tables does the job)
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        return "epoch of an interval"  # SQLGlot makes it unix_timestamp(a - b): not an interval's seconds
    if isinstance(node, exp.RegexpReplace) and node.args.get("single_replace") and not node.args.get("modifiers"):
        return "regexp_replace of the first match"  # Spark replaces every match: write the 'g' flag or anchor it
    if isinstance(node, exp.Div) and not isinstance(node.expression, (exp.Literal, exp.Nullif)):
        return "division by a value that may be 0"  # NULL in DuckDB, an error in Spark (ANSI): use nullif(d, 0)
    if isinstance(node, exp.Explode) and not isinstance(node.parent, exp.Alias | exp.Select):
        return "unnest inside an expression"  # Spark allows a generator only as a whole select item
    if isinstance(node, exp.Interval) and not isinstance(node.this, exp.Literal):
        return "interval of an expression"  # Spark's INTERVAL takes a literal: write INTERVAL 1 MINUTE * n
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Func):
        return "table function in FROM"  # range(a, b) AS t(k) comes out as EXPLODE(…, _u(t)), which Spark cannot run
    if isinstance(node, exp.RegexpFullMatch):
        return "function regexp_full_match"  # not in Spark: regexp_matches(s, '^…\z')
    if isinstance(node, _REGEXPS) and _has_end_anchor(node.expression):
        return "regexp with $"  # Java's $ also matches before a final line break, RE2's only at the end: write \z
    if isinstance(node, exp.RegexpReplace) and re.search(r"\\\d", _text(node.args.get("replacement"))):
        return "regexp_replace with a group reference"  # DuckDB's \1 is a literal 1 in Spark (Java writes $1)
    return None


#: SQLGlot's regular expression functions: their pattern is the argument ``expression``.
_REGEXPS = (exp.RegexpLike, exp.RegexpILike, exp.RegexpExtract, exp.RegexpExtractAll, exp.RegexpReplace,
            exp.RegexpSplit, exp.RegexpCount, exp.RegexpInstr, exp.RegexpSubstr)


def _text(node: exp.Expr | None) -> str:
    return node.this if isinstance(node, exp.Literal) and node.is_string else ""


def _has_end_anchor(pattern: exp.Expr | None) -> bool:
    """Whether a literal pattern holds a ``$`` that is not escaped (one not given as a literal is no finding)."""
    return re.search(r"(?<!\\)(\\\\)*\$", _text(pattern)) is not None
