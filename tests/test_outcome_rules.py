"""The contract's outcome rules (event-log-v1 §1, docs/definitions.md §3-§4), one by one, on tiny hand-written logs.

Each rule is pinned on the SQL file that implements it, in the dbt style (tests/sqlunit.py): the log's events
and the registry as input rows → one file on an in-memory DuckDB → the expected rows. Three cases also run
through the whole asset graph (``..._through_the_whole_graph``), so the path from log files to the warehouse's
tables stays covered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import run_log
from tests.logbuilder import REGISTRY, Log, ts
from tests.sqlunit import assert_rows, connect, run_model, select_rows

#: tests.logbuilder.REGISTRY as the warehouse's registry tables hold it (test_registry_rows_are_the_warehouses)
REGISTRY_ROWS: dict[str, list[dict[str, Any]]] = {
    "registry_experiments": [{"experiment_id": "exp1", "start_date": "2026-03-01", "end_date": "2026-03-31",
                              "control": "control", "trigger_threshold": 0.8, "band_edge": 0.9,
                              "guardrail_margin": -0.02}],
    "registry_variants": [{"experiment_id": "exp1", "variant": "control", "planned_share": 0.5},
                          {"experiment_id": "exp1", "variant": "prompt_empathy", "planned_share": 0.5}],
}


def outcomes(con) -> dict[str, str]:
    return dict(con.execute("SELECT draft_id, outcome FROM triggered_attempts WHERE exclusion IS NULL").fetchall())


def base_log() -> Log:
    log = Log()
    log.assign("u1", "prompt_empathy")
    log.assign("u2", "control")
    return log


def attempt_outcomes(log: Log):
    """sql/**/attempt_outcomes.sql on the log's events and the registry."""
    return run_model("attempt_outcomes", {"events": log.rows(), **REGISTRY_ROWS})


def attempt(draft: str, user: str, variant: str, minutes: float = 0, **columns: Any) -> dict[str, Any]:
    """An attempt_outcomes row (the columns sql/**/triggered_attempts.sql looks at)."""
    return {"experiment_id": "exp1", "user_id": user, "draft_id": draft, "variant": variant,
            "trigger_event_id": f"t-{draft}", "triggered_at": ts(minutes), "arrival_date": "2026-03-02",
            "outcome": "withdrawn", "has_submission": True, **columns}


def assignment(user: str, variant: str, *, contaminated: bool = False) -> dict[str, Any]:
    return {"experiment_id": "exp1", "user_id": user, "variant": variant, "assigned_at": ts(0),
            "country": "DE", "platform": "ios", "contaminated": contaminated,
            "contaminated_arrival_date": "2026-03-02" if contaminated else None}


def test_registry_rows_are_the_warehouses() -> None:
    from pipelines.registry import parse_registry
    from pipelines.tables import write_registry

    con = connect()
    write_registry(con, parse_registry(REGISTRY))
    for table, rows in REGISTRY_ROWS.items():
        assert_rows(con, table, rows)


# --- the outcome of an attempt: sql/**/attempt_outcomes.sql ----------------------------------------------


def test_post_with_other_text_hash_is_changed() -> None:
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.draft("u1", "d1", 3, 0.3, "bb")
    log.post("u1", "d1", 3, 0.3, "bb", "c1")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "user_id": "u1", "variant": "prompt_empathy", "outcome": "changed", "has_submission": True}])


def test_the_incremental_file_recomputes_the_touched_drafts_as_the_full_file_does() -> None:
    """sql/**/attempt_outcomes_incremental.sql repeats the rules of sql/**/attempt_outcomes.sql for the drafts
    with events in the pending arrival dates: their stale rows become the full file's rows, the others stay."""
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.post("u1", "d1", 3, 0.3, "bb", "c1")
    log.draft("u2", "d2", 1, 0.95, "cc")
    log.trigger("u2", "d2", 1, "control")
    log.post("u2", "d2", 30, 0.95, "cc", "c2")
    log.draft("u1", "d3", 5, 0.9, "dd")
    log.trigger("u1", "d3", 5, "prompt_empathy")
    log.post("u1", "d3", 66, 0.9, "ee", "c3")  # after the 60-minute window
    full = select_rows(attempt_outcomes(log), "SELECT * FROM attempt_outcomes ORDER BY draft_id")
    touched = {"d1", "d3"}
    stale = [{**row, "outcome": "stale", "posted_at": None} if row["draft_id"] in touched else row for row in full]
    con = run_model("attempt_outcomes_incremental", {
        "events": log.rows(), **REGISTRY_ROWS, "attempt_outcomes": stale,
        "raw_events": [{"arrival_date": "2026-03-09", "draft_id": d} for d in sorted(touched)],
        "bookkeeping.attempts_pending": [{"arrival_date": "2026-03-09", "complete": False}]})
    assert select_rows(con, "SELECT * FROM attempt_outcomes ORDER BY draft_id") == full
    assert {r["draft_id"]: r["outcome"] for r in full} == {"d1": "changed", "d2": "posted_unchanged",
                                                           "d3": "withdrawn"}


