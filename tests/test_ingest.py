"""The raw layer on bad input: every junk kind quarantined with its reason, nothing lost, nothing crashes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.raw import gzip_stream, ingest, ingest_json, warehouse
from tests.logbuilder import Log


def good(event_id: str, **over: object) -> dict:
    e = {"event_id": event_id, "event_type": "comment_draft_submitted", "event_ts": "2026-03-02T10:00:00Z",
         "user_id": "u1", "schema_version": 1, "country": "DE", "platform": "ios", "app_version": "1",
         "draft_id": "d1", "video_id": "v1", "toxicity_score": 0.9, "classifier_version": "c",
         "text_hash": "ab12", "text_length": 5, "reply_to_comment_id": None}
    e.update(over)
    return {k: v for k, v in e.items() if v is not ...}


def load(tmp_path: Path, files: dict[str, bytes], day: str = "2026-03-02") -> duckdb.DuckDBPyConnection:
    folder = tmp_path / "events" / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    warehouse.load_arrival_date(con, tmp_path / "events", day)
    return con


def lines(*events: dict | str) -> bytes:
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events).encode()


def reasons(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], int]:
    rows = con.execute("SELECT reason, field, count(*) FROM quarantined_events GROUP BY ALL").fetchall()
    return {(r, f): n for r, f, n in rows}


@pytest.mark.parametrize(
    ("bad", "reason", "field"),
    [
        ("{not json", "not_json", None),
        ("[1, 2]", "not_json", None),
        (good("x", user_id=...), "missing_field", "user_id"),
        (good("x", user_id=""), "missing_field", "user_id"),
        (good("x", text_hash=None), "missing_field", "text_hash"),
        (good("x", toxicity_score="0.9"), "wrong_type", "toxicity_score"),
        (good("x", text_length=3.5), "wrong_type", "text_length"),
        (good("x", text_length=2**63), "wrong_type", "text_length"),  # beyond BIGINT
        (good("x", event_ts=1767348000), "wrong_type", "event_ts"),
        (good("x", schema_version=2), "unsupported_schema_version", "schema_version"),
        (good("x", event_type="comment_liked"), "unknown_event_type", "event_type"),
        (good("x", event_ts="yesterday"), "bad_timestamp", "event_ts"),
        (good("x", event_ts="2026-03-02T10:00:00"), "bad_timestamp", "event_ts"),
        (good("x", event_ts="2026-03-02"), "bad_timestamp", "event_ts"),  # "-02" is not an offset
        (good("x", event_ts="2026-03-02T10:00:00+24:00"), "bad_timestamp", "event_ts"),
        (good("x", event_ts="20260302T100000Z"), "bad_timestamp", "event_ts"),  # basic format: not accepted
        (good("x", event_ts="2026-03-03T10:00:00Z"), "implausible_timestamp", "event_ts"),
        (good("x", event_ts="2026-02-27T23:59:59Z"), "implausible_timestamp", "event_ts"),
        (good("x", toxicity_score=1.5), "score_out_of_range", "toxicity_score"),
        (good("x", toxicity_score=-0.1), "score_out_of_range", "toxicity_score"),
        (good("x", platform="symbian"), "invalid_value", "platform"),
        (good("x", text_hash="not-hex!"), "invalid_value", "text_hash"),
        (good("x", text_length=-1), "invalid_value", "text_length"),
        (good("x", country="Germany"), "invalid_value", "country"),
    ],
)
def test_each_junk_kind_is_quarantined_with_its_reason(tmp_path: Path, bad: dict | str, reason: str,
                                                       field: str | None) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("ok1"), bad, good("ok2"))})
    assert reasons(con) == {(reason, field): 1}
    assert sorted(r[0] for r in con.execute("SELECT event_id FROM raw_events").fetchall()) == ["ok1", "ok2"]


def test_event_two_days_late_is_valid(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("late", event_ts="2026-02-28T00:00:00+00:00"))})
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(1,)]


def test_offset_timestamps_are_converted_to_utc(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("x", event_ts="2026-03-02T01:30:00+02:00"))})
    assert str(con.execute("SELECT event_ts FROM raw_events").fetchall()[0][0]) == "2026-03-01 23:30:00"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-02t01:30:00z", "2026-03-02 01:30:00"),
        ("2026-03-02T01:30:00,25Z", "2026-03-02 01:30:00.250000"),
        ("2026-03-02T01:30Z", "2026-03-02 01:30:00"),
        ("2026-03-02 01:30:00+01", "2026-03-02 00:30:00"),
        ("2026-03-02T01:30:00-0800", "2026-03-02 09:30:00"),
        ("2026-03-02T12:00:00+14:00", "2026-03-01 22:00:00"),
    ],
)
def test_iso_8601_variants_with_an_offset_are_read(tmp_path: Path, text: str, utc: str) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("x", event_ts=text))})
    assert reasons(con) == {}
    assert str(con.execute("SELECT event_ts FROM raw_events").fetchall()[0][0]) == utc


def test_truncated_last_line_is_reported_and_the_rest_counts(tmp_path: Path) -> None:
    content = lines(good("a"), good("b")) + json.dumps(good("c")).encode()[:40]
    con = load(tmp_path, {"a.jsonl": content})
    assert reasons(con) == {("truncated_line", None): 1}
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(2,)]


def test_truncated_gzip_keeps_every_readable_line(tmp_path: Path) -> None:
    body = lines(*(good(f"e{i}") for i in range(200)))
    packed = gzip.compress(body)
    con = load(tmp_path, {"a.jsonl.gz": packed[: len(packed) * 2 // 3]})
    valid = con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0]
    found = reasons(con)
    assert 0 < valid < 200
    assert found[("corrupt_gzip", None)] == 1
    assert found.get(("truncated_line", None), 0) <= 1
    assert con.execute("SELECT finding FROM ingested_files").fetchall() == [("corrupt_gzip",)]


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    packed = gzip.compress(lines(good("a"))) + gzip.compress(lines(good("b")))
    con = load(tmp_path, {"a.jsonl.gz": packed})
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(2,)]


def test_empty_and_unreadable_files_do_not_stop_the_partition(tmp_path: Path) -> None:
    con = load(tmp_path, {"empty.jsonl": b"", "junk.parquet": b"PAR1 nonsense", "a.jsonl": lines(good("a"))})
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(1,)]
    findings = dict(con.execute("SELECT source_file, finding FROM ingested_files").fetchall())
    assert findings == {"dt=2026-03-02/empty.jsonl": "empty_file", "dt=2026-03-02/junk.parquet": "unreadable_file",
                        "dt=2026-03-02/a.jsonl": None}
    assert reasons(con) == {("unreadable_file", None): 1}


def test_a_parquet_file_without_rows_is_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"event_id": pa.array([], pa.string()), "event_type": pa.array([], pa.string())}), path)
    con = load(tmp_path, {"none.parquet": path.read_bytes(), "a.jsonl": lines(good("a"))})
    findings = dict(con.execute("SELECT source_file, finding FROM ingested_files").fetchall())
    assert findings == {"dt=2026-03-02/none.parquet": "empty_file", "dt=2026-03-02/a.jsonl": None}


def test_raw_text_field_is_never_stored(tmp_path: Path) -> None:
    canary = "CANARY-TEXT-31337"
    con = load(tmp_path, {"a.jsonl": lines(good("a", text=canary), good("b"))})
    assert con.execute("SELECT count(*) FILTER (has_text), count(*) FROM raw_events").fetchall() == [(1, 2)]
    con.close()
    assert canary.encode() not in (tmp_path / "w.duckdb").read_bytes()


def test_parquet_is_read_with_contract_types(tmp_path: Path) -> None:
    table = pa.table({
        "event_id": ["p1", "p2"], "event_type": ["comment_draft_submitted"] * 2,
        "event_ts": pa.array([1772445600000000, 1772445600000000], pa.timestamp("us", tz="UTC")),
        "user_id": ["u1", "u2"], "schema_version": pa.array([1, 1], pa.int32()),
        "country": ["DE", None], "platform": ["web", None], "app_version": [None, None],
        "draft_id": ["d1", "d2"], "video_id": ["v", "v"], "toxicity_score": [0.5, 1.5],
        "classifier_version": ["c", "c"], "text_hash": ["aa", "bb"], "text_length": pa.array([1, 2], pa.int64()),
        "reply_to_comment_id": [None, None], "text": ["CANARY-PARQUET", None],
    })
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(table, folder / "x.parquet")
    con = load(tmp_path, {"x.parquet": (folder / "x.parquet").read_bytes(), "y.jsonl": lines(good("j1"))})
    assert sorted(r[0] for r in con.execute("SELECT event_id FROM raw_events").fetchall()) == ["j1", "p1"]
    assert reasons(con) == {("score_out_of_range", "toxicity_score"): 1}
    con.close()
    assert b"CANARY-PARQUET" not in (tmp_path / "w.duckdb").read_bytes()


def test_parquet_column_of_the_wrong_type_quarantines_its_rows(tmp_path: Path) -> None:
    table = pa.table({
        "event_id": ["p1"], "event_type": ["draft_discarded"],
        "event_ts": pa.array([1772445600000000], pa.timestamp("us", tz="UTC")),
        "user_id": ["u1"], "schema_version": pa.array(["1"]), "draft_id": ["d1"],
    })
    path = tmp_path / "x.parquet"
    pq.write_table(table, path)
    con = load(tmp_path, {"x.parquet": path.read_bytes()})
    assert reasons(con) == {("wrong_type", "schema_version"): 1}


def test_reloading_a_partition_replaces_it(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("a"), "junk")})
    con.close()
    con = load(tmp_path, {"b.jsonl": lines(good("b"))})  # a late batch lands in the same day
    assert sorted(r[0] for r in con.execute("SELECT event_id FROM raw_events").fetchall()) == ["a", "b"]
    assert con.execute("SELECT count(*) FROM quarantined_events").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall() == [(2,)]


def test_log_builder_round_trip_is_valid(tmp_path: Path) -> None:
    log = Log()
    log.assign("u1", "control")
    events_root, _ = log.write(tmp_path)
    day = next(events_root.iterdir()).name[3:]
    con = duckdb.connect()
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    load_result = warehouse.load_arrival_date(con, events_root, day)
    assert (load_result.rows_valid, load_result.rows_quarantined) == (1, 0)


@pytest.mark.parametrize("bad", ['{"event_id": "x", "user_id": "u1",}', '{"event_id": "x", "toxicity_score": NaN}',
                                 '{"event_id": "x", "toxicity_score": -Infinity}'])
def test_json_extensions_duckdb_tolerates_are_not_json(tmp_path: Path, bad: str) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("ok"), bad)})
    assert reasons(con) == {("not_json", None): 1}


def test_strings_that_look_like_json_extensions_stay_valid(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("ok", app_version="NaN,]", reason="Infinity"))})
    assert con.execute("SELECT app_version FROM raw_events").fetchall() == [("NaN,]",)]


def test_byte_order_mark_at_file_start_is_ignored(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": b"\xef\xbb\xbf" + lines(good("a"), good("b"))})
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(2,)]


def test_a_gzip_with_a_damaged_checksum_keeps_every_line(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(lines(*(good(f"e{i}") for i in range(200)))))
    packed[-8] ^= 0xFF  # the CRC-32 in the trailer
    con = load(tmp_path, {"a.jsonl.gz": bytes(packed) + gzip.compress(lines(good("next")))})
    assert con.execute("SELECT count(*) FROM raw_events").fetchall() == [(201,)]
    assert con.execute("SELECT finding FROM ingested_files").fetchall() == [("corrupt_gzip",)]


def test_a_gzip_damaged_in_the_middle_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    import random

    rng = random.Random(5)
    body = lines(*(good(f"e{i}", text_hash=f"{rng.getrandbits(128):032x}") for i in range(2000)))
    packed = bytearray(gzip.compress(body))
    packed[len(packed) * 3 // 4] ^= 0xFF
    con = load(tmp_path, {"a.jsonl.gz": bytes(packed)})
    valid = con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0]
    assert 1000 < valid < 2000  # about three quarters of the lines come before the damage
    assert con.execute("SELECT finding FROM ingested_files").fetchall() == [("corrupt_gzip",)]


def test_entries_that_are_not_read_are_skipped_and_listed(tmp_path: Path) -> None:
    for name in ("dt=2026-03-02", "dt=2026-02-30", "dt=2026-3-2", "other", "dt=2026-03-02/hour=01"):
        (tmp_path / name).mkdir()
    (tmp_path / "stray.jsonl").write_text("")
    (tmp_path / ".upload.tmp").write_text("")
    assert ingest.arrival_dates(tmp_path) == ["2026-03-02"]
    assert ingest.unread_entries(tmp_path) == [
        "dt=2026-02-30/: not dt=YYYY-MM-DD with a real date",
        "dt=2026-03-02/hour=01/: a folder inside a partition (its files are not read)",
        "dt=2026-3-2/: not dt=YYYY-MM-DD with a real date",
        "stray.jsonl: a file outside any dt=YYYY-MM-DD folder",
    ]


def test_parquet_float32_scores_are_read_as_written_and_huge_integers_are_wrong_type(tmp_path: Path) -> None:
    def table(event_id: str, score: pa.Array, length: pa.Array) -> pa.Table:
        return pa.table({
            "event_id": [event_id], "event_type": ["comment_draft_submitted"],
            "event_ts": pa.array([1772445600000000], pa.timestamp("us", tz="UTC")), "user_id": ["u1"],
            "schema_version": pa.array([1], pa.int32()), "draft_id": ["d1"], "video_id": ["v"],
            "toxicity_score": score, "classifier_version": ["c"], "text_hash": ["aa"], "text_length": length,
        })

    folder = tmp_path / "pq"
    folder.mkdir()
    # two layouts in one folder: the float32 file first must not turn the other's doubles into float32
    pq.write_table(table("f32", pa.array([0.7], pa.float32()), pa.array([3], pa.int64())), folder / "a.parquet")
    pq.write_table(table("f64", pa.array([0.7], pa.float64()), pa.array([3], pa.int64())), folder / "b.parquet")
    pq.write_table(table("big", pa.array([0.7], pa.float64()), pa.array([2**63], pa.uint64())),
                   folder / "c.parquet")
    con = load(tmp_path, {n: (folder / n).read_bytes() for n in ("a.parquet", "b.parquet", "c.parquet")})
    assert dict(con.execute("SELECT event_id, toxicity_score FROM raw_events").fetchall()) == {"f32": 0.7, "f64": 0.7}
    assert reasons(con) == {("wrong_type", "text_length"): 1}


def test_a_parquet_file_named_like_a_glob_is_read_alone(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, event_id in (("*.parquet", "star"), ("b.parquet", "b")):
        pq.write_table(pa.table({
            "event_id": [event_id], "event_type": ["draft_discarded"],
            "event_ts": pa.array([1772445600000000], pa.timestamp("us", tz="UTC")),
            "user_id": ["u1"], "schema_version": pa.array([1], pa.int32()), "draft_id": ["d1"],
        }), folder / name)
    con = load(tmp_path, {n: (folder / n).read_bytes() for n in ("*.parquet", "b.parquet")})
    rows = con.execute("SELECT source_file, event_id FROM raw_events ORDER BY 1").fetchall()
    assert rows == [("dt=2026-03-02/*.parquet", "star"), ("dt=2026-03-02/b.parquet", "b")]


def test_a_line_that_is_not_utf8_is_not_json(tmp_path: Path) -> None:
    # two user ids that differ only in bytes that are not UTF-8 (decoded leniently, both would be "u\ufffd\ufffd")
    bad = [json.dumps(good(f"x{i}", user_id="u__")).encode().replace(b"u__", b"u\xff\xfe" if i else b"u\xfe\xff")
           for i in range(2)]
    con = load(tmp_path, {"a.jsonl": lines(good("ok1")) + b"\n".join(bad) + b"\n" + lines(good("ok2"))})
    assert reasons(con) == {("not_json", None): 2}
    assert sorted(r[0] for r in con.execute("SELECT event_id FROM raw_events").fetchall()) == ["ok1", "ok2"]
    lines_no = sorted(r[0] for r in con.execute("SELECT line_no FROM quarantined_events").fetchall())
    assert lines_no == [2, 3]


def test_the_file_by_file_fallback_gives_the_same_rows_as_the_batch_path(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The path taken when a batch cannot be loaded together (warehouse._load with fast=False)."""
    # files read in several pieces, lines parsed in several flushes
    monkeypatch.setattr(gzip_stream, "READ_BYTES", 4096)
    monkeypatch.setattr(gzip_stream, "OUT_BYTES", 4096)
    monkeypatch.setattr(ingest_json, "FLUSH_BYTES", 16384)
    folder = tmp_path / "events" / "dt=2026-03-02"
    folder.mkdir(parents=True)
    body = lines(*(good(f"e{i}") for i in range(300)), "{not json", good("x", toxicity_score=2.0),
                 good("y", event_ts="2026-03-02"), good("t", text="CANARY-FALLBACK"))
    (folder / "a.jsonl").write_bytes(body + b'{"event_id": "cut')
    packed = gzip.compress(lines(*(good(f"g{i}") for i in range(300))))
    (folder / "b.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    (folder / "c.jsonl").write_bytes(lines(good("ok")) + json.dumps(good("bad")).encode().replace(b"u1", b"u\xff"))
    pq.write_table(pa.table({
        "event_id": ["p1", "p2"], "event_type": ["draft_discarded"] * 2,
        "event_ts": pa.array([1772445600000000] * 2, pa.timestamp("us", tz="UTC")),
        "user_id": ["u1", "u2"], "schema_version": pa.array([1, 3], pa.int32()), "draft_id": ["d1", "d2"],
    }), folder / "d.parquet")
    files = sorted(folder.iterdir())
    tables = {}
    for fast in (True, False):
        con = duckdb.connect(str(tmp_path / f"w-{fast}.duckdb"))
        warehouse.configure(con)
        warehouse.ensure_schema(con)
        warehouse._load(con, [warehouse._Partition("2026-03-02", files, "f")], fast=fast)
        tables[fast] = {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall()))
                        for t in ("raw_events", "quarantined_events", "ingested_files")}
        con.close()
    assert tables[True] == tables[False]
    assert len(tables[True]["raw_events"]) > 400 and len(tables[True]["quarantined_events"]) >= 6
    assert b"CANARY-FALLBACK" not in (tmp_path / "w-False.duckdb").read_bytes()


