"""How sql/raw/raw_events.sql reads an event_ts given as text, on strings chosen to be awkward.

The file reads the ISO-8601 text by its parts (date, hour, minute, second, fraction, offset: arithmetic both
DuckDB and Spark do alike); it used to hand the text to DuckDB's TIMESTAMPTZ parser, which Spark's does not
match (no seconds, 24:00, a seven-digit fraction). Here the parts must give exactly what DuckDB's parser gives
(the rule before issue 19) for every string; tests/test_spark_parity.py runs the same strings on Spark.
"""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pyarrow as pa

from pipelines.engine import run_sql
from pipelines.raw import ingest, warehouse

DATES = ["2024-03-01", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-00",
         "0000-01-01", "0001-01-01", "9999-12-31", "1582-10-10", "1969-12-31", "1900-02-29", "2000-02-29"]
TIMES = ["10:00", "10:00:00", "23:59:60", "23:59:60.5", "00:00:60,25", "24:00:00", "24:00", "24:00:00.0",
         "24:00:00.000001", "24:00:00.0000001", "24:00:60", "24:01", "25:00", "10:60:00", "10:60", "10:00:61",
         "10:00:00.1", "10:00:00,5", "10:00:00.123456", "10:00:00.1234567", "10:00:00.9999999",
         "23:59:59.99999999999", "00:00:00"]
ZONES = ["Z", "z", "+05", "+0530", "+05:30", "-00:00", "+14:00", "+1400", "-13:59", "-14", "+00", "-1000", "+2",
         "", "+14:01", "+15", "-05:60"]


def awkward_timestamps() -> list[str | None]:
    """Every date × time × offset above (valid or not), the same with a space or `t`, text around a valid one,
    and 3,000 strings shaped like timestamps with random fields."""
    out: list[str | None] = [f"{d}T{t}{z}" for d in DATES for t in TIMES for z in ZONES]
    out += [f"2024-03-01{sep}{t}{z}" for sep in (" ", "t") for t in TIMES for z in ZONES]
    out += ["2024-03-01T10:00:00Z\n", "2024-03-01T10:00:00Z ", " 2024-03-01T10:00:00Z", "", "2024-03-01", None]
    rng = random.Random(19)
    for _ in range(3000):
        fraction = rng.choice(["", f".{rng.randint(0, 10**rng.randint(1, 12))}", f",{rng.randint(0, 99)}"])
        seconds = rng.choice(["", f":{rng.randint(0, 61):02d}{fraction}"])
        zone = rng.choice(["Z", f"+{rng.randint(0, 15):02d}", f"-{rng.randint(0, 15):02d}:{rng.randint(0, 60):02d}",
                           f"+{rng.randint(0, 15):02d}{rng.randint(0, 60):02d}", ""])
        out.append(f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
                   f"{rng.choice('Tt ')}{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}{seconds}{zone}")
    return out


def candidates_with_timestamps(texts: list[str | None], arrival_date: date) -> pa.Table:
    """Candidate rows (pipelines/raw/ingest.py's columns), each a valid experiment assignment but for its
    event_ts, given as the text ``texts[i]`` on line i + 1."""
    con = duckdb.connect()
    ingest.create_candidates_table(con)
    con.register("texts", pa.table({"line_no": pa.array(range(1, len(texts) + 1), pa.int64()),
                                    "ts_text": pa.array(texts, pa.string())}))
    con.execute(
        "INSERT INTO candidates BY NAME SELECT $day AS arrival_date, 'dt=x/a.jsonl' AS source_file, line_no, "
        "false AS has_text, ts_text, 'e' || line_no AS event_id, 'experiment_assignment' AS event_type, "
        "'u' AS user_id, 1 AS schema_version, 'exp' AS experiment_id, 'control' AS variant FROM texts",
        {"day": arrival_date})
    return con.sql("SELECT * FROM candidates").to_arrow_table()


def checked(con: duckdb.DuckDBPyConnection) -> None:
    """sql/raw/raw_events.sql over the table ``candidates`` of ``con`` into its raw_events, quarantined_events."""
    run_sql(con, "raw_events", None, candidates="candidates", parse_detail="parse_detail", **warehouse._VALIDATION)


def test_the_parts_read_every_string_as_duckdbs_timestamptz_parser() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    warehouse.ensure_schema(con)
    texts = awkward_timestamps()
    con.register("staged", candidates_with_timestamps(texts, date(2024, 3, 1)))
    # the former rule: DuckDB's parser after the same pattern, a leap second replaced by :59.999999; each row
    # arrives on its own event date, so that every readable timestamp is a valid event
    con.execute(r"""
        CREATE TEMP TABLE parsed AS
        SELECT line_no, timezone('UTC', TRY_CAST(regexp_replace(replace(upper(ts_text), ',', '.'),
                 '(\d{2}:\d{2}):60(\.\d+)?', '\1:59.999999') AS TIMESTAMPTZ)) AS utc
        FROM staged
        WHERE regexp_matches(ts_text, '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?'
                                      '([Zz]|[+-]((0\d|1[0-3]):?[0-5]\d|14:?00|0\d|1[0-4]))$')""")
    con.execute("CREATE TEMP TABLE candidates AS SELECT * REPLACE (coalesce(CAST(p.utc AS DATE), s.arrival_date) "
                "AS arrival_date) FROM staged s LEFT JOIN parsed p USING (line_no)")
    checked(con)
    assert con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0] > 1000
    differ = con.execute(
        "SELECT c.ts_text, p.utc, r.event_ts, q.reason FROM candidates c LEFT JOIN parsed p USING (line_no) "
        "LEFT JOIN raw_events r USING (line_no) LEFT JOIN quarantined_events q USING (line_no) "
        "WHERE r.event_ts IS DISTINCT FROM p.utc OR (p.utc IS NULL) <> (q.reason IS NOT NULL) "
        "OR q.reason NOT IN ('bad_timestamp', 'missing_field') LIMIT 5"
    ).fetchall()
    assert differ == []