def test_post_with_same_text_hash_is_posted_unchanged() -> None:
    log = base_log()
    log.draft("u2", "d1", 1, 0.9, "aa")
    log.trigger("u2", "d1", 1, "control")
    log.post("u2", "d1", 2, 0.9, "aa", "c1")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "variant": "control", "shown": False, "outcome": "posted_unchanged"}])


def test_discard_or_nothing_is_withdrawn() -> None:
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.discard("u1", "d1", 2)
    log.draft("u1", "d2", 5, 0.95, "cc")
    log.trigger("u1", "d2", 5, "prompt_empathy")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "outcome": "withdrawn", "posted_at": None},
        {"draft_id": "d2", "outcome": "withdrawn", "posted_at": None}])


def test_post_after_the_60_minute_window_counts_as_withdrawn_and_at_60_counts() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 60.02, 0.9, "aa", "c1")
    log.draft("u1", "d2", 0, 0.9, "dd")
    log.trigger("u1", "d2", 0, "prompt_empathy")
    log.post("u1", "d2", 60, 0.9, "dd", "c2")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "outcome": "withdrawn"}, {"draft_id": "d2", "outcome": "posted_unchanged"}])


def test_first_post_in_window_decides() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 5, 0.9, "aa", "c1")
    log.post("u1", "d1", 10, 0.1, "zz", "c2")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "outcome": "posted_unchanged", "posted_score": 0.9}])


def test_only_first_trigger_of_a_draft_counts_and_hash_is_the_triggering_submissions() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    first = log.trigger("u1", "d1", 0, "prompt_empathy")
    log.draft("u1", "d1", 2, 0.85, "bb")  # edited, still toxic: triggered again
    log.trigger("u1", "d1", 2, "prompt_empathy")
    log.post("u1", "d1", 3, 0.85, "bb", "c1")
    # one row, the first trigger's, with the first submission's score
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "trigger_event_id": first["event_id"], "draft_score": 0.9, "outcome": "changed"}])


def test_changed_below_threshold_is_defused() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 3, 0.2, "bb", "c1")
    log.draft("u1", "d2", 10, 0.9, "cc")
    log.trigger("u1", "d2", 10, "prompt_empathy")
    log.post("u1", "d2", 13, 0.85, "dd", "c2")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "outcome": "changed", "defused": True},
        {"draft_id": "d2", "outcome": "changed", "defused": False}])


def test_nudge_response_never_decides_the_outcome() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.add("nudge_response", "u1", 1, draft_id="d1", action="cancel")
    log.post("u1", "d1", 2, 0.9, "aa", "c1")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [{"draft_id": "d1", "outcome": "posted_unchanged"}])


def test_a_later_trigger_does_not_stand_in_for_a_first_one_naming_an_unknown_variant() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_unregistered")  # the attempt's first trigger: not analysable
    log.trigger("u1", "d1", 5, "prompt_empathy")
    log.post("u1", "d1", 6, 0.9, "aa", "c1")
    log.draft("u1", "d2", 10, 0.9, "bb")
    log.trigger("u1", "d2", 10, "prompt_empathy")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [{"draft_id": "d2", "outcome": "withdrawn"}])


def test_text_hashes_differing_only_in_case_are_the_same_text() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "abcdef")
    log.trigger("u1", "d1", 0, "prompt_empathy")
    log.post("u1", "d1", 3, 0.9, "ABCDEF", "c1")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [{"draft_id": "d1", "outcome": "posted_unchanged"}])


def test_toxicity_band_splits_at_the_band_edge() -> None:
    log = base_log()
    for draft, score in (("d1", 0.85), ("d2", 0.9), ("d3", 0.97)):  # band edge 0.9: halfway from 0.8 to 1
        log.draft("u1", draft, 0, score, "aa")
        log.trigger("u1", draft, 0, "prompt_empathy")
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "toxicity_band": 1}, {"draft_id": "d2", "toxicity_band": 2},
        {"draft_id": "d3", "toxicity_band": 2}])


# --- which attempts are analysed: sql/**/triggered_attempts.sql ------------------------------------------


def test_contaminated_user_is_excluded() -> None:
    con = run_model("triggered_attempts", {
        "attempt_outcomes": [attempt("d1", "u1", "prompt_empathy", 40)],
        "assignments": [assignment("u1", "prompt_empathy", contaminated=True)],
        **REGISTRY_ROWS})
    assert_rows(con, "triggered_attempts", [{"draft_id": "d1", "exclusion": "contaminated_user"}])


