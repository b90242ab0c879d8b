"""Hand-written event logs for tests: a tiny fluent builder that writes contract event-log-v1 files."""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

EXPERIMENT = "exp1"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

REGISTRY = {
    "experiments": [
        {
            "id": EXPERIMENT,
            "start": "2026-03-01",
            "end": "2026-03-31",
            "control": "control",
            "variants": {"control": 0.5, "prompt_empathy": 0.5},
            "trigger_threshold": 0.8,
        }
    ]
}


def ts(minutes: float, base: datetime = START) -> str:
    return (base + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Log:
    """Collects events; `write` lands them in dt= folders (by event date unless `arrival` is given)."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (arrival date, event)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add(self, event_type: str, user: str, minutes: float, *, arrival: str | None = None, **fields: Any) -> dict:
        event = {
            "event_id": f"ev{next(self.ids)}", "event_type": event_type, "event_ts": ts(minutes),
            "user_id": user, "schema_version": 1, "country": "DE", "platform": "ios", "app_version": "1.0",
            **fields,
        }
        day = arrival or event["event_ts"][:10]
        self.events.append((day, event))
        return event

    def assign(self, user: str, variant: str, minutes: float = 0, **kw: Any) -> dict:
        return self.add("experiment_assignment", user, minutes, experiment_id=kw.pop("experiment_id", EXPERIMENT),
                        variant=variant, **kw)

    def draft(self, user: str, draft: str, minutes: float, score: float, text_hash: str, **kw: Any) -> dict:
        return self.add("comment_draft_submitted", user, minutes, draft_id=draft, video_id="v1",
                        toxicity_score=score, classifier_version="c1", text_hash=text_hash, text_length=12,
                        reply_to_comment_id=None, **kw)

    def trigger(self, user: str, draft: str, minutes: float, variant: str, **kw: Any) -> dict:
        shown = variant != "control"
        return self.add("nudge_triggered", user, minutes, draft_id=draft, experiment_id=kw.pop("experiment_id",
                        EXPERIMENT), variant=variant, shown=shown, prompt_id="p1" if shown else None, **kw)

    def post(self, user: str, draft: str, minutes: float, score: float, text_hash: str, comment: str,
             **kw: Any) -> dict:
        return self.add("comment_posted", user, minutes, draft_id=draft, comment_id=comment, video_id="v1",
                        toxicity_score=score, text_hash=text_hash, **kw)

    def discard(self, user: str, draft: str, minutes: float, **kw: Any) -> dict:
        return self.add("draft_discarded", user, minutes, draft_id=draft, **kw)

    def rows(self) -> list[dict[str, Any]]:
        """The events as rows of the warehouse's ``events`` table (what the raw layer makes of a valid,
        once-delivered log): each event's fields and its arrival date, for SQL unit tests (tests/sqlunit.py)."""
        return [{"arrival_date": day, **event} for day, event in self.events]

    def write(self, root: Path, *, gz: bool = False, registry: dict | None = None) -> tuple[Path, Path]:
        events_root = root / "events"
        by_day: dict[str, list[dict]] = {}
        for day, event in self.events:
            by_day.setdefault(day, []).append(event)
        for day, events in by_day.items():
            folder = events_root / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            text = "".join(json.dumps(e) + "\n" for e in events)
            if gz:
                (folder / "part-0.jsonl.gz").write_bytes(gzip.compress(text.encode()))
            else:
                (folder / "part-0.jsonl").write_text(text)
        registry_path = root / "experiments.yml"
        registry_path.write_text(yaml.safe_dump(registry or REGISTRY))
        return events_root, registry_path
