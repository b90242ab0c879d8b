"""The trust banner turns red or amber for the right reasons, and the report says so above the answer."""

from __future__ import annotations

import copy
import json

import pytest

from pipelines.report.data import ReportData, load
from pipelines.report.pages import report_page
from pipelines.report.sentences import answers, arm_status
from pipelines.report.trust import assess
from pipelines.results import verdicts
from tests.report.conftest import Built


@pytest.fixture(scope="module")
def data(built: Built) -> ReportData:
    con = built.connect()
    try:
        return load(con, built.experiments[0])
    finally:
        con.close()


def test_the_session_data_can_be_trusted(data: ReportData) -> None:
    trust = assess(data, "en")
    assert trust.level in ("ok", "caution"), trust.reasons
    labels = [k for k, _ in trust.facts]
    for label in ("Experiment", "Users assigned (planned share)", "Sample-ratio check", "Rows rejected as malformed",
                  "Late events (used)", "Duplicates (counted once)", "Users in two arms (excluded)"):
        assert label in labels


def test_sample_ratio_mismatch_is_red_and_shown_above_the_answer(data: ReportData) -> None:
    bad = copy.deepcopy(data)
    bad.srm[0] = {**bad.srm[0], "passed": False, "p_value": 1e-9}
    trust = assess(bad, "en")
    assert trust.level == "fail" and any("sample-ratio mismatch" in r for r in trust.reasons)
    page = report_page(bad, "en")
    assert 'data-level="fail"' in page
    assert page.index('class="warn"') < page.index('class="answer ')
    assert "Stichprobenverhältnis verletzt" in report_page(bad, "de")


def test_many_rejected_rows_are_red_some_are_amber(data: ReportData) -> None:
    bad = copy.deepcopy(data)
    bad.rows_read, bad.rows_rejected = 1000, 80
    assert assess(bad, "en").level == "fail"
    bad.rows_rejected = 20
    trust = assess(bad, "de")
    assert trust.level == "caution" and any("2,0 %" in r for r in trust.reasons)


def test_the_rejected_row_limit_is_the_raw_checks_setting(data: ReportData) -> None:
    """A team that allows 10 % rejected rows (NUDGE_MAX_QUARANTINE_SHARE) gets the same limit in the banner
    and in the methods text as in the raw-layer check."""
    bad = copy.deepcopy(data)
    bad.rows_read, bad.rows_rejected = 1000, 80
    bad.rejected_limit = 0.10
    assert assess(bad, "en").level == "caution"
    assert "more than 10 % of the rows read" in report_page(bad, "en")
    bad.rows_rejected = 120
    assert assess(bad, "en").level == "fail"


def test_contamination_above_one_percent_is_red(data: ReportData) -> None:
    bad = copy.deepcopy(data)
    assigned = sum(bad.assigned().values())
    bad.quality = [q for q in bad.quality if q["reason"] != "contaminated_user"]
    bad.quality.append({"reason": "contaminated_user", "scope": "experiment", "count": assigned // 50})
    assert assess(bad, "en").level == "fail"


def test_a_segment_off_plan_is_amber(data: ReportData) -> None:
    bad = copy.deepcopy(data)
    seg = next(i for i, r in enumerate(bad.srm) if r["segment_dim"] != "all")
    bad.srm[seg] = {**bad.srm[seg], "passed": False}
    trust = assess(bad, "en")
    assert trust.level in ("caution", "fail") and any("off-plan" in r for r in trust.reasons)


def test_no_analysed_prompts_is_red_and_says_so(data: ReportData) -> None:
    empty = ReportData(data.experiment, srm=data.srm)
    trust = assess(empty, "en")
    assert trust.level == "fail"
    page = report_page(empty, "en")
    assert "No result yet" in page and page.count('class="plot"') == 6  # the page still renders every section


def test_harm_on_a_primary_metric_makes_the_arm_do_not_ship(data: ReportData) -> None:
    bad = copy.deepcopy(data)
    variant = bad.overall("withdraw_or_change_rate")[0]["variant"]
    for r in bad.results:
        if r["metric"] == "toxic_posts_per_user" and r["segment_dim"] == "all" and r["variant"] == variant:
            r["decision"] = "harm"
    verdicts(bad.results, [bad.experiment])
    assert arm_status(bad, variant) == "do_not_ship"
    answer = {a.variant: a for a in answers(bad, "en")}[variant]
    assert answer.status == "do_not_ship" and "harms toxic comments posted per user" in answer.why


def test_planned_split_comes_from_the_check(data: ReportData) -> None:
    planned = json.loads(data.srm_overall["planned_split"]) if data.srm_overall else {}
    assert abs(sum(planned.values()) - 1) < 1e-9


def test_a_report_renders_when_every_statistic_is_missing(data: ReportData) -> None:
    """A tiny experiment: values, intervals and p-values may all be NULL; the page must still render."""
    numeric = ("value_control", "value_variant", "diff", "diff_ci_low", "diff_ci_high", "rel_diff", "p_value",
               "p_value_adjusted", "seq_ci_low", "seq_ci_high", "rel_ci_low", "rel_ci_high",
               "chance_to_beat_control")
    empty = copy.deepcopy(data)
    for r in empty.results + empty.daily:
        for key in numeric:
            if key in r:
                r[key] = None
        r["decision"] = "no_evidence"
    for lang in ("en", "de"):
        page = report_page(empty, lang)  # type: ignore[arg-type]
        assert page.count('class="plot"') == 6 and "–" in page
