"""The JSONL fast path (DuckDB's read_ndjson reading the files itself) gives exactly the rows of the staged
lines path, for clean and dirty files alike, and leaves to the staged path every file or line it cannot be
trusted with."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines import ingest, warehouse
from pipelines.simulate import simulate
from tests.test_ingest import good, lines

DAY = "2026-03-02"


def ok(event_id: str, **over: object) -> dict:
    """A valid event whose string fields do not look like numbers (such a row is left to the staged path)."""
    return good(event_id, **{"app_version": "35.1.2", **over})


TABLES = ("raw_events", "quarantined_events", "ingested_files")

CLEAN = lines(*(ok(f"c{i}", user_id=f"u{i % 7}", toxicity_score=round(i / 997, 4), text_length=i,
                     app_version="35.1.2") for i in range(400)))
JUNK = [
    "{not json", "[1, 2]", "null", '"a string"', "12", "{}", '{"other": 1}', "true",
    json.dumps(ok("wt1", toxicity_score="0.9")), json.dumps(ok("wt2", text_length=3.5)),
    json.dumps(ok("wt3", text_length=1e3)), json.dumps(ok("wt4", schema_version="1")),
    json.dumps(ok("wt5", shown=1, event_type="nudge_triggered", experiment_id="e", variant="v")),
    json.dumps(ok("wt6", country=["DE"])), json.dumps(ok("wt7", event_ts=1767348000)),
    json.dumps(ok("wt9", platform=True)), json.dumps(ok("wt10", app_version=False)),
    json.dumps(ok("wt8", user_id={"id": 1})), json.dumps(ok("big", text_length=99999999999999999999)),
    json.dumps(ok("neg0", text_length=-0.0, toxicity_score=-0.0)), json.dumps(ok("exp", toxicity_score=5e-1)),
    '{"event_id": "x", "user_id": "u1",}', '{"event_id": "x", "toxicity_score": NaN}',
    '{"event_id": "x", "toxicity_score": -Infinity}', '{"event_id": "dup", "event_id": 5, "user_id": "u"}',
    '{"event_id": 5, "event_id": "dup2", "user_id": "u"}',
    json.dumps(ok("t1", text="CANARY")), json.dumps(ok("t2", text=None)), json.dumps(ok("t3", text="")),
    json.dumps(ok("t4", nested={"text": "x"})), '{"event_id": "t5", "te\\u0078t": null, "user_id": "u"}',
    '{"event_id": "t6", "text": null, "text": "x"}', '{"event_id": "t7", "text": "x", "text": null}',
    json.dumps(ok("esc", app_version="a\"b\\c\u00e9\u2028\U0001f600", reason="\x01")),
    json.dumps(ok("esc2", app_version="tab\there"), ensure_ascii=False),
    json.dumps(ok("look", app_version="NaN,]", reason="Infinity")),
    json.dumps(ok("ts", event_ts="2026-03-02T01:30:00+02:00")), json.dumps(ok("ts2", event_ts="yesterday")),
    json.dumps(ok("case", USER_ID="x", user_id=...)), '{"event_id" : "spaced" , "user_id" :"u" }',
    json.dumps(ok("numeric-looking strings", app_version="2", reason="1e5", comment_id="true")),
    json.dumps(ok("last", platform="web")),
]
DIRTY = lines(*JUNK[:10]) + CLEAN + lines(*JUNK[10:])


def load(root: Path, target: Path, *, fast: bool) -> duckdb.DuckDBPyConnection:
    old = ingest.JSON_FAST_PATH
    ingest.JSON_FAST_PATH = fast
    try:
        con = duckdb.connect(str(target))
        warehouse.configure(con)
        warehouse.ensure_schema(con)
        warehouse.load_arrival_dates(con, root, ingest.arrival_dates(root))
    finally:
        ingest.JSON_FAST_PATH = old
    return con


def assert_same_both_ways(tmp_path: Path, files: dict[str, bytes], day: str = DAY) -> duckdb.DuckDBPyConnection:
    """Load ``files`` staged line by line and through the fast path; every table holds the same rows."""
    folder = tmp_path / "events" / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return assert_same_root(tmp_path, tmp_path / "events")


def assert_same_root(tmp_path: Path, root: Path) -> duckdb.DuckDBPyConnection:
    slow = load(root, tmp_path / "slow.duckdb", fast=False)
    fast = load(root, tmp_path / "fast.duckdb", fast=True)
    slow.close()
    fast.execute(f"ATTACH '{tmp_path / 'slow.duckdb'}' AS slow (READ_ONLY)")
    for table in TABLES:
        for a, b in (("main", "slow"), ("slow", "main")):
            extra = fast.execute(f"SELECT * FROM {a}.{table} EXCEPT ALL SELECT * FROM {b}.{table}").fetchall()
            assert extra == [], f"{table}: rows only in {a}: {extra[:5]}"
    assert fast.execute("SELECT count(*) FROM raw_events").fetchall()[0][0] > 0
    return fast


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Which files the fast path read, which it staged whole, and which line numbers it staged one by one."""
    seen: dict[str, list] = {"fast": [], "whole": [], "lines": []}
    real_whole, real_lines, real_fast = ingest._staged_whole, ingest._staged_lines, ingest._fast_candidates

    def fast_candidates(con: duckdb.DuckDBPyConnection, files: list) -> list:
        seen["fast"] += [f.path.name for f in files]
        return real_fast(con, files)

    def whole(f: ingest._FastFile) -> object:
        seen["whole"].append(f.path.name)
        return real_whole(f)

    def some(f: ingest._FastFile, numbers: np.ndarray) -> object:
        seen["lines"] += [(f.path.name, int(n)) for n in sorted(set(numbers.tolist()))]
        return real_lines(f, numbers)

    monkeypatch.setattr(ingest, "_fast_candidates", fast_candidates)
    monkeypatch.setattr(ingest, "_staged_whole", whole)
    monkeypatch.setattr(ingest, "_staged_lines", some)
    return seen


