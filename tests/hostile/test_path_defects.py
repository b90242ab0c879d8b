"""Issue 14, defects 4 to 7: the files read are exactly those found, whatever their paths and names; a
warehouse that cannot be opened says why; what is not read is named. Each test fails without its fix."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.raw import ingest, warehouse
from tests.test_ingest import good, lines

DAY = "2026-03-02"


def parquet_file(path: Path, *event_ids: str, **extra: list[object]) -> None:
    """A Parquet log file with one valid draft_discarded event per id, plus the ``extra`` columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(event_ids)
    pq.write_table(pa.table({
        "event_id": list(event_ids), "event_type": ["draft_discarded"] * n,
        "event_ts": pa.array([1772445600000000] * n, pa.timestamp("us", tz="UTC")),
        "user_id": ["u1"] * n, "schema_version": pa.array([1] * n, pa.int32()), "draft_id": ["d1"] * n,
        **extra,
    }), path)


def load(tmp_path: Path, events_root: Path, *, fast: bool) -> duckdb.DuckDBPyConnection:
    """The warehouse after loading DAY from ``events_root``: the grouped scan when ``fast``, else each file on
    its own (the path taken when a date's scan fails)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    files = ingest.partition_files(events_root, DAY)
    warehouse._load(con, [warehouse._Partition(DAY, files, "f")], fast=fast)
    return con


def loaded(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    return [(str(f), str(e), int(n)) for f, e, n in con.execute(
        "SELECT source_file, event_id, line_no FROM raw_events ORDER BY ALL").fetchall()]


# --- defect 4: glob characters in the events root ---------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["grouped", "file_by_file"])
@pytest.mark.parametrize(("root", "sibling"), [
    ("ev[1]", "ev1"),  # read ev1's files instead
    ("evA*", "evAB"),  # read its own files and evAB's: every file twice
    ("e?x", "eax"),
    ("q\\[x]", "q[x]"),  # a backslash before [ defeats any escaping of the pattern
])
def test_an_events_root_with_glob_characters_reads_its_own_files_only(tmp_path: Path, root: str, sibling: str,
                                                                    fast: bool) -> None:
    for name, tag in ((root, "own"), (sibling, "other")):
        parquet_file(tmp_path / name / f"dt={DAY}" / "a.parquet", f"{tag}-a1", f"{tag}-a2")
        parquet_file(tmp_path / name / f"dt={DAY}" / "b[1].parquet", f"{tag}-b1")
    con = load(tmp_path, tmp_path / root, fast=fast)
    assert loaded(con) == [(f"dt={DAY}/a.parquet", "own-a1", 1), (f"dt={DAY}/a.parquet", "own-a2", 2),
                           (f"dt={DAY}/b[1].parquet", "own-b1", 1)]
    assert con.execute("SELECT count(*) FROM ingested_files WHERE finding IS NOT NULL").fetchall() == [(0,)]


@pytest.mark.parametrize("fast", [True, False], ids=["grouped", "file_by_file"])
def test_key_value_folders_above_a_file_do_not_become_its_columns(tmp_path: Path, fast: bool) -> None:
    """DuckDB detects Hive partitioning from the path by default: a root under ``user_id=evil/`` gave every
    row that user id (and the ``dt=`` folder replaced a file's own ``dt`` column)."""
    root = tmp_path / "user_id=evil" / "event_type=comment_removed"
    parquet_file(root / f"dt={DAY}" / "a.parquet", "a1", dt=["not a date"])
    con = load(tmp_path, root, fast=fast)
    assert con.execute("SELECT event_id, event_type, user_id FROM raw_events").fetchall() == [
        ("a1", "draft_discarded", "u1")]


def test_jsonl_under_a_root_with_glob_characters_is_read_from_that_root(tmp_path: Path) -> None:
    for name, tag in (("ev[1]", "own"), ("ev1", "other")):
        folder = tmp_path / name / f"dt={DAY}"
        folder.mkdir(parents=True)
        (folder / "a.jsonl").write_bytes(lines(good(f"{tag}-1")))
    con = load(tmp_path, tmp_path / "ev[1]", fast=True)
    assert [r[1] for r in loaded(con)] == ["own-1"]


def test_literal_paths_never_hand_duckdb_a_pattern(tmp_path: Path) -> None:
    from pipelines.raw.ingest_parquet import GLOB_CHARACTERS, literal_paths

    paths = [tmp_path / "plain.parquet", tmp_path / "x*" / "a[1]?.parquet"]
    with literal_paths(paths) as literal:
        assert literal[0] == str(paths[0])  # nothing to hide: read as it is
        assert not GLOB_CHARACTERS & set(literal[1]) and Path(literal[1]).resolve() == paths[1].resolve()
    assert not Path(literal[1]).parent.exists()  # the links' folder is gone after the block


def test_links_are_not_made_under_a_temporary_folder_with_glob_characters(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A link there would be a pattern again: refused (the file is then reported unreadable, never misread)."""
    import tempfile

    from pipelines.raw.ingest_parquet import literal_paths

    odd_tmp = tmp_path / "tmp[1]"
    odd_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd_tmp))
    with pytest.raises(OSError, match="glob characters"), literal_paths([tmp_path / "a*.parquet"]):
        pass
    assert list(odd_tmp.iterdir()) == []  # and nothing is left behind


# --- defect 6: a file column named like one of DuckDB's virtual columns ------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["grouped", "file_by_file"])
@pytest.mark.parametrize("column", ["file_row_number", "filename", "file_index"])
def test_an_extra_column_named_like_a_duckdb_virtual_column_is_ignored(tmp_path: Path, column: str,
                                                                       fast: bool) -> None:
    root = tmp_path / "events"
    extra: dict[str, list[object]] = {column: ["x", "y", "z"], "text": ["CANARY-VIRTUAL", None, None]}
    parquet_file(root / f"dt={DAY}" / "odd.parquet", "o1", "o2", "o3", **extra)
    parquet_file(root / f"dt={DAY}" / "plain.parquet", "p1")
    con = load(tmp_path, root, fast=fast)
    assert loaded(con) == [(f"dt={DAY}/odd.parquet", "o1", 1), (f"dt={DAY}/odd.parquet", "o2", 2),
                           (f"dt={DAY}/odd.parquet", "o3", 3), (f"dt={DAY}/plain.parquet", "p1", 1)]
    assert con.execute("SELECT count(*) FROM ingested_files WHERE finding IS NOT NULL").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM raw_events WHERE has_text").fetchall() == [(1,)]
    con.close()
    assert b"CANARY-VIRTUAL" not in (tmp_path / "w.duckdb").read_bytes()


def test_a_file_read_on_its_own_keeps_its_line_numbers_across_batches(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.raw import ingest_parquet

    monkeypatch.setattr(ingest_parquet, "_BATCH_ROWS", 2)
    root = tmp_path / "events"
    parquet_file(root / f"dt={DAY}" / "a.parquet", *(f"e{i}" for i in range(5)), file_row_number=list("abcde"))
    con = load(tmp_path, root, fast=True)
    assert [(e, n) for _, e, n in loaded(con)] == [(f"e{i}", i + 1) for i in range(5)]


def test_a_parquet_file_damaged_part_way_keeps_and_counts_the_rows_before_the_damage(tmp_path: Path) -> None:
    """Read on its own, batch by batch: the rows before the damage count (event-log-v1 §2), and the file's
    report says how many were read — not 0 beside rows that were loaded."""
    root = tmp_path / "events"
    path = root / f"dt={DAY}" / "a.parquet"
    parquet_file(path, *(f"e{i}" for i in range(6)))
    pq.write_table(pq.read_table(path), path, row_group_size=2, compression="none")
    last = pq.ParquetFile(path).metadata.row_group(2)
    data = bytearray(path.read_bytes())
    for c in range(last.num_columns):  # every page header of the last row group
        column = last.column(c)
        offset = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
        data[offset: offset + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    con = load(tmp_path, root, fast=False)
    assert [e for _, e, _ in loaded(con)] == ["e0", "e1", "e2", "e3"]
    assert con.execute("SELECT rows_read, rows_valid, rows_quarantined, finding FROM ingested_files").fetchall() == [
        (4, 4, 0, "unreadable_file")]


# --- defect 7: what is not read is named --------------------------------------------------------------------


def test_a_partition_folder_in_capitals_or_a_folder_of_log_files_is_named_as_not_read(tmp_path: Path) -> None:
    for name in (f"dt={DAY}", "DT=2026-03-03", " dt=2026-03-04", "logs", "empty"):
        (tmp_path / name).mkdir()
    (tmp_path / "logs" / "a.jsonl").write_bytes(lines(good("a")))
    assert ingest.arrival_dates(tmp_path) == [DAY]
    assert ingest.unread_entries(tmp_path) == [
        " dt=2026-03-04/: not dt=YYYY-MM-DD with a real date",
        "DT=2026-03-03/: not dt=YYYY-MM-DD with a real date",
        "logs/: holds log files but is not a dt=YYYY-MM-DD folder",
    ]


def test_entries_of_a_partition_that_are_not_regular_files_inside_the_root_are_named_and_not_read(
        tmp_path: Path) -> None:
    import os

    root = tmp_path / "events"
    folder = root / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(lines(good("a")))
    (folder / "dangling.jsonl").symlink_to(tmp_path / "missing.jsonl")
    (folder / "loop.jsonl").symlink_to(folder / "loop.jsonl")
    os.mkfifo(folder / "pipe.jsonl")  # opening it would block the run
    secret = tmp_path / "secret.jsonl"
    secret.write_bytes(lines(good("secret")))
    (folder / "out.jsonl").symlink_to(secret)
    (root / ".store").mkdir()
    (root / ".store" / "kept.jsonl").write_bytes(lines(good("kept")))
    (folder / "in.jsonl").symlink_to(root / ".store" / "kept.jsonl")
    assert [p.name for p in ingest.partition_files(root, DAY)] == ["a.jsonl", "in.jsonl"]
    assert ingest.unread_entries(root) == [
        f"dt={DAY}/dangling.jsonl: a symbolic link to nothing (its target does not exist)",
        f"dt={DAY}/loop.jsonl: a symbolic link that loops (not followed)",
        f"dt={DAY}/out.jsonl: a symbolic link to outside the events root (not followed)",
        f"dt={DAY}/pipe.jsonl: a FIFO (named pipe), not a regular file",
    ]
    con = load(tmp_path, root, fast=True)
    assert [e for _, e, _ in loaded(con)] == ["a", "kept"]


def test_a_partition_folder_linked_from_outside_the_root_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "events"
    root.mkdir()
    parquet_file(tmp_path / "elsewhere" / "a.parquet", "x")
    (root / f"dt={DAY}").symlink_to(tmp_path / "elsewhere")
    assert ingest.arrival_dates(root) == []
    assert ingest.partition_files(root, DAY) == []
    assert ingest.unread_entries(root) == [f"dt={DAY}: a symbolic link to outside the events root (not followed)"]


def test_an_events_root_that_is_itself_a_link_is_read(tmp_path: Path) -> None:
    parquet_file(tmp_path / "real" / f"dt={DAY}" / "a.parquet", "x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert ingest.arrival_dates(tmp_path / "link") == [DAY]
    assert [p.name for p in ingest.partition_files(tmp_path / "link", DAY)] == ["a.parquet"]
    assert ingest.unread_entries(tmp_path / "link") == []


def test_a_name_with_a_control_character_is_shown_on_one_line(tmp_path: Path) -> None:
    (tmp_path / f"dt={DAY}\n").mkdir()
    (tmp_path / "a\x1b[2J.jsonl").write_text("")
    assert ingest.unread_entries(tmp_path) == [
        "a\\x1b[2J.jsonl: a file outside any dt=YYYY-MM-DD folder",
        f"dt={DAY}\\n/: not dt=YYYY-MM-DD with a real date",
    ]


# --- defect 5: a warehouse that cannot be opened says why ------------------------------------------------


def small_log(tmp_path: Path) -> tuple[Path, Path]:
    from tests.logbuilder import Log

    log = Log()
    for i, variant in enumerate(("control", "prompt_empathy") * 3):
        log.assign(f"u{i}", variant)
        log.draft(f"u{i}", f"d{i}", 1, 0.9, "aa")
        log.trigger(f"u{i}", f"d{i}", 1, variant)
        log.post(f"u{i}", f"d{i}", 2, 0.9, "aa" if i % 2 else "bb", f"c{i}")
    return log.write(tmp_path)


def nudge_run_error(tmp_path: Path, warehouse_file: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The error line of `nudge run` on a small log with ``warehouse_file``; fails unless it exits with 2 and
    exactly one error line."""
    from pipelines import cli

    events_root, registry = small_log(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["run", "--events", str(events_root), "--registry", str(registry),
                  "--warehouse", str(warehouse_file), "--reports", str(tmp_path / "reports")])
    assert stopped.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nudge: error:")]
    assert len(errors) == 1
    # found before the graph is launched (nothing recorded, no partitions registered), with the file named
    assert errors[0].startswith(f"nudge: error: cannot open the warehouse {warehouse_file}: ")
    return errors[0]


def test_a_warehouse_that_is_not_a_duckdb_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "w.duckdb"
    garbage.write_bytes(b"not a database\n" * 100)
    error = nudge_run_error(tmp_path, garbage, capsys)
    assert "not a valid DuckDB database file" in error


def test_a_damaged_warehouse_gives_duckdbs_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "w.duckdb"
    con = duckdb.connect(str(damaged))
    con.execute("CREATE TABLE t AS SELECT range AS x, 'row ' || range AS y FROM range(300000)")
    con.close()
    data = bytearray(damaged.read_bytes())
    block = 256 * 1024
    for offset in range(3 * block + 100, len(data), block):  # every block after the file and database headers
        data[offset: offset + 64] = b"\xaa" * 64
    damaged.write_bytes(bytes(data))
    assert "checksum" in nudge_run_error(tmp_path, damaged, capsys)


@contextmanager
def held_by_another_process(database: Path) -> Iterator[int]:
    """A subprocess holding a read-write DuckDB connection to ``database`` for the block; yields its PID."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()


def test_a_warehouse_locked_by_another_process_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "w.duckdb"
    with held_by_another_process(locked) as pid:
        error = nudge_run_error(tmp_path, locked, capsys)
    assert "Conflicting lock is held" in error and f"PID {pid}" in error


def test_a_nudge_run_in_progress_is_named_before_the_lock_it_holds(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg
    from dagster._core.test_utils import create_run_for_test

    from pipelines.cli import run
    from pipelines.errors import CliError
    from pipelines.resources import Settings
    from tests.test_run_in_instance import new_dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(new_dagster_home(tmp_path)))
    with dg.DagsterInstance.get() as instance:
        create_run_for_test(instance, job_name="analyse_experiments", status=dg.DagsterRunStatus.STARTED)
    events_root, registry = small_log(tmp_path)
    with held_by_another_process(tmp_path / "w.duckdb"), pytest.raises(CliError, match="^runs in progress in"):
        run(Settings(events_root, registry, tmp_path / "w.duckdb", tmp_path / "reports"))


def test_a_run_whose_resources_fail_gives_the_innermost_cause(tmp_path: Path) -> None:
    """What the warehouse check before the run cannot catch (the file damaged or taken after it) still reaches
    the user: the Dagster run's own failure, not 'see the Dagster logs' (an in-process run writes none)."""
    from pipelines import cli
    from pipelines.definitions import ANALYSIS_JOB, build_definitions
    from pipelines.errors import CliError
    from pipelines.resources import Settings

    events_root, registry = small_log(tmp_path)
    garbage = tmp_path / "w.duckdb"
    garbage.write_bytes(b"not a database\n" * 100)
    settings = Settings(events_root, registry, garbage, tmp_path / "reports")
    result = build_definitions(settings).resolve_job_def(ANALYSIS_JOB).execute_in_process(
        raise_on_error=False, run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    with pytest.raises(CliError, match=r"^the run could not start: IO Error: .* not a valid DuckDB database file"):
        cli._raise_on_failure(result)


def test_a_failed_step_is_named_with_its_innermost_cause_first() -> None:
    """Events as Dagster records them (only the attributes read): a step failure wins over the run's failure,
    and its message is the innermost error's first line without its class name."""
    from types import SimpleNamespace

    from pipelines.errors import run_failure_reason

    def error(cls_name: str, message: str, cause: object = None) -> SimpleNamespace:
        return SimpleNamespace(cls_name=cls_name, message=message, cause=cause)

    duckdb_error = error("Error", "_duckdb.Error: Corrupt database file: computed checksum 1 does not match stored "
                                  "checksum 2 in block at location 9\nmore detail\n")
    events = [
        SimpleNamespace(event_type_value="STEP_START", is_step_failure=False, step_key="raw_events",
                        event_specific_data=None),
        SimpleNamespace(event_type_value="STEP_FAILURE", is_step_failure=True, step_key="raw_events",
                        event_specific_data=SimpleNamespace(error=error(
                            "DagsterExecutionStepExecutionError", "Error occurred while executing op", duckdb_error))),
        SimpleNamespace(event_type_value="PIPELINE_FAILURE", is_step_failure=False, step_key=None,
                        event_specific_data=SimpleNamespace(error=error("DagsterError", "run failed"))),
    ]
    assert run_failure_reason(events) == ("step raw_events failed: Corrupt database file: computed checksum 1 does "
                                          "not match stored checksum 2 in block at location 9")
    assert run_failure_reason(events[2:]) == "the run failed: run failed"


# --- the whole command on a hostile events folder ----------------------------------------------------------


def test_nudge_run_on_a_hostile_events_folder_reads_exactly_its_files_and_names_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A root ``ev[1]`` beside ``ev1``; a ``dt=…\\n`` folder beside its date (an IntegrityError traceback
    once: the date was found twice); a FIFO, a broken link and a link out of the root in a partition. The run
    finishes, reads the root's own files once, and names each entry it does not read."""
    import os

    from pipelines import cli

    events_root, registry = small_log(tmp_path / "log")
    root = tmp_path / "ev[1]"
    events_root.rename(root)
    (tmp_path / "ev1").mkdir()
    days = sorted(p.name for p in root.iterdir())
    for day in days:  # the sibling holds other events for every date
        (tmp_path / "ev1" / day).mkdir()
        (tmp_path / "ev1" / day / "x.jsonl").write_bytes(lines(good("sibling", event_ts=f"{day[3:]}T12:00:00Z")))
    first = root / days[0]
    (root / f"{days[0]}\n").mkdir()
    (root / f"{days[0]}\n" / "copy.jsonl").write_bytes((first / "part-0.jsonl").read_bytes())
    os.mkfifo(first / "pipe.jsonl")
    (first / "broken.jsonl").symlink_to(tmp_path / "missing.jsonl")
    (first / "out.jsonl").symlink_to(tmp_path / "ev1" / days[0] / "x.jsonl")

    cli.main(["run", "--events", str(root), "--registry", str(registry),
              "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "reports")])
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nudge: warning: not read")]
    assert [w.removeprefix(f"nudge: warning: not read: {root}/") for w in warnings] == [
        f"{days[0]}/broken.jsonl: a symbolic link to nothing (its target does not exist)",
        f"{days[0]}/out.jsonl: a symbolic link to outside the events root (not followed)",
        f"{days[0]}/pipe.jsonl: a FIFO (named pipe), not a regular file",
        f"{days[0]}\\n/: not dt=YYYY-MM-DD with a real date",
    ]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    files = con.execute("SELECT DISTINCT source_file FROM raw_events ORDER BY 1").fetchall()
    assert files == [(f"{day}/part-0.jsonl",) for day in days]
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM raw_events").fetchall() == [(24, 24)]


def test_a_file_whose_name_is_not_utf8_is_named_and_not_read(tmp_path: Path) -> None:
    """Its name cannot be recorded as source_file (UTF-8 text): it crashed the run's fingerprint of the date.
    Decoded with replacement characters, two such names could become one."""
    import os

    root = tmp_path / "events"
    folder = root / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(lines(good("a")))
    with open(os.path.join(os.fsencode(folder), b"b\xff.jsonl"), "wb") as odd:
        odd.write(lines(good("b")))
    assert [p.name for p in ingest.partition_files(root, DAY)] == ["a.jsonl"]
    assert ingest.unread_entries(root) == [f"dt={DAY}/b\\udcff.jsonl: a name that is not UTF-8 (not read)"]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.configure(con)
    warehouse.ensure_schema(con)
    warehouse.load_arrival_dates(con, root, [DAY])
    assert [e for _, e, _ in loaded(con)] == ["a"]


@pytest.mark.parametrize("fast", [True, False], ids=["grouped", "file_by_file"])
def test_a_column_given_twice_is_read_from_its_first_occurrence(tmp_path: Path, fast: bool) -> None:
    """As a JSON line's repeated key (the first counts); read on its own, the file raised KeyError and stopped
    the run."""
    root = tmp_path / "events"
    path = root / f"dt={DAY}" / "a.parquet"
    parquet_file(path, "first")
    table = pq.read_table(path)
    table = table.append_column("event_id", pa.array(["second"])).append_column("text", pa.array(["CANARY-DUP"]))
    pq.write_table(table.append_column("text", pa.array([None], pa.string())), path)
    con = load(tmp_path, root, fast=fast)
    assert [e for _, e, _ in loaded(con)] == ["first"]
    assert con.execute("SELECT count(*) FROM raw_events WHERE has_text").fetchall() == [(1,)]


@pytest.mark.parametrize("fast", [True, False], ids=["grouped", "file_by_file"])
def test_extra_columns_named_like_the_staging_columns_are_ignored(tmp_path: Path, fast: bool) -> None:
    root = tmp_path / "events"
    parquet_file(root / f"dt={DAY}" / "a.parquet", "a1", "a2", arrival_date=["1999-01-01"] * 2,
                 source_file=["elsewhere"] * 2, line_no=[7, 7], has_text=[True, True], parse_error=["x", "x"])
    con = load(tmp_path, root, fast=fast)
    assert loaded(con) == [(f"dt={DAY}/a.parquet", "a1", 1), (f"dt={DAY}/a.parquet", "a2", 2)]
    assert con.execute("SELECT count(*) FROM raw_events WHERE has_text OR arrival_date <> $d",
                       {"d": DAY}).fetchall() == [(0,)]
