"""Contract event-log-v1 in one place: fields, types, enumerations and the reason codes of bad input.

Everything the raw layer checks is declared here as data, so the JSONL and Parquet readers and the
validation SQL agree by construction. See ``docs/definitions.md`` §1 for the order in which reasons apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["string", "timestamp", "integer", "number", "boolean"]


@dataclass(frozen=True)
class Field:
    """One field of the event log and the DuckDB type it is stored as."""

    name: str
    kind: FieldKind

    @property
    def sql_type(self) -> str:
        return {
            "string": "VARCHAR",
            "timestamp": "TIMESTAMP",
            "integer": "BIGINT",
            "number": "DOUBLE",
            "boolean": "BOOLEAN",
        }[self.kind]


FIELDS: tuple[Field, ...] = (
    Field("event_id", "string"),
    Field("event_type", "string"),
    Field("event_ts", "timestamp"),
    Field("user_id", "string"),
    Field("schema_version", "integer"),
    Field("country", "string"),
    Field("platform", "string"),
    Field("app_version", "string"),
    Field("experiment_id", "string"),
    Field("variant", "string"),
    Field("draft_id", "string"),
    Field("video_id", "string"),
    Field("toxicity_score", "number"),
    Field("classifier_version", "string"),
    Field("text_hash", "string"),
    Field("text_length", "integer"),
    Field("reply_to_comment_id", "string"),
    Field("shown", "boolean"),
    Field("prompt_id", "string"),
    Field("action", "string"),
    Field("comment_id", "string"),
    Field("reason", "string"),
    Field("removal_source", "string"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}

COMMON_REQUIRED = ("event_id", "event_type", "event_ts", "user_id", "schema_version")

#: Required fields of each event type (event-log-v1 §4), beyond the common ones.
#: ``prompt_id`` is required only when ``shown`` is true; that rule lives in the validation SQL.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "experiment_assignment": ("experiment_id", "variant"),
    "comment_draft_submitted": (
        "draft_id",
        "video_id",
        "toxicity_score",
        "classifier_version",
        "text_hash",
        "text_length",
    ),
    "nudge_triggered": ("draft_id", "experiment_id", "variant", "shown"),
    "nudge_response": ("draft_id", "action"),
    "comment_posted": ("draft_id", "comment_id", "video_id", "toxicity_score", "text_hash"),
    "draft_discarded": ("draft_id",),
    "comment_deleted_by_author": ("comment_id",),
    "comment_reported": ("comment_id", "reason"),
    "comment_removed": ("comment_id", "removal_source"),
}

ENUMS: dict[str, tuple[str, ...]] = {
    "platform": ("ios", "android", "web"),
    "action": ("edit", "post_anyway", "cancel", "dismiss"),
    "removal_source": ("moderation", "creator_single", "creator_bulk"),
}

SCHEMA_VERSION = 1
MAX_LATENESS_DAYS = 2  # dt=2026-01-03 may hold events dated 2026-01-01..03
ATTRIBUTION_WINDOW_MINUTES = 60
PRE_PERIOD_DAYS = 14

#: The one field that must never be stored: raw comment text from a misconfigured client.
RAW_TEXT_FIELD = "text"

#: Row-level quarantine reasons, in the order they are checked (docs/definitions.md §1).
ROW_REASONS = (
    "truncated_line",
    "not_json",
    "missing_field",
    "wrong_type",
    "unsupported_schema_version",
    "unknown_event_type",
    "bad_timestamp",
    "implausible_timestamp",
    "score_out_of_range",
    "invalid_value",
)
#: File-level findings.
FILE_REASONS = ("unreadable_file", "corrupt_gzip", "empty_file")
#: Delivery findings (rows are used; counted in data_quality).
DELIVERY_REASONS = ("duplicate_event", "conflicting_duplicate", "late_event", "text_field_scrubbed")
#: Experiment-level findings (events kept, but not analysed for the experiment).
EXPERIMENT_REASONS = (
    "unknown_experiment",
    "unknown_variant",
    "outside_experiment_dates",
    "contaminated_user",
    "trigger_without_assignment",
    "trigger_variant_mismatch",
    "trigger_without_draft",
)

REASON_TEXT_EN: dict[str, str] = {
    "truncated_line": "last line of a file cut off mid-write",
    "not_json": "line is not a JSON object",
    "missing_field": "a required field is missing, null or empty",
    "wrong_type": "a field has the wrong type",
    "unsupported_schema_version": "schema_version is not 1",
    "unknown_event_type": "event_type not in the contract",
    "bad_timestamp": "event_ts is not ISO-8601 with an offset",
    "implausible_timestamp": "event date after its arrival date or more than 48 h before it",
    "score_out_of_range": "toxicity_score outside [0, 1]",
    "invalid_value": "a value outside its allowed set or format",
    "unreadable_file": "file could not be read, or not to its end (rows before the damage count)",
    "corrupt_gzip": "damaged gzip file: lines before the damage were used",
    "empty_file": "empty file",
    "duplicate_event": "re-delivered event counted once",
    "conflicting_duplicate": "re-delivered event with different content (first kept)",
    "late_event": "event arrived after its event date (used)",
    "text_field_scrubbed": "raw comment text dropped at read time",
    "unknown_experiment": "experiment not in the registry",
    "unknown_variant": "variant not in the registry",
    "outside_experiment_dates": "event outside the experiment's dates",
    "contaminated_user": "user assigned to two arms; excluded",
    "trigger_without_assignment": "prompt trigger from a user with no assignment",
    "trigger_variant_mismatch": "prompt trigger naming another arm than the user's",
    "trigger_without_draft": "prompt trigger whose draft was never submitted",
}