def test_parquet_files_share_a_scan_only_with_the_same_column_types(tmp_path: Path) -> None:
    def table(event_id: str, ts: pa.Array, version: pa.Array) -> pa.Table:
        return pa.table({"event_id": [event_id], "event_type": ["draft_discarded"], "event_ts": ts,
                         "user_id": ["u1"], "schema_version": version, "draft_id": ["d1"]})

    folder = tmp_path / "pq"
    folder.mkdir()
    base_us = 1772445600_000000
    # a seconds timestamp first must not truncate the next file's microseconds; a uint64 beside an int32
    # must not fail the shared scan (and send the date to the file-by-file path)
    pq.write_table(table("s", pa.array([base_us // 10**6], pa.timestamp("s", tz="UTC")), pa.array([1], pa.int32())),
                   folder / "a.parquet")
    pq.write_table(table("us", pa.array([base_us + 123456], pa.timestamp("us", tz="UTC")),
                         pa.array([2**64 - 1], pa.uint64())), folder / "b.parquet")
    fallbacks = len(warehouse.FALLBACKS)
    con = load(tmp_path, {n: (folder / n).read_bytes() for n in ("a.parquet", "b.parquet")})
    assert len(warehouse.FALLBACKS) == fallbacks
    assert [str(r[0]) for r in con.execute("SELECT event_ts FROM raw_events").fetchall()] == ["2026-03-02 10:00:00"]
    assert reasons(con) == {("wrong_type", "schema_version"): 1}
    pq.write_table(table("us", pa.array([base_us + 123456], pa.timestamp("us", tz="UTC")), pa.array([1], pa.int64())),
                   folder / "b.parquet")
    con = load(tmp_path / "again", {n: (folder / n).read_bytes() for n in ("a.parquet", "b.parquet")})
    assert sorted(str(r[0]) for r in con.execute("SELECT event_ts FROM raw_events").fetchall()) == [
        "2026-03-02 10:00:00", "2026-03-02 10:00:00.123456"]
