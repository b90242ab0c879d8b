"""Names and numbers fixed by the contracts (event-log-v1, results-v1) and docs/definitions.md.

Only plain constants live here, so every other simulator module (and the tests) can share them.
`truth.py` deliberately does *not* import this module: it re-states the few rules it needs itself.
"""

from __future__ import annotations

EXPERIMENT_ID = "reconsider_prompt_2026q1"
CONTROL = "control"
#: planned traffic split of the registry (contract §5); the order is the arm code used internally
SPLIT: dict[str, float] = {"control": 0.50, "prompt_neutral": 0.25, "prompt_empathy": 0.25}
ARMS: tuple[str, ...] = tuple(SPLIT)
PROMPT_IDS: dict[str, str] = {"prompt_neutral": "neutral_v1", "prompt_empathy": "empathy_v1"}
TRIGGER_THRESHOLD = 0.80
#: the simulated team's tolerance for the chilling effect: at most 5 % fewer comments per user. A prompt that works
#: withdraws some toxic drafts by design (about 3 % of comments are triggered), so a 2 % margin would sit on top of
#: the intended effect; and 20,000 simulated users give an always-valid interval of about ±2.7 % on this metric,
#: so a tighter margin could not be shown to hold in the demo at all.
GUARDRAIL_MARGIN = -0.05
SCHEMA_VERSION = 1

US = 1_000_000
MINUTE_US = 60 * US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
WINDOW_US = 60 * MINUTE_US  # attribution window after a trigger, inclusive
PRE_PERIOD_DAYS = 14
MAX_LATENESS_DAYS = 2  # event date >= dt - 2 days

CANARY = "CANARY-RAW-TEXT-8f3a"

COMMON_FIELDS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "event_ts",
    "user_id",
    "schema_version",
    "country",
    "platform",
    "app_version",
)

#: event type -> its own fields, in the order they are written (contract §4)
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "experiment_assignment": ("experiment_id", "variant"),
    "comment_draft_submitted": (
        "draft_id",
        "video_id",
        "toxicity_score",
        "classifier_version",
        "text_hash",
        "text_length",
        "reply_to_comment_id",
    ),
    "nudge_triggered": ("draft_id", "experiment_id", "variant", "shown", "prompt_id"),
    "nudge_response": ("draft_id", "action"),
    "comment_posted": ("draft_id", "comment_id", "video_id", "toxicity_score", "text_hash"),
    "draft_discarded": ("draft_id",),
    "comment_deleted_by_author": ("comment_id",),
    "comment_reported": ("comment_id", "reason"),
    "comment_removed": ("comment_id", "removal_source"),
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_FIELDS)
TYPE_CODE: dict[str, int] = {t: i for i, t in enumerate(EVENT_TYPES)}

#: every type-specific column of the wide table, in a stable order
TYPE_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(f for fs in EVENT_FIELDS.values() for f in fs))

ACTIONS = ("edit", "post_anyway", "cancel", "dismiss")
REMOVAL_SOURCES = ("moderation", "creator_single", "creator_bulk")
PLATFORMS = ("ios", "android", "web")

#: quarantine reasons of definitions.md §1, in the order they are checked
QUARANTINE_REASONS: tuple[str, ...] = (
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
FILE_FINDINGS: tuple[str, ...] = ("unreadable_file", "corrupt_gzip", "empty_file")
DELIVERY_FINDINGS: tuple[str, ...] = (
    "duplicate_event",
    "conflicting_duplicate",
    "late_event",
    "text_field_scrubbed",
)
ANALYSIS_FINDINGS: tuple[str, ...] = (
    "unknown_experiment",
    "unknown_variant",
    "outside_experiment_dates",
    "contaminated_user",
    "trigger_without_assignment",
    "trigger_variant_mismatch",
    "trigger_without_draft",
)
ALL_REASONS: tuple[str, ...] = QUARANTINE_REASONS + FILE_FINDINGS + DELIVERY_FINDINGS + ANALYSIS_FINDINGS
