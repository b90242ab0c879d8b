"""Issue 14, the JSONL path: raw text kept from DuckDB (and its spill files), nesting that crashed the run, gzip
bombs, CR line endings and the scrubbed-text count. Each test fails without its fix."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from pipelines.cli import run
from pipelines.raw import gzip_stream, ingest_json, ingest_jsonl, spill, warehouse
from pipelines.resources import Settings
from tests.logbuilder import Log
from tests.test_ingest import good, lines, load, reasons

CANARY = "CANARY-JSONL-7c41e"
DAY = "2026-03-02"


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute("SELECT line_no, reason, detail, has_text FROM quarantined_events ORDER BY line_no").fetchall()


def event_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(r[0] for r in con.execute("SELECT event_id FROM raw_events").fetchall())


# --- defect 2: nesting -------------------------------------------------------------------------------------


def test_a_line_nested_1500_deep_is_quarantined_and_the_run_goes_on(tmp_path: Path) -> None:
    deep = "[" * 1500 + "]" * 1500
    con = load(tmp_path, {"a.jsonl": lines(good("a"), '{"x": ' + deep + ",}",
                                           '{"x": ' + deep + ', "y": "NaN"}', good("b"))})
    assert event_ids(con) == ["a", "b"]  # was: RecursionError, no row of the date loaded
    assert quarantined(con) == [(2, "not_json", "arrays / objects nested deeper than 64 levels", False),
                                (3, "not_json", "arrays / objects nested deeper than 64 levels", False)]


def test_nesting_up_to_the_limit_is_read_and_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    shallow = json.loads("[" * 63 + "]" * 63)  # with the event object: 64 levels
    con = load(tmp_path, {"a.jsonl": lines(good("a", extra=shallow), good("b", app_version="[" * 500))})
    assert event_ids(con) == ["a", "b"] and reasons(con) == {}


def test_a_non_strict_line_says_why_it_is_not_json(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(good("a"), '{"event_id": "x", "toxicity_score": NaN}')})
    assert quarantined(con) == [(2, "not_json", "NaN is not JSON", False)]


# --- defect 3: gzip bombs ----------------------------------------------------------------------------------


def bomb(path: Path, piece: bytes, size: int, tail: bytes = b"") -> None:
    """A gzip file of ``size`` bytes of ``piece`` repeated, then ``tail``, written without holding it."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = piece * max(1, (1 << 20) // len(piece))
    with path.open("wb") as f:
        for _ in range(size // len(block)):
            f.write(comp.compress(block))
        f.write(comp.compress(tail))
        f.write(comp.flush())


def test_a_gzip_bomb_of_one_endless_line_is_one_quarantine_row_read_in_bounded_pieces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    bomb(folder / "bomb.jsonl.gz", b"\0", 256 << 20, tail=b"\n" + lines(good("after")))
    assert (folder / "bomb.jsonl.gz").stat().st_size < 512 << 10
    largest = []
    flush = ingest_json.JsonStager.flush

    def watched(self: ingest_json.JsonStager) -> None:
        largest.append(sum(t.nbytes for t in self._pending))
        flush(self)

    monkeypatch.setattr(ingest_json.JsonStager, "flush", watched)
    con = load(tmp_path, {"a.jsonl": lines(good("a"))})
    assert event_ids(con) == ["a", "after"]  # the lines after the bomb's line still count
    assert quarantined(con) == [(1, "not_json", "line longer than 1,048,576 bytes: not read", False)]
    files = dict(con.execute("SELECT source_file, rows_read FROM ingested_files").fetchall())
    assert files == {f"dt={DAY}/a.jsonl": 1, f"dt={DAY}/bomb.jsonl.gz": 2}
    assert max(largest) < 1 << 20  # what reaches DuckDB is the stand-in line, never the 256 MiB


def test_a_gzip_bomb_of_readable_lines_counts_every_line(tmp_path: Path) -> None:
    folder = tmp_path / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    line = lines(good("dup"))
    bomb(folder / "bomb.jsonl.gz", line, 24 << 20)
    expected = (24 << 20) // (len(line) * ((1 << 20) // len(line))) * ((1 << 20) // len(line))
    con = load(tmp_path, {})
    assert con.execute("SELECT rows_read, rows_valid, finding FROM ingested_files").fetchall() == [
        (expected, expected, None)]


def test_the_reader_yields_a_bomb_in_pieces_of_bounded_size(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl.gz"
    bomb(path, lines(good("dup")), 64 << 20)

    class Report:
        finding: str | None = None
        detail: str | None = None

    report = Report()
    sizes = [b.table.nbytes for b in ingest_jsonl.line_batches(path, report)]
    assert len(sizes) > 4 and max(sizes) < 32 << 20 and report.finding is None


# --- defect 9: line endings --------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", [b"\r", b"\r\n", b"\n"])
def test_a_gzip_file_with_cr_line_endings_gives_every_event(tmp_path: Path, ending: bytes,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # small pieces, so that endings fall on the boundaries between them (a \r\n split in two is one ending)
    monkeypatch.setattr(gzip_stream, "READ_BYTES", 997)
    monkeypatch.setattr(gzip_stream, "OUT_BYTES", 1009)
    body = ending.join(json.dumps(good(f"e{i}")).encode() for i in range(390)) + ending
    con = load(tmp_path, {"a.jsonl.gz": gzip.compress(body)})
    assert con.execute("SELECT count(*), max(line_no) FROM raw_events").fetchall() == [(390, 390)]
    assert reasons(con) == {}  # was: one truncated_line row for the whole file


def test_line_numbers_count_cr_endings_and_an_unterminated_last_line_is_truncated(tmp_path: Path) -> None:
    body = b"\r".join([json.dumps(good("a")).encode(), b"junk", json.dumps(good("b")).encode(), b'{"event_id": "c'])
    con = load(tmp_path, {"a.jsonl": body})
    assert event_ids(con) == ["a", "b"]
    assert [r[:2] for r in quarantined(con)] == [(2, "not_json"), (4, "truncated_line")]


# --- defect 9: the scrubbed-text count, and defect 1: no raw text reaches DuckDB ---------------------------


def test_nested_text_and_text_on_a_rejected_line_are_counted(tmp_path: Path) -> None:
    con = load(tmp_path, {"a.jsonl": lines(
        good("nested", meta={"text": CANARY, "k": [{"text": CANARY}]}),
        '{"event_id": "lenient", "text": "' + CANARY + '",}',
        good("plain"),
        '{"event_id": "cut", "te\\u0078t": "' + CANARY,
    )})
    assert event_ids(con) == ["nested", "plain"]
    assert con.execute("SELECT event_id FROM raw_events WHERE has_text").fetchall() == [("nested",)]
    assert [(r[0], r[1], r[3]) for r in quarantined(con)] == [(2, "not_json", True), (4, "not_json", True)]


class _Watched:
    """A connection that keeps everything handed to DuckDB: SQL text, parameters, registered Arrow tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.given: list[Any] = []

    def execute(self, query: str, params: Any = None) -> Any:
        self.given += [query, params]
        return self._con.execute(query, params) if params is not None else self._con.execute(query)

    def executemany(self, query: str, params: Any) -> Any:
        self.given += [query, params]
        return self._con.executemany(query, params)

    def register(self, name: str, table: pa.Table) -> Any:
        self.given.append(table)
        return self._con.register(name, table)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def saw(self, needle: str) -> bool:
        for item in self.given:
            if isinstance(item, pa.Table):
                texts = [c for c in item.columns if pa.types.is_string(c.type) or pa.types.is_large_string(c.type)]
                if any(needle in (v or "") for column in texts for v in column.to_pylist()):
                    return True
            elif needle in repr(item):
                return True
        return False


@pytest.mark.parametrize("fast", [True, False])
def test_no_byte_of_raw_text_is_handed_to_duckdb(tmp_path: Path, fast: bool) -> None:
    folder = tmp_path / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    body = lines(good("top", text=CANARY), good("nested", meta={"text": CANARY}), good("escaped", te=1),
                 '{"event_id": "lenient", "text": "' + CANARY + '",}', "[" * 100 + "]" * 100,
                 '{"event_id": "x", "text": "' + CANARY * 70_000 + '"}')
    body = body.replace(b'"te"', b'"t\\u0065xt"')
    (folder / "a.jsonl").write_bytes(body + b'{"event_id": "cut", "text": "' + CANARY.encode())
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(body))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    watched = _Watched(con)
    warehouse._load(watched, [warehouse._Partition(DAY, sorted(folder.iterdir()), "f")], fast=fast)  # type: ignore[arg-type]
    assert any(isinstance(item, pa.Table) for item in watched.given)
    assert not watched.saw(CANARY)
    assert con.execute("SELECT count(*) FROM raw_events WHERE has_text").fetchall() == [(6,)]
    # per file: the lenient and the over-long line; the cut last line of a.jsonl
    assert con.execute("SELECT count(*) FROM quarantined_events WHERE has_text").fetchall() == [(5,)]


def test_a_run_with_a_small_memory_limit_leaves_no_raw_text_under_the_warehouse_and_reports(tmp_path: Path
                                                                                           ) -> None:
    log = Log()
    for u in range(300):
        user = f"u{u}"
        log.assign(user, "control" if u % 2 else "prompt_empathy", u / 10)
        log.draft(user, f"d{u}", u / 10 + 1, 0.9, "ab", text=CANARY, meta={"text": CANARY})
    events_root, registry = log.write(tmp_path / "in")
    day_folder = next(events_root.iterdir())
    (day_folder / "lenient.jsonl").write_bytes(lines('{"event_id": "l", "text": "' + CANARY + '",}'))
    out = tmp_path / "out"
    summary = run(Settings(events_root, registry, out / "w.duckdb", out / "reports", memory_limit="64MB"))
    assert summary is not None
    found = [p for p in out.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]
    assert found == []
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    assert con.execute("SELECT sum(count) FROM data_quality WHERE reason = 'text_field_scrubbed'").fetchall() == [
        (301,)]


# --- defect 1: DuckDB's spill folder ----------------------------------------------------------------------


def test_spill_files_a_killed_run_left_are_removed_when_the_warehouse_is_opened_for_writing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    folder = tmp_path / "w.duckdb.tmp"
    folder.mkdir()
    stale = [folder / "duckdb_temp_4194304_0_storage_DEFAULT-0.tmp", folder / "duckdb_temp_4194304_0_owner",
             folder / "duckdb_temp_block-4611686018427388032.block"]
    for path in stale:
        path.write_bytes(CANARY.encode())
    (folder / "notes.txt").write_text("not DuckDB's")
    reader = duckdb.connect(str(db), read_only=True)
    warehouse.configure(reader)  # a reader does not hold the warehouse: a writer may be spilling
    reader.close()
    assert all(p.exists() for p in stale)
    con = duckdb.connect(str(db))
    warehouse.configure(con)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [(str(folder),)]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_spill_files_in_use_by_this_process_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    warehouse.configure(con, memory_limit="20MB")
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE TEMP TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(2000000)")
    in_use = con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchall()[0][0]
    assert in_use > 0
    ours = f"duckdb_temp_{os.getpid()}_"
    assert spill.remove_stale_spill_files(con, spill.temp_directory(str(db))) == []
    assert all(p.name.startswith(ours) for p in spill.temp_directory(str(db)).iterdir())
    assert con.execute("SELECT count(*), sum(length(s)) FROM big").fetchall() == [(2_000_000, 64_000_000)]


def test_a_jsonl_file_that_vanishes_before_it_is_read_is_unreadable_and_the_date_loads(tmp_path: Path) -> None:
    folder = tmp_path / "events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(lines(good("a")))
    (folder / "gone.jsonl").write_bytes(lines(good("g")))
    files = sorted(folder.iterdir())
    (folder / "gone.jsonl").unlink()  # listed, then removed (an upload tool cleaning up)
    con = duckdb.connect()
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    warehouse._load(con, [warehouse._Partition(DAY, files, "f")], fast=True)
    assert event_ids(con) == ["a"]
    assert con.execute("SELECT source_file, finding FROM ingested_files ORDER BY 1").fetchall() == [
        (f"dt={DAY}/a.jsonl", None), (f"dt={DAY}/gone.jsonl", "unreadable_file")]


@pytest.mark.parametrize("offset", [0, 389, 392])  # 389, 392: the key straddles two 1000-byte pieces
def test_text_on_a_line_too_long_to_read_is_counted(tmp_path: Path, offset: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gzip_stream, "READ_BYTES", 1000)  # the key falls across pieces, long after the 1 MiB
    long_line = '{"event_id": "x", "pad": "' + "a" * ((1 << 20) + 5000 + offset) + '", "te\\u0078t": "' + CANARY + '"}'
    con = load(tmp_path, {"a.jsonl": lines(long_line, good("b"))})
    assert quarantined(con) == [(1, "not_json", "line longer than 1,048,576 bytes: not read", True)]
    assert event_ids(con) == ["b"]


def test_a_jsonl_file_failing_part_way_keeps_the_lines_read_before(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(f: Any) -> Any:
        yield lines(good("a"), good("b"))
        raise OSError("Input/output error")

    monkeypatch.setattr(ingest_jsonl, "_plain", failing)
    con = load(tmp_path, {"a.jsonl": lines(good("a"), good("b"), good("c"))})
    assert event_ids(con) == ["a", "b"]
    assert con.execute("SELECT rows_read, finding, detail FROM ingested_files").fetchall() == [
        (2, "unreadable_file", "Input/output error")]


def test_a_warehouse_from_before_has_text_on_quarantine_rows_gets_the_column(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE quarantined_events (arrival_date DATE NOT NULL, source_file VARCHAR NOT NULL, "
                "line_no BIGINT, reason VARCHAR NOT NULL, field VARCHAR, detail VARCHAR, event_id VARCHAR, "
                "event_type VARCHAR)")  # as sql/schema.sql created it before
    con.execute("INSERT INTO quarantined_events (arrival_date, source_file, reason) VALUES ('2026-03-01', 'f', 'x')")
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    assert con.execute("SELECT has_text FROM quarantined_events").fetchall() == [(False,)]
