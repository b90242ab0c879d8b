"""Every ``sql/`` file translated into Spark SQL (pipelines/spark/translate.py), and what does not translate.

SQLGlot passes what it does not know through silently, so each file's *findings* — constructs Spark would not
run, or would run with another meaning — are pinned here: a file runs on Spark only without findings, and the
files that still have some are listed in :data:`PENDING` with exactly their constructs and why. A new DuckDB-only
construct in any file fails the test; so does rewriting one away without taking it off the list.
"""

from __future__ import annotations

import re

import pytest

from pipelines.contract import FIELDS
from pipelines.engine import analysis_files, sql_text
from pipelines.spark.translate import SPARK_CONF, translate, translate_text
from pipelines.tables import SUBSTITUTIONS

_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def _substitutions(name: str) -> dict[str, str]:
    """The ``{placeholders}`` of a file as the warehouse fills them (the raw load's from pipelines/raw/warehouse.py)."""
    if name in ("schema", "candidates"):
        return {"event_columns": ",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS)}
    if name == "stage_json_lines":
        from pipelines.raw.ingest_json import candidates_expressions

        return candidates_expressions()
    if name == "stage_parquet_batch":
        from pipelines.raw.ingest_parquet import parquet_columns

        return {"columns": parquet_columns({f.name: f.sql_type for f in FIELDS})}
    if name == "raw_events":
        from pipelines.raw.warehouse import _VALIDATION

        return {**_VALIDATION, "candidates": "candidates", "parse_detail": "parse_detail"}
    if name == "results_schema":
        from pipelines.raw.warehouse import RESULTS_SCHEMA

        return RESULTS_SCHEMA
    return SUBSTITUTIONS.get(name, {})


#: Files not yet runnable on Spark: their constructs without a faithful translation, and why they are still there.
PENDING: dict[str, set[str]] = {
    # DuckDB's JSON reading of the staged lines; on Spark the project's own reader is to stage typed rows (issue 19
    # §3), so this file has no Spark counterpart to reach
    "stage_json_lines": {"function json_valid"},
}

FILES = sorted(p.stem for p in analysis_files())


def test_every_file_has_one_name_and_its_placeholders_filled() -> None:
    assert len(FILES) == len(set(FILES)) > 40
    for name in FILES:
        wanted = set(_PLACEHOLDER.findall(sql_text(name)))
        assert wanted <= set(_substitutions(name)), f"{name}: no value for {wanted - set(_substitutions(name))}"


@pytest.mark.parametrize("name", FILES)
def test_file_translates_without_findings_unless_pending(name: str) -> None:
    translation = translate(name, **_substitutions(name))
    found = {f.construct for f in translation.findings}
    assert found == PENDING.get(name, set()), [f"{f.construct}: {f.text}" for f in translation.findings]
    assert translation.statements, name
    for statement in translation.statements:
        code = re.sub(r"'[^']*'", "", re.sub(r"/\*.*?\*/", "", statement, flags=re.S))  # no comments, strings
        assert "MATERIALIZED" not in code.upper(), statement
        assert "$" not in code, f"a $parameter left in {statement}"


def test_pending_names_only_existing_files() -> None:
    assert set(PENDING) <= set(FILES)


@pytest.mark.parametrize(("duckdb_sql", "construct"), [
    ("SELECT * FROM read_ndjson('x.jsonl')", "function read_ndjson"),
    ("SELECT timezone('UTC', ts) FROM t", "function timezone"),
    ("INSERT OR REPLACE INTO t SELECT 1", "INSERT OR REPLACE"),
    ("CREATE OR REPLACE TEMP MACRO m(p) AS TABLE SELECT 1", "CREATE MACRO"),
    ("UPDATE r SET a = k.a FROM k WHERE r.id = k.id", "UPDATE … FROM"),
    ("SELECT epoch(a - b) FROM t", "epoch of an interval"),
    ("SELECT ts + INTERVAL ($w) MINUTE FROM t", "interval of an expression"),
    ("SELECT regexp_replace(s, 'a', 'b') FROM t", "regexp_replace of the first match"),
    ("SELECT a / b FROM t", "division by a value that may be 0"),
    ("SELECT CAST(unnest(generate_series(a, b, INTERVAL 1 DAY)) AS DATE) AS d FROM t", "unnest inside an expression"),
    ("SELECT p.d + k FROM p, range(0, $w + 1) AS t(k)", "table function in FROM"),
    ("SELECT regexp_full_match(s, '[A-Z]{2}') FROM t", "function regexp_full_match"),
    ("SELECT regexp_matches(s, '^[A-Z]{2}$') FROM t", "regexp with $"),
    ("SELECT regexp_extract(s, '\\\\$', 0) FROM t", "regexp with $"),
    ("SELECT regexp_replace(s, '(a)b', '\\1c', 'g') FROM t", "regexp_replace with a group reference"),
])
def test_constructs_sqlglot_passes_through_are_found(duckdb_sql: str, construct: str) -> None:
    assert construct in {f.construct for f in translate_text(duckdb_sql).findings}


@pytest.mark.parametrize("duckdb_sql", [
    "SELECT regexp_replace(s, 'a', 'b', 'g') FROM t",
    "SELECT a / nullif(b, 0), a / 86400.0 FROM t",
    "SELECT ts + INTERVAL 1 MINUTE * $w FROM t",
    "SELECT (epoch_us(a) - epoch_us(b)) / 1e6 FROM t",
    "SELECT unnest(generate_series(a, b, INTERVAL 1 DAY)) AS d FROM t",
    "SELECT p.d + t.k FROM p, (SELECT unnest(range(0, $w + 1)) AS k) AS t",
    "SELECT regexp_matches(s, '^[A-Z]{2}\\z'), regexp_extract(s, '\\$(\\d+)', 1) FROM t",
    "SELECT regexp_replace(s, '^\\.\\d+', '', 'g') FROM t",
])
def test_shared_forms_are_not_findings(duckdb_sql: str) -> None:
    assert translate_text(duckdb_sql).findings == []


def test_materialized_hint_is_dropped() -> None:
    [statement] = translate_text("WITH a AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM a").statements
    assert "MATERIALIZED" not in statement.upper()
    assert statement.startswith("WITH a AS (SELECT 1 AS x)")


def test_hash_becomes_a_64_bit_hash() -> None:
    # Spark's hash() is 32-bit murmur3: as a narrowing filter it would match 2^32 times as many ids
    [statement] = translate_text("SELECT hash(event_id) AS h FROM raw_events").statements
    assert "XXHASH64(EVENT_ID)" in statement.upper()
    assert not re.search(r"(?<!XX)HASH\(", statement.upper())


def test_epoch_us_becomes_unix_micros() -> None:
    [statement] = translate_text("SELECT epoch_us(ts) FROM t").statements
    assert "UNIX_MICROS(TS)" in statement.upper()


def test_temp_table_becomes_a_table_not_a_view() -> None:
    # a view is computed again at each use: wrong once a later statement changes what it reads
    translation = translate_text("CREATE OR REPLACE TEMP TABLE r AS SELECT a FROM t; UPDATE t SET a = 1")
    assert translation.temp_tables == ["r"]
    assert translation.statements[0].upper().startswith("CREATE OR REPLACE TABLE R AS")


def test_parameters_become_named_markers() -> None:
    [statement] = translate_text("SELECT * FROM t WHERE experiment_id = $e").statements
    assert statement.endswith("experiment_id = :e")


def test_spark_runs_utc_ansi_and_exact_decimal_products() -> None:
    assert SPARK_CONF["spark.sql.session.timeZone"] == "UTC"
    assert SPARK_CONF["spark.sql.ansi.enabled"] == "true"
    assert SPARK_CONF["spark.sql.decimalOperations.allowPrecisionLoss"] == "false"
