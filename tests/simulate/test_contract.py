"""The files of a clean run conform to event-log-v1 exactly; registry and truth.json layout."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipelines.simulate import SimulationSummary
from pipelines.simulate.truth_metrics import METRICS

from .conftest import SMALL, lines_of
from .reader import COMMON, FIELDS, classify

E = "reconsider_prompt_2026q1"
ARMS = ["control", "prompt_neutral", "prompt_empathy"]


def test_every_jsonl_line_of_a_clean_run_is_a_valid_event_with_exactly_its_fields(
    clean_jsonl: SimulationSummary,
) -> None:
    ids = set()
    n = 0
    gz = plain = 0
    for path in clean_jsonl.files:
        dt = date.fromisoformat(path.parent.name[3:])
        gz += path.name.endswith(".jsonl.gz")
        plain += path.name.endswith(".jsonl")
        lines = lines_of(path)
        assert lines[-1] == "", f"{path} must end with a newline"
        for line in lines[:-1]:
            rec = json.loads(line)
            assert set(rec) == {*COMMON, *FIELDS[rec["event_type"]]}, line
            assert classify(rec, dt) is None, line
            assert rec["event_ts"].endswith("Z") or rec["event_ts"].endswith("+01:00")
            ts = datetime.fromisoformat(rec["event_ts"]).astimezone(UTC)
            assert dt - timedelta(days=2) <= ts.date() <= dt
            assert rec["event_id"] not in ids
            ids.add(rec["event_id"])
            n += 1
    assert n == clean_jsonl.valid_events == clean_jsonl.delivered_rows
    assert gz and plain, "both .jsonl and .jsonl.gz files are exercised"


def test_several_part_files_per_day(clean_jsonl: SimulationSummary) -> None:
    end = date(2026, 1, 5) + timedelta(days=SMALL["days"] - 1)
    per_day: dict[str, int] = {}
    for p in clean_jsonl.files:
        if p.name.startswith("part-") and date.fromisoformat(p.parent.name[3:]) <= end:
            per_day[p.parent.name] = per_day.get(p.parent.name, 0) + 1
    assert len(per_day) == 14 + SMALL["days"]  # pre-period and experiment days
    assert min(per_day.values()) >= 3


def test_parquet_files_have_the_contract_types(clean_parquet: SimulationSummary) -> None:
    expected = {
        "event_ts": pa.timestamp("us", tz="UTC"),
        "schema_version": pa.int32(),
        "toxicity_score": pa.float64(),
        "text_length": pa.int64(),
        "shown": pa.bool_(),
    }
    n = 0
    for path in clean_parquet.files:
        assert path.name.endswith(".parquet")
        schema = pq.read_schema(path)
        assert set(schema.names) >= {*COMMON, *(f for fs in FIELDS.values() for f in fs)}
        for field in schema:
            assert field.type == expected.get(field.name, pa.string()), (path, field)
        dt = date.fromisoformat(path.parent.name[3:])
        for rec in pq.read_table(path).to_pylist():
            assert classify(rec, dt) is None
            for f in set(rec) - {*COMMON, *FIELDS[rec["event_type"]]}:
                assert rec[f] is None, (f, rec)  # one wide schema: other types' columns are null
            n += 1
    assert n == clean_parquet.valid_events


def test_registry_is_exactly_the_contract_one(clean_jsonl: SimulationSummary) -> None:
    reg = yaml.safe_load(clean_jsonl.registry_path.read_text())
    start = date(2026, 1, 5)
    assert reg == {
        "experiments": [
            {
                "id": E,
                "start": start,
                "end": start + timedelta(days=SMALL["days"] - 1),
                "control": "control",
                "variants": {"control": 0.5, "prompt_neutral": 0.25, "prompt_empathy": 0.25},
                "trigger_threshold": 0.8,
                "guardrail_margin": -0.05,
            }
        ]
    }


def test_truth_json_layout(clean_jsonl: SimulationSummary) -> None:
    truth = json.loads(clean_jsonl.truth_path.read_text())
    exp = truth["experiments"][E]
    assert exp["control"] == "control" and exp["arms"] == ARMS
    assert set(exp["sample_ratio"]["observed"]) == set(ARMS)
    assert exp["sample_ratio"]["planned"] == {"control": 0.5, "prompt_neutral": 0.25, "prompt_empathy": 0.25}
    assert set(exp["metrics"]) == set(METRICS)
    for metric in METRICS:
        block = exp["metrics"][metric]
        attempt_level = metric in ("withdraw_or_change_rate", "withdrawn_rate", "changed_rate", "defused_rate")
        assert set(block) == {"all", "country", "platform"} | ({"prompt_number"} if attempt_level else set())
        assert set(block["all"]) == {"all"}
        for dim in ("country", "platform"):
            assert block[dim], (metric, dim)
        for segs in block.values():
            for arms in segs.values():
                assert set(arms) == set(ARMS)
                for v in arms.values():
                    assert set(v) == {"value", "units"}
                    assert isinstance(v["units"], int)
                    assert v["value"] is None or isinstance(v["value"], float)
    assert "withdrawn" in exp["parameters"]["outcome_probabilities"]["control"]
    assert truth["events"]["valid"] == truth["events"]["delivered_rows"] == clean_jsonl.valid_events
    assert all(v == 0 for v in truth["data_quality"].values()), truth["data_quality"]