def test_clean_file_is_read_by_duckdb_alone(tmp_path: Path, spy: dict[str, list]) -> None:
    con = assert_same_both_ways(tmp_path, {"a.jsonl": CLEAN, "b.jsonl.gz": gzip.compress(CLEAN)})
    assert sorted(spy["fast"]) == ["a.jsonl", "b.jsonl.gz"]
    assert spy["whole"] == [] and spy["lines"] == []
    assert con.execute("SELECT count(*), max(line_no) FROM raw_events WHERE source_file LIKE '%a.jsonl'"
                       ).fetchall() == [(400, 400)]


def test_dirty_lines_are_staged_one_by_one_and_the_rest_read_by_duckdb(tmp_path: Path,
                                                                        spy: dict[str, list]) -> None:
    body = DIRTY + json.dumps(ok("unterminated")).encode()
    assert_same_both_ways(tmp_path, {"d.jsonl": body, "t.jsonl": DIRTY + b'{"event_id": "cut', "z.jsonl.gz":
                                     gzip.compress(DIRTY) + gzip.compress(CLEAN)})
    assert sorted(spy["fast"]) == ["d.jsonl", "t.jsonl", "z.jsonl.gz"]
    assert spy["whole"] == []
    staged = {n for f, n in spy["lines"] if f == "d.jsonl"}
    junk_lines = set(range(1, 9)) | {410 + JUNK[10:].index(j) + 1 for j in JUNK[10:] if "NaN" in j or "Infinity" in j
                                     or j.endswith(",}") or '"text": null' in j or "\\u" in j}
    assert junk_lines <= staged  # not objects, lenient JSON, a null text, an escape
    assert len(staged) < 60  # the 400 clean lines and the typed junk are DuckDB's
    assert ("t.jsonl", len(DIRTY.splitlines()) + 1) in spy["lines"]  # the cut last line


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blank.jsonl", CLEAN.replace(b"}\n", b"}\n\n", 1)),
        ("space.jsonl", CLEAN + b"   \n" + lines(ok("after"))),
        ("indented.jsonl", b"  " + CLEAN),
        ("crlf-blank.jsonl", CLEAN + b"\r\n" + lines(ok("after"))),
        ("bom.jsonl", b"\xef\xbb\xbf" + CLEAN),
        ("latin1.jsonl", CLEAN + lines(ok("x")).replace(b'"x"', b'"\xe9"')),
        ("cut.jsonl.gz", gzip.compress(CLEAN)[:-40]),
        ("glob[1].jsonl", CLEAN),
    ],
)
def test_files_the_reader_cannot_take_line_for_line_are_staged_whole(tmp_path: Path, spy: dict[str, list],
                                                                      name: str, content: bytes) -> None:
    assert_same_both_ways(tmp_path, {name: content, "ok.jsonl": CLEAN})
    assert spy["fast"] == ["ok.jsonl"]


