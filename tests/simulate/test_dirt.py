"""Dirt is extra rows/files only: exact data-quality counts, and the truth of the analysis is untouched."""

from __future__ import annotations

import gzip
import json
import zlib

import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.simulate import Dirt, SimulationSummary, compute_truth
from pipelines.simulate.constants import ALL_REASONS, CANARY, QUARANTINE_REASONS
from pipelines.simulate.truth import events_frame
from pipelines.simulate.writer import truncated_gzip

from .conftest import lines_of
from .reader import read_log

E = "reconsider_prompt_2026q1"
NOT_EMITTED = {"unreadable_file", "conflicting_duplicate", "trigger_without_draft"}


@pytest.mark.parametrize("run", ["dirty_jsonl", "dirty_parquet", "clean_jsonl", "clean_parquet"])
def test_an_independent_reader_finds_exactly_the_expected_counts(run: str, request: pytest.FixtureRequest) -> None:
    sim: SimulationSummary = request.getfixturevalue(run)
    res = read_log(sim.events_dir)
    dq = sim.truth["data_quality"]
    delivery = [
        r
        for r in ALL_REASONS
        if r
        not in {
            "unknown_experiment",
            "unknown_variant",
            "outside_experiment_dates",
            "contaminated_user",
            "trigger_without_assignment",
            "trigger_variant_mismatch",
            "trigger_without_draft",
        }
    ]
    assert {r: res.counts.get(r, 0) for r in delivery} == {r: dq[r] for r in delivery}
    assert len(res.valid) == sim.truth["events"]["valid"]
    assert res.rows == sim.truth["events"]["delivered_rows"]
    # the truth recomputed from what the reader kept is the truth.json of the run (metrics, SRM, findings)
    again = compute_truth(events_frame(res.valid), yaml.safe_load(sim.registry_path.read_text()))
    for key in ("metrics", "sample_ratio"):
        assert again["experiments"][E][key] == sim.truth["experiments"][E][key]
    assert again["findings"] == {r: dq[r] for r in again["findings"]}
    # junk event ids never collide with real ones
    assert not set(res.quarantined_ids) & {r["event_id"] for r in res.valid}


def test_default_dirt_emits_every_reason_code(dirty_jsonl: SimulationSummary) -> None:
    dq = dirty_jsonl.truth["data_quality"]
    assert set(dq) == set(ALL_REASONS)
    assert all(dq[r] > 0 for r in ALL_REASONS if r not in NOT_EMITTED), dq
    assert all(dq[r] == 0 for r in NOT_EMITTED)
    by_date = dirty_jsonl.truth["data_quality_by_date"]
    for r in ALL_REASONS:
        assert sum(day.get(r, 0) for day in by_date.values()) == dq[r], r


def test_dirt_leaves_the_experiment_truth_unchanged(
    clean_jsonl: SimulationSummary, dirty_jsonl: SimulationSummary, dirty_parquet: SimulationSummary
) -> None:
    clean = clean_jsonl.truth["experiments"][E]
    for dirty in (dirty_jsonl.truth["experiments"][E], dirty_parquet.truth["experiments"][E]):
        assert dirty["metrics"] == clean["metrics"]
        assert dirty["parameters"] == clean["parameters"]
        assert dirty["arms"] == clean["arms"]
        # only the sample-ratio count moves: contaminated (extra) users count under their first arm (§3, §7)
        extra = {a: dirty["sample_ratio"]["observed"][a] - clean["sample_ratio"]["observed"][a] for a in clean["arms"]}
        assert min(extra.values()) >= 0
        assert sum(extra.values()) == dirty_jsonl.truth["data_quality"]["contaminated_user"]


def test_clean_run_has_no_dirt(clean_parquet: SimulationSummary) -> None:
    assert all(v == 0 for v in clean_parquet.truth["data_quality"].values())
    assert clean_parquet.truth["events"]["delivered_rows"] == clean_parquet.truth["events"]["valid"]
    assert Dirt.none().late_share == 0 and Dirt.none().truncated_gzip_files == 0


def test_truncated_gzip_keeps_only_complete_duplicate_lines(dirty_jsonl: SimulationSummary) -> None:
    [path] = [p for p in dirty_jsonl.files if p.name.startswith("resend-")]
    d = zlib.decompressobj(31)
    data = d.decompress(path.read_bytes())
    assert not d.eof  # cut off: no end-of-stream
    assert data.endswith(b"\n")
    lines = data.decode().splitlines()
    assert 0 < len(lines) < 40
    with pytest.raises(EOFError), gzip.open(path, "rt") as fh:  # a streaming reader gets the lines, then fails
        got = []
        for line in fh:
            got.append(line.rstrip("\n"))
    assert got == lines
    # every readable line is a copy of an event delivered in a regular file of the same day
    others = set()
    for p in path.parent.iterdir():
        if p != path and not p.name.startswith("empty"):
            others.update(lines_of(p))
    assert set(lines) <= others


def test_truncated_gzip_helper_counts_readable_lines() -> None:
    data, readable = truncated_gzip([json.dumps({"i": i}) for i in range(10)], 0.6)
    assert readable == 6
    assert zlib.decompressobj(31).decompress(data).count(b"\n") == 6


def test_canary_rows_carry_raw_text_only_where_planned(
    dirty_jsonl: SimulationSummary, dirty_parquet: SimulationSummary
) -> None:
    n = 0
    for p in dirty_jsonl.files:
        for line in lines_of(p):
            if CANARY in line:
                rec = json.loads(line)
                assert CANARY in rec["text"] and rec["event_type"] in ("comment_draft_submitted", "comment_posted")
                n += 1
    assert n == dirty_jsonl.truth["data_quality"]["text_field_scrubbed"] > 0
    with_text = [p for p in dirty_parquet.files if p.suffix == ".parquet" and "text" in pq.read_schema(p).names]
    assert with_text and all(p.name.startswith("client-rc") for p in with_text)
    rows = sum(pq.read_metadata(p).num_rows for p in with_text)
    assert rows == dirty_parquet.truth["data_quality"]["text_field_scrubbed"]


def test_line_junk_of_a_parquet_run_is_in_jsonl_files(dirty_parquet: SimulationSummary) -> None:
    reasons = set()
    for p in dirty_parquet.files:
        if p.name.startswith(("junk-", "cutoff-")):
            reasons.add(p.name.split("-")[0])
    assert "junk" in reasons
    dq = dirty_parquet.truth["data_quality"]
    assert all(dq[r] > 0 for r in QUARANTINE_REASONS)
    nan_scores = 0
    for p in dirty_parquet.files:
        if p.suffix == ".parquet":
            nan_scores += sum(
                1
                for v in pq.read_table(p, columns=["toxicity_score"]).column(0).to_pylist()
                if v is not None and v != v
            )
    assert nan_scores > 0  # NaN is a score_out_of_range case only a typed double column can hold


def test_dirt_rates_are_configurable(tmp_path_factory: pytest.TempPathFactory) -> None:
    from dataclasses import replace

    from pipelines.simulate import simulate

    dirt = replace(Dirt.none(), late_share=0.3, duplicate_share=0.05)
    sim = simulate(tmp_path_factory.mktemp("rates"), users=300, days=3, seed=9, dirt=dirt)
    dq, valid = sim.truth["data_quality"], sim.truth["events"]["valid"]
    assert dq["late_event"] / valid == pytest.approx(0.3, abs=0.02)
    assert dq["duplicate_event"] / valid == pytest.approx(0.05 * 1.1, abs=0.01)
    assert sum(dq[r] for r in QUARANTINE_REASONS) == 0 and dq["contaminated_user"] == 0
