"""The contract's outcome rules (event-log-v1 §1), one by one, on tiny hand-written logs."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_log
from tests.logbuilder import Log


def outcomes(con) -> dict[str, str]:
    return dict(con.execute("SELECT draft_id, outcome FROM triggered_attempts WHERE exclusion IS NULL").fetchall())


def base_log() -> Log:
    log = Log()
    log.assign("u1", "prompt_empathy")
    log.assign("u2", "control")
    return log


def test_post_with_other_text_hash_is_changed(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.draft("u1", "d1", 3, 0.3, "bb")
    log.post("u1", "d1", 3, 0.3, "bb", "c1")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "changed"}


def test_post_with_same_text_hash_is_posted_unchanged(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u2", "d1", 1, 0.9, "aa")
    log.trigger("u2", "d1", 1, "control")
    log.post("u2", "d1", 2, 0.9, "aa", "c1")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "posted_unchanged"}


def test_discard_or_nothing_is_withdrawn(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.discard("u1", "d1", 2)
    log.draft("u1", "d2", 5, 0.95, "cc")
    log.trigger("u1", "d2", 5, "prompt_empathy")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "withdrawn", "d2": "withdrawn"}


def test_post_after_the_60_minute_window_counts_as_withdrawn_and_at_60_counts(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 60.02, 0.9, "aa", "c1")
    log.draft("u1", "d2", 0, 0.9, "dd")
    log.trigger("u1", "d2", 0, "prompt_empathy")
    log.post("u1", "d2", 60, 0.9, "dd", "c2")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "withdrawn", "d2": "posted_unchanged"}


def test_first_post_in_window_decides(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 5, 0.9, "aa", "c1")
    log.post("u1", "d1", 10, 0.1, "zz", "c2")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "posted_unchanged"}


def test_only_first_trigger_of_a_draft_counts_and_hash_is_the_triggering_submissions(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.draft("u1", "d1", 2, 0.85, "bb")  # edited, still toxic: triggered again
    log.trigger("u1", "d1", 2, "prompt_empathy")
    log.post("u1", "d1", 3, 0.85, "bb", "c1")
    con = run_log(log, tmp_path)
    assert outcomes(con) == {"d1": "changed"}
    assert con.execute("SELECT count(*) FROM triggered_attempts").fetchall() == [(1,)]


def test_changed_below_threshold_is_defused(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 3, 0.2, "bb", "c1")
    log.draft("u1", "d2", 10, 0.9, "cc")
    log.trigger("u1", "d2", 10, "prompt_empathy")
    log.post("u1", "d2", 13, 0.85, "dd", "c2")
    con = run_log(log, tmp_path)
    assert dict(con.execute("SELECT draft_id, defused FROM triggered_attempts").fetchall()) == {
        "d1": True, "d2": False}


def test_nudge_response_never_decides_the_outcome(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.add("nudge_response", "u1", 1, draft_id="d1", action="cancel")
    log.post("u1", "d1", 2, 0.9, "aa", "c1")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "posted_unchanged"}


def test_contaminated_user_is_excluded_and_counted(tmp_path: Path) -> None:
    log = base_log()
    log.assign("u1", "control", 30)
    log.draft("u1", "d1", 40, 0.9, "aa")
    log.trigger("u1", "d1", 40, "prompt_empathy")
    con = run_log(log, tmp_path)
    assert con.execute("SELECT user_id FROM assignments WHERE contaminated").fetchall() == [("u1",)]
    assert con.execute("SELECT count(*) FROM user_metrics WHERE user_id = 'u1'").fetchall() == [(0,)]
    assert con.execute(
        "SELECT sum(count) FROM data_quality WHERE reason = 'contaminated_user'").fetchall() == [(1,)]


def test_trigger_without_assignment_or_with_wrong_arm_is_not_analysed(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u9", "d1", 0, 0.9, "aa")
    log.trigger("u9", "d1", 0, "prompt_empathy")
    log.draft("u2", "d2", 0, 0.9, "bb")
    log.trigger("u2", "d2", 0, "prompt_empathy")  # u2 is in control
    con = run_log(log, tmp_path)
    assert outcomes(con) == {}
    found = dict(con.execute("SELECT reason, sum(count) FROM data_quality GROUP BY 1").fetchall())
    assert found["trigger_without_assignment"] == 1
    assert found["trigger_variant_mismatch"] == 1


def test_a_later_trigger_does_not_stand_in_for_a_first_one_naming_an_unknown_variant(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_unregistered")  # the attempt's first trigger: not analysable
    log.trigger("u1", "d1", 5, "prompt_empathy")
    log.post("u1", "d1", 6, 0.9, "aa", "c1")
    log.draft("u1", "d2", 10, 0.9, "bb")
    log.trigger("u1", "d2", 10, "prompt_empathy")
    con = run_log(log, tmp_path)
    assert outcomes(con) == {"d2": "withdrawn"}
    assert con.execute("SELECT count(*) FROM triggered_attempts WHERE draft_id = 'd1'").fetchall() == [(0,)]


def test_every_trigger_event_naming_another_arm_is_counted(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")  # the attempt: the user's own arm, analysed
    log.trigger("u1", "d1", 2, "control")  # later triggers naming another arm: findings, one per event
    log.trigger("u1", "d1", 4, "control")
    log.draft("u9", "d9", 0, 0.9, "zz")
    log.trigger("u9", "d9", 0, "control")  # no assignment, twice
    log.trigger("u9", "d9", 1, "control")
    con = run_log(log, tmp_path)
    assert outcomes(con) == {"d1": "withdrawn"}
    found = dict(con.execute("SELECT reason, sum(count) FROM data_quality GROUP BY 1").fetchall())
    assert found["trigger_variant_mismatch"] == 2
    assert found["trigger_without_assignment"] == 2


def test_text_hashes_differing_only_in_case_are_the_same_text(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "abcdef")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 3, 0.9, "ABCDEF", "c1")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "posted_unchanged"}
