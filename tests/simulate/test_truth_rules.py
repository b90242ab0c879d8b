"""truth.py on tiny hand-written event sets with hand-computed values (docs/definitions.md §3-§7)."""

from __future__ import annotations

import itertools
import math
from datetime import date
from typing import Any

import pytest

from pipelines.simulate.truth import chi2_sf, compute_truth, events_frame

E = "reconsider_prompt_2026q1"
REGISTRY = {
    "experiments": [
        {
            "id": E,
            "start": date(2026, 1, 5),
            "end": date(2026, 1, 18),
            "control": "control",
            "variants": {"control": 0.5, "prompt_neutral": 0.25, "prompt_empathy": 0.25},
            "trigger_threshold": 0.8,
        }
    ]
}
_ids = itertools.count()


def ev(event_type: str, ts: str, user: str, event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """One valid event; ts is '2026-01-05T10:00:00' style (UTC), fractional seconds allowed."""
    base = {
        "event_id": event_id or f"e{next(_ids):06d}",
        "event_type": event_type,
        "event_ts": ts + "Z",
        "user_id": user,
        "schema_version": 1,
        "country": fields.pop("country", "DE"),
        "platform": fields.pop("platform", "ios"),
        "app_version": "35.1.2",
    }
    return {**base, **fields}


def assign(user: str, variant: str, ts: str = "2026-01-05T09:00:00", experiment: str = E, **kw: Any) -> dict[str, Any]:
    return ev("experiment_assignment", ts, user, experiment_id=experiment, variant=variant, **kw)


def submit(user: str, draft: str, ts: str, text_hash: str, score: float = 0.9, **kw: Any) -> dict[str, Any]:
    return ev(
        "comment_draft_submitted",
        ts,
        user,
        draft_id=draft,
        video_id="v1",
        toxicity_score=score,
        classifier_version="c",
        text_hash=text_hash,
        text_length=10,
        reply_to_comment_id=None,
        **kw,
    )


def trigger(
    user: str, draft: str, ts: str, variant: str = "prompt_neutral", experiment: str = E, **kw: Any
) -> dict[str, Any]:
    shown = variant != "control"
    return ev(
        "nudge_triggered",
        ts,
        user,
        draft_id=draft,
        experiment_id=experiment,
        variant=variant,
        shown=shown,
        prompt_id="p1" if shown else None,
        **kw,
    )


def post(
    user: str, draft: str, ts: str, text_hash: str, score: float = 0.9, comment: str | None = None, **kw: Any
) -> dict[str, Any]:
    return ev(
        "comment_posted",
        ts,
        user,
        draft_id=draft,
        comment_id=comment or f"c_{draft}_{ts}",
        video_id="v1",
        toxicity_score=score,
        text_hash=text_hash,
        **kw,
    )


def discard(user: str, draft: str, ts: str) -> dict[str, Any]:
    return ev("draft_discarded", ts, user, draft_id=draft)


def run(records: list[dict[str, Any]]) -> dict[str, Any]:
    return compute_truth(events_frame(records), REGISTRY)


def m(truth: dict[str, Any], metric: str, arm: str = "prompt_neutral", dim: str = "all", seg: str = "all") -> Any:
    return truth["experiments"][E]["metrics"][metric][dim][seg][arm]


def outcomes_log() -> list[dict[str, Any]]:
    """Four neutral users, five attempts: unchanged, changed+defused, withdrawn, window edge in/out."""
    recs = [assign(u, "prompt_neutral") for u in ("u1", "u2", "u3", "u4")]
    recs += [
        submit("u1", "d1", "2026-01-05T10:10:00", "aa"),
        trigger("u1", "d1", "2026-01-05T10:10:00.500000"),
        post("u1", "d1", "2026-01-05T10:11:00", "aa"),
    ]
    recs += [
        submit("u2", "d2", "2026-01-05T10:10:00", "bb"),
        trigger("u2", "d2", "2026-01-05T10:10:01"),
        submit("u2", "d2", "2026-01-05T10:12:00", "bc", score=0.3),
        post("u2", "d2", "2026-01-05T10:12:30", "bc", score=0.3),
    ]
    recs += [
        submit("u3", "d3", "2026-01-05T10:10:00", "cc"),
        trigger("u3", "d3", "2026-01-05T10:10:01"),
        discard("u3", "d3", "2026-01-05T10:10:30"),
    ]
    # exactly 60 minutes after the trigger: inside (inclusive)
    recs += [
        submit("u4", "d4", "2026-01-05T10:09:59", "dd"),
        trigger("u4", "d4", "2026-01-05T10:10:00"),
        post("u4", "d4", "2026-01-05T11:10:00", "dd"),
    ]
    # 60 minutes and 1 µs after the trigger: outside -> withdrawn
    recs += [
        submit("u4", "d5", "2026-01-05T11:59:59", "ee"),
        trigger("u4", "d5", "2026-01-05T12:00:00"),
        post("u4", "d5", "2026-01-05T13:00:00.000001", "ee"),
    ]
    return recs


def test_outcome_rules_and_window_edges() -> None:
    t = run(outcomes_log())
    assert m(t, "withdraw_or_change_rate") == {"value": 3 / 5, "units": 4}
    assert m(t, "withdrawn_rate") == {"value": 2 / 5, "units": 4}
    assert m(t, "changed_rate") == {"value": 1 / 5, "units": 4}
    assert m(t, "defused_rate") == {"value": 1.0, "units": 1}
    # first attempts: u1 unchanged, u2 changed, u3 withdrawn, u4 (d4) unchanged
    assert m(t, "withdraw_or_change_rate_user") == {"value": 0.5, "units": 4}
    assert m(t, "triggers_per_user_after_first") == {"value": 1 / 4, "units": 4}
    # no control users: values are null with zero units
    assert m(t, "withdraw_or_change_rate", "control") == {"value": None, "units": 0}
    assert m(t, "posts_per_user", "control") == {"value": None, "units": 0}


def test_changed_vs_unchanged_is_decided_by_text_hash_not_score() -> None:
    recs = [
        assign("u1", "prompt_neutral"),
        submit("u1", "d1", "2026-01-05T10:00:00", "aa"),
        trigger("u1", "d1", "2026-01-05T10:00:01"),
        post("u1", "d1", "2026-01-05T10:02:00", "ab", score=0.95),
    ]  # new text, still toxic
    t = run(recs)
    assert m(t, "changed_rate")["value"] == 1.0
    assert m(t, "defused_rate") == {"value": 0.0, "units": 1}  # changed but not below the threshold


def test_only_the_first_trigger_of_a_draft_counts_and_opens_the_window() -> None:
    recs = [
        assign("u1", "prompt_neutral"),
        submit("u1", "d1", "2026-01-05T10:00:00", "aa"),
        trigger("u1", "d1", "2026-01-05T10:00:01"),
        submit("u1", "d1", "2026-01-05T10:05:00", "ab", score=0.85),
        trigger("u1", "d1", "2026-01-05T10:05:01"),
        post("u1", "d1", "2026-01-05T11:03:00", "ab", score=0.85),
    ]  # < 60 min after the 2nd trigger only
    t = run(recs)
    assert m(t, "withdraw_or_change_rate") == {"value": 1.0, "units": 1}
    assert m(t, "withdrawn_rate")["value"] == 1.0
    assert m(t, "triggers_per_user_after_first")["value"] == 0.0  # one attempt, not two


def test_first_post_in_window_decides_with_event_id_tie_break() -> None:
    recs = [
        assign("u1", "prompt_neutral"),
        submit("u1", "d1", "2026-01-05T10:00:00", "aa"),
        trigger("u1", "d1", "2026-01-05T10:00:01"),
        post("u1", "d1", "2026-01-05T09:59:59", "zz"),  # before the trigger: not in the window
        post("u1", "d1", "2026-01-05T10:01:00", "aa", event_id="p2"),
        post("u1", "d1", "2026-01-05T10:01:00", "ab", event_id="p1"),  # same ts, smaller id: decides
    ]
    t = run(recs)
    assert m(t, "changed_rate")["value"] == 1.0
    recs.append(post("u1", "d1", "2026-01-05T10:00:30", "aa", event_id="p9"))  # an earlier post: decides
    t = run(recs)
    assert m(t, "changed_rate")["value"] == 0.0
    assert m(t, "withdraw_or_change_rate")["value"] == 0.0


def test_triggering_submission_is_the_latest_at_or_before_the_trigger() -> None:
    recs = [
        assign("u1", "prompt_neutral"),
        submit("u1", "d1", "2026-01-05T10:00:00", "aa"),
        submit("u1", "d1", "2026-01-05T10:00:30", "ab"),  # edited before the trigger
        trigger("u1", "d1", "2026-01-05T10:00:30"),  # same ts as the 2nd submission: it is the trigger's
        post("u1", "d1", "2026-01-05T10:01:00", "ab"),
    ]
    assert m(run(recs), "changed_rate")["value"] == 0.0  # posted what was scored: unchanged


def test_contaminated_user_is_excluded_but_counted_in_sample_ratio() -> None:
    recs = outcomes_log()
    base = run(recs)
    recs += [
        assign("u9", "prompt_neutral", "2026-01-05T09:00:00"),
        submit("u9", "d9", "2026-01-05T10:00:00", "xx"),
        trigger("u9", "d9", "2026-01-05T10:00:01"),
        post("u9", "d9", "2026-01-05T10:00:05", "xx"),
        assign("u9", "control", "2026-01-06T09:00:00"),  # a different variant later: contaminated
        assign("u1", "prompt_neutral", "2026-01-07T09:00:00"),
    ]  # same variant again: harmless
    t = run(recs)
    assert t["experiments"][E]["metrics"] == base["experiments"][E]["metrics"]
    assert t["findings"]["contaminated_user"] == 1
    assert t["findings"]["trigger_variant_mismatch"] == 0  # a contaminated user's triggers are not findings
    srm = t["experiments"][E]["sample_ratio"]
    assert srm["observed"] == {"control": 0, "prompt_neutral": 5, "prompt_empathy": 0}


def test_findings_of_triggers_and_assignments() -> None:
    recs = [
        assign("u1", "prompt_neutral"),
        assign("u2", "prompt_humor"),  # unknown variant: u2 stays unassigned
        assign("u3", "control", "2026-01-04T23:59:59"),  # outside the dates: u3 stays unassigned
        assign("u4", "on", experiment="other_exp"),  # unknown experiment
        submit("u1", "d1", "2026-01-05T10:00:00", "aa"),
        trigger("u1", "d1", "2026-01-05T10:00:01", variant="prompt_empathy"),  # mismatch
        submit("u2", "d2", "2026-01-05T10:00:00", "bb"),
        trigger("u2", "d2", "2026-01-05T10:00:01"),  # no assignment
        submit("u3", "d3", "2026-01-05T10:00:00", "cc"),
        trigger("u3", "d3", "2026-01-05T10:00:01"),  # no assignment
        trigger("u1", "d4", "2026-01-05T11:00:00"),  # no comment_draft_submitted for d4
        submit("u1", "d5", "2026-01-19T00:00:00", "ee"),
        trigger("u1", "d5", "2026-01-19T00:00:01"),  # after end
        submit("u1", "d6", "2026-01-05T10:00:00", "ff"),
        trigger("u1", "d6", "2026-01-05T10:00:01", variant="prompt_humor"),  # unknown variant
        trigger("u1", "d7", "2026-01-05T10:00:01", experiment="old_exp"),
    ]  # unknown experiment
    f = run(recs)["findings"]
    assert f == {
        "unknown_experiment": 2,
        "unknown_variant": 2,
        "outside_experiment_dates": 2,
        "contaminated_user": 0,
        "trigger_without_assignment": 2,
        "trigger_variant_mismatch": 1,
        "trigger_without_draft": 1,
    }


def test_per_user_posts_reports_removals_and_segments() -> None:
    recs = [
        assign("u1", "control", "2026-01-05T09:00:00", country=None),
        assign("u2", "control", "2026-01-06T09:00:00", country="AT"),
        post("u1", "x0", "2026-01-05T08:59:59.999999", "00", score=0.95, comment="c0"),  # pre-period
        post("u1", "x1", "2026-01-05T09:00:00", "01", score=0.8, comment="c1"),  # at assigned_at: counts, toxic
        post("u1", "x2", "2026-01-18T23:59:59.999999", "02", score=0.79, comment="c2"),  # last µs of the end date
        post("u1", "x3", "2026-01-19T00:00:00", "03", score=0.99, comment="c3"),  # after the end
        post("u2", "x4", "2026-01-07T12:00:00", "04", score=0.1, comment="c4"),
        ev("comment_reported", "2026-01-20T10:00:00", "u7", comment_id="c1", reason="spam"),  # any time
        ev("comment_reported", "2026-01-05T10:00:00", "u7", comment_id="c1", reason="spam"),
        ev("comment_reported", "2026-01-05T10:00:00", "u7", comment_id="c0", reason="spam"),  # pre post
        ev("comment_removed", "2026-01-08T10:00:00", "u8", comment_id="c4", removal_source="creator_bulk"),
        ev("comment_removed", "2026-01-19T10:00:00", "u8", comment_id="c3", removal_source="moderation"),
    ]
    t = run(recs)
    assert m(t, "posts_per_user", "control") == {"value": 3 / 2, "units": 2}
    assert m(t, "toxic_posts_per_user", "control") == {"value": 1 / 2, "units": 2}
    assert m(t, "reports_per_post", "control") == {"value": 2 / 3, "units": 2}
    assert m(t, "removals_per_post", "control") == {"value": 1 / 3, "units": 2}
    assert m(t, "posts_per_user", "control", "country", "unknown") == {"value": 2.0, "units": 1}
    assert m(t, "posts_per_user", "control", "country", "AT") == {"value": 1.0, "units": 1}
    assert m(t, "posts_per_user", "prompt_neutral", "country", "AT") == {"value": None, "units": 0}
    assert m(t, "posts_per_user", "control", "platform", "ios") == {"value": 1.5, "units": 2}


def test_sample_ratio_and_chi_square_tail() -> None:
    recs = [assign(f"c{i}", "control") for i in range(50)] + [assign(f"n{i}", "prompt_neutral") for i in range(20)]
    recs += [assign(f"e{i}", "prompt_empathy") for i in range(30)]
    srm = run(recs)["experiments"][E]["sample_ratio"]
    chi2 = 0 + (20 - 25) ** 2 / 25 + (30 - 25) ** 2 / 25
    assert srm["chi2"] == pytest.approx(chi2)
    assert srm["p_value"] == pytest.approx(math.exp(-chi2 / 2))
    assert srm["passed"] is True
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, abs=1e-9)
    assert chi2_sf(7.814727903251178, 3) == pytest.approx(0.05, abs=1e-9)
    assert chi2_sf(11.070497693516351, 5) == pytest.approx(0.05, abs=1e-9)
    assert chi2_sf(9.487729036781154, 4) == pytest.approx(0.05, abs=1e-9)