def test_trigger_without_assignment_or_with_wrong_arm_is_not_analysed() -> None:
    con = run_model("triggered_attempts", {
        "attempt_outcomes": [attempt("d1", "u9", "prompt_empathy"), attempt("d2", "u2", "prompt_empathy"),
                             attempt("d3", "u1", "prompt_empathy")],
        "assignments": [assignment("u2", "control"), assignment("u1", "prompt_empathy")],
        **REGISTRY_ROWS})
    assert_rows(con, "triggered_attempts", [
        {"draft_id": "d1", "exclusion": "trigger_without_assignment"},
        {"draft_id": "d2", "exclusion": "trigger_variant_mismatch"},
        {"draft_id": "d3", "exclusion": None}])


def test_attempts_outside_the_dates_or_without_a_draft_are_not_analysed() -> None:
    con = run_model("triggered_attempts", {
        "attempt_outcomes": [attempt("d1", "u1", "prompt_empathy", -3 * 24 * 60),  # 2026-02-27, before start
                             attempt("d2", "u1", "prompt_empathy", has_submission=False)],
        "assignments": [assignment("u1", "prompt_empathy")],
        **REGISTRY_ROWS})
    assert_rows(con, "triggered_attempts", [
        {"draft_id": "d1", "exclusion": "outside_experiment_dates"},
        {"draft_id": "d2", "exclusion": "trigger_without_draft"}])


# --- assignments and findings: sql/**/assignments.sql, sql/**/experiment_findings.sql ---------------------


def test_a_second_assignment_to_another_arm_contaminates_the_user() -> None:
    log = base_log()
    log.assign("u1", "control", 30)
    con = run_model("assignments", {"events": log.rows(), **REGISTRY_ROWS})
    assert_rows(con, "assignments", [
        {"user_id": "u1", "variant": "prompt_empathy", "contaminated": True},
        {"user_id": "u2", "variant": "control", "contaminated": False}])


def findings(log: Log, assignments: list[dict[str, Any]]) -> dict[str, int]:
    con = run_model("experiment_findings", {"events": log.rows(), "assignments": assignments,
                                            "triggered_attempts": [], **REGISTRY_ROWS})
    return {r["reason"]: r["n"] for r in select_rows(
        con, "SELECT reason, sum(count) AS n FROM experiment_findings GROUP BY reason")}


def test_contaminated_user_is_counted() -> None:
    assert findings(base_log(), [assignment("u1", "prompt_empathy", contaminated=True),
                                 assignment("u2", "control")]) == {"contaminated_user": 1}


def test_every_trigger_event_naming_another_arm_is_counted() -> None:
    log = base_log()
    log.draft("u1", "d1", 0, 0.9, "aa")
    log.trigger("u1", "d1", 0, "prompt_empathy")  # the attempt: the user's own arm, analysed
    log.trigger("u1", "d1", 2, "control")  # later triggers naming another arm: findings, one per event
    log.trigger("u1", "d1", 4, "control")
    log.draft("u9", "d9", 0, 0.9, "zz")
    log.trigger("u9", "d9", 0, "control")  # no assignment, twice
    log.trigger("u9", "d9", 1, "control")
    assert findings(log, [assignment("u1", "prompt_empathy"), assignment("u2", "control")]) == {
        "trigger_variant_mismatch": 2, "trigger_without_assignment": 2}
    assert_rows(attempt_outcomes(log), "attempt_outcomes", [
        {"draft_id": "d1", "variant": "prompt_empathy", "outcome": "withdrawn"},
        {"draft_id": "d9", "variant": "control", "outcome": "withdrawn"}])


# --- through the whole graph: log files → nudge run → the warehouse ---------------------------------------


def test_post_with_other_text_hash_is_changed_through_the_whole_graph(tmp_path: Path) -> None:
    log = base_log()
    log.draft("u1", "d1", 1, 0.9, "aa")
    log.trigger("u1", "d1", 1, "prompt_empathy")
    log.draft("u1", "d1", 3, 0.3, "bb")
    log.post("u1", "d1", 3, 0.3, "bb", "c1")
    assert outcomes(run_log(log, tmp_path)) == {"d1": "changed"}


def test_contaminated_user_is_excluded_and_counted_through_the_whole_graph(tmp_path: Path) -> None:
    log = base_log()
    log.assign("u1", "control", 30)
    log.draft("u1", "d1", 40, 0.9, "aa")
    log.trigger("u1", "d1", 40, "prompt_empathy")
    con = run_log(log, tmp_path)
    assert con.execute("SELECT user_id FROM assignments WHERE contaminated").fetchall() == [("u1",)]
    assert con.execute("SELECT count(*) FROM user_metrics WHERE user_id = 'u1'").fetchall() == [(0,)]
    assert con.execute(
        "SELECT sum(count) FROM data_quality WHERE reason = 'contaminated_user'").fetchall() == [(1,)]


def test_trigger_without_assignment_or_with_wrong_arm_is_not_analysed_through_the_whole_graph(tmp_path: Path) -> None:
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
