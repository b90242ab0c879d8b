"""The trust banner: can this experiment's result be trusted, and if not, why.

Red (``fail``) when the result must not be read as an effect of the prompt: the arms are not the planned
sizes (sample-ratio mismatch), too many rows were rejected, too many users were in two arms, too many prompts
could not be attributed to an arm, or there is nothing to analyse. Amber (``caution``) for milder signs.
Green (``ok``) otherwise. The thresholds are here, once, and quoted in the methods section.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Literal

from pipelines.contract import FILE_REASONS, ROW_REASONS
from pipelines.report.data import UNATTRIBUTED, ReportData
from pipelines.report.sentences import arm_label
from pipelines.report.text import Lang, day, integer, p_value, percent, t

Level = Literal["ok", "caution", "fail"]

REJECTED_CAUTION = 0.01  # share of rows read rejected as malformed; the red limit is data.rejected_limit
CONTAMINATED_FAIL = 0.01  # share of assigned users seen in two arms
UNATTRIBUTED_FAIL = 0.05  # share of prompts of the experiment that could not be attributed to an arm
UNATTRIBUTED_CAUTION = 0.01


@dataclass
class Trust:
    """The verdict, the reasons behind it (already worded), informational notes and the key facts."""

    level: Level = "ok"
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)

    def flag(self, level: Level, reason: str) -> None:
        rank = {"ok": 0, "caution": 1, "fail": 2}
        if rank[level] > rank[self.level]:
            self.level = level
        self.reasons.append(reason)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def assess(data: ReportData, lang: Lang) -> Trust:
    """Judge the data behind one experiment's result; every string is worded in ``lang`` and HTML-safe."""
    trust = Trust()
    exp = data.experiment
    srm = data.srm_overall
    if srm is not None and not srm["passed"]:
        trust.flag("fail", t("srm_fail", lang, p=p_value(srm["p_value"], lang)))
    off_plan = [r for r in data.srm if r["segment_dim"] != "all" and not r["passed"]]
    if off_plan:
        names = ", ".join(html.escape(f"{t('seg_' + r['segment_dim'], lang)} {r['segment_value']}")
                          for r in off_plan)
        trust.flag("caution", t("srm_segment", lang, segments=names))
    rejected = _share(data.rows_rejected, data.rows_read)
    if rejected > data.rejected_limit:
        trust.flag("fail", t("quarantine_high", lang, share=percent(rejected, lang), limit=percent(data.rejected_limit,
                                                                                                    lang, 0)))
    elif rejected > min(REJECTED_CAUTION, data.rejected_limit):
        trust.flag("caution", t("quarantine_some", lang, share=percent(rejected, lang)))
    assigned = sum(data.assigned().values())
    contaminated = data.quality_count("contaminated_user")
    if _share(contaminated, assigned) > CONTAMINATED_FAIL:
        trust.flag("fail", t("contamination_high", lang, n=integer(contaminated, lang),
                             share=percent(_share(contaminated, assigned), lang),
                             limit=percent(CONTAMINATED_FAIL, lang, 0)))
    analysed = sum(sum(v.values()) for v in data.funnel.values())
    unattributed = sum(int(q["count"]) for q in data.quality
                       if q["reason"] in UNATTRIBUTED and q["scope"] == "experiment")
    share = _share(unattributed, analysed + unattributed)
    if share > UNATTRIBUTED_FAIL:
        trust.flag("fail", t("unattributed_high", lang, share=percent(share, lang),
                             limit=percent(UNATTRIBUTED_FAIL, lang, 0)))
    elif share > UNATTRIBUTED_CAUTION:
        trust.flag("caution", t("unattributed_high", lang, share=percent(share, lang),
                                limit=percent(UNATTRIBUTED_FAIL, lang, 0)))
    if not data.overall("withdraw_or_change_rate"):
        trust.flag("fail", t("no_results", lang))
    if data.last_day is not None and data.last_day < exp.end:
        trust.notes.append(t("running", lang, end=day(exp.end, lang), last=day(data.last_day, lang)))
    trust.facts = _facts(data, lang, analysed, unattributed, assigned, contaminated)
    return trust


def _facts(data: ReportData, lang: Lang, analysed: int, unattributed: int, assigned: int,
           contaminated: int) -> list[tuple[str, str]]:
    exp = data.experiment
    planned = json.loads(data.srm_overall["planned_split"]) if data.srm_overall else exp.variants
    assigned_by_arm = data.assigned()
    users = " · ".join(
        f"{arm_label(arm, lang, exp.control)} {integer(assigned_by_arm.get(arm, 0), lang)} "
        f"({percent(planned.get(arm), lang, 0)})" for arm in exp.variants
    )
    attempts = " · ".join(f"{arm_label(arm, lang, exp.control)} "
                          f"{integer(sum(data.funnel.get(arm, {}).values()), lang)}" for arm in exp.variants)
    srm = data.srm_overall
    srm_text = "–" if srm is None else (
        f"{t('passed' if srm['passed'] else 'failed', lang)} ({p_value(srm['p_value'], lang)})")
    days = len({r["as_of"] for r in data.daily})
    data_text = t("arrived", lang, first=day(data.first_arrival, lang), last=day(data.last_arrival, lang))
    if days:
        data_text += "; " + t("days_analysed", lang, n=integer(days, lang))
    rejected = f"{integer(data.rows_rejected, lang)} {t('of_rows', lang, n=integer(data.rows_read, lang))} " \
        f"({percent(_share(data.rows_rejected, data.rows_read), lang, 2)})"
    by_reason = [q for q in data.quality if q["reason"] in ROW_REASONS + FILE_REASONS and q["count"]]
    if by_reason:
        rejected += "<br><small>" + ", ".join(f"{html.escape(q['reason'])} {integer(q['count'], lang)}"
                                              for q in by_reason) + "</small>"
    in_two = f"{integer(contaminated, lang)} ({percent(_share(contaminated, assigned), lang, 2)})"
    return [
        (t("fact_dates", lang), f"{day(exp.start, lang)} {t('to', lang)} {day(exp.end, lang)}"),
        (t("fact_data", lang), data_text),
        (t("fact_users", lang), users),
        (t("fact_attempts", lang), attempts),
        (t("fact_srm", lang), srm_text),
        (t("fact_rejected", lang), rejected),
        (t("fact_late", lang), integer(data.quality_count("late_event"), lang)),
        (t("fact_duplicates", lang), integer(data.quality_count("duplicate_event"), lang)),
        (t("fact_contaminated", lang), in_two),
        (t("fact_unattributed", lang), integer(unattributed, lang)),
        (t("fact_scrubbed", lang), integer(data.quality_count("text_field_scrubbed"), lang)),
    ]