def test_crlf_line_ends_are_read_by_duckdb(tmp_path: Path, spy: dict[str, list]) -> None:
    assert_same_both_ways(tmp_path, {"crlf.jsonl": CLEAN.replace(b"\n", b"\r\n")})
    assert spy["fast"] == ["crlf.jsonl"] and spy["whole"] == []


def test_a_file_whose_rows_do_not_match_its_lines_is_staged_whole(tmp_path: Path, spy: dict[str, list],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = ingest._fast_file

    def miscounted(*args: object) -> ingest._FastFile | None:
        f = real(*args)  # type: ignore[arg-type]
        if f is not None and f.path.name == "a.jsonl":
            f.lines += 1
        return f

    monkeypatch.setattr(ingest, "_fast_file", miscounted)
    monkeypatch.setattr(ingest, "_sample_lines", lambda f: {})  # the row count alone must catch it
    assert_same_both_ways(tmp_path, {"a.jsonl": CLEAN, "b.jsonl": CLEAN})
    assert spy["whole"] == ["a.jsonl"]


def test_a_file_whose_sampled_line_disagrees_is_staged_whole(tmp_path: Path, spy: dict[str, list],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = ingest._sample_lines
    monkeypatch.setattr(ingest, "_sample_lines",
                        lambda f: {k: v + "?" for k, v in real(f).items()} if f.path.name == "b.jsonl" else real(f))
    assert_same_both_ways(tmp_path, {"a.jsonl": CLEAN, "b.jsonl": CLEAN})
    assert spy["whole"] == ["b.jsonl"]


def test_several_dates_and_files_at_once(tmp_path: Path) -> None:
    for day, files in (("2026-03-01", {"a.jsonl": CLEAN.replace(b"2026-03-02", b"2026-03-01"), "b.jsonl": DIRTY}),
                       ("2026-03-02", {"a.jsonl": DIRTY, "c.jsonl.gz": gzip.compress(CLEAN), "e.jsonl": b""})):
        folder = tmp_path / "events" / f"dt={day}"
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
    assert_same_root(tmp_path, tmp_path / "events")


def test_simulated_dirty_log(tmp_path: Path) -> None:
    simulate(tmp_path / "sim", users=800, days=3, seed=5, fmt="jsonl")
    assert_same_root(tmp_path, tmp_path / "sim" / "events")


def test_raw_text_is_not_stored_by_the_fast_path(tmp_path: Path, spy: dict[str, list]) -> None:
    con = assert_same_both_ways(tmp_path, {"a.jsonl": CLEAN + lines(ok("t", text="CANARY-FAST-31337"))})
    assert spy["fast"] == ["a.jsonl"] and spy["lines"] == []
    assert con.execute("SELECT count(*) FILTER (has_text) FROM raw_events").fetchall() == [(1,)]
    con.close()
    for f in (tmp_path / "fast.duckdb", tmp_path / "fast.duckdb.wal"):
        assert not f.exists() or b"CANARY-FAST-31337" not in f.read_bytes()
