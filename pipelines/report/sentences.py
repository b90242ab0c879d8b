"""The answer first: one plain-language sentence per treatment arm, its status, and how sure we are.

The status comes from the statistics engine's decision rule (``pipelines.results.decision``): the headline
metric's decision, turned into *harm* when any primary metric or the guardrail shows harm. Every number in
a sentence is a value of ``experiment_results`` (segment 'all'), formatted for the reader's language.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from pipelines.metrics import BY_ID
from pipelines.report.data import ReportData
from pipelines.report.text import Lang, chance, p_value, percent, points, relative, signed_points, t

HEADLINE = "withdraw_or_change_rate"
TOXIC = "toxic_posts_per_user"
GUARDRAIL = next(m.id for m in BY_ID.values() if m.guardrail)
PRIMARY = tuple(m.id for m in BY_ID.values() if m.primary)


@dataclass(frozen=True)
class Answer:
    """One arm's answer: status (win / no_evidence / harm), the sentence and the 'how sure' line (HTML-safe)."""

    variant: str
    status: str
    sentence: str
    sure: str


def arm_name(variant: str) -> str:
    """A readable name of an arm id: prompt_empathy → empathy (HTML-escaped)."""
    name = variant
    for prefix in ("prompt_", "nudge_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix):]
    for suffix in ("_prompt", "_nudge"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return html.escape(name.replace("_", " "))


def arm_phrase(variant: str, lang: Lang, case: str = "nom") -> str:
    """'the “empathy” prompt' / 'der Hinweis „empathy“' (case: nom, dat, acc)."""
    return t(f"arm_{case}", lang, name=arm_name(variant))


def arm_label(variant: str, lang: Lang, control: str | None = None) -> str:
    """A short label for charts and tables: '“empathy” prompt' / 'Hinweis „empathy“'; 'Control' for control."""
    if variant == control:
        return t("control", lang)
    return t("arm_label", lang, name=arm_name(variant))


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def arm_status(data: ReportData, variant: str) -> str:
    """win / no_evidence / harm for an arm: the headline decision, or harm on any primary or guardrail metric."""
    decisions = {r["metric"]: r["decision"] for r in data.results
                 if r["variant"] == variant and r["segment_dim"] == "all"}
    if any(decisions.get(m) == "harm" for m in (*PRIMARY, GUARDRAIL)):
        return "harm"
    return decisions.get(HEADLINE) or "no_evidence"


def answers(data: ReportData, lang: Lang) -> list[Answer]:
    """The answer per treatment arm, the largest headline effect first."""
    toxic = {r["variant"]: r for r in data.overall(TOXIC)}
    guard = {r["variant"]: r for r in data.overall(GUARDRAIL)}
    out = []
    ranked = sorted(data.overall(HEADLINE), key=lambda r: -r["diff"] if _finite(r["diff"]) else math.inf)
    for r in ranked:
        v = r["variant"]
        sentence = t("headline", lang, arm=arm_phrase(v, lang, "dat"), value=percent(r["value_variant"], lang),
                     control=percent(r["value_control"], lang), diff=points(r["diff"], lang, long=True),
                     low=signed_points(r["diff_ci_low"], lang), high=signed_points(r["diff_ci_high"], lang))
        second = [_toxic_clause(toxic.get(v), lang), _guard_clause(guard.get(v), data, lang)]
        second = [c for c in second if c]
        if second:
            text = "; ".join(second)
            sentence += " " + text[0].upper() + text[1:]
            if not sentence.endswith("."):
                sentence += "."
        out.append(Answer(v, arm_status(data, v), sentence, _sure(r, lang)))
    return out


def _toxic_clause(r: dict[str, Any] | None, lang: Lang) -> str:
    if r is None or not _finite(r["rel_diff"]):
        return ""
    if r["decision"] in ("win", "harm"):
        key = "toxic_fewer" if r["rel_diff"] < 0 else "toxic_more"
        return t(key, lang, x=percent(abs(r["rel_diff"]), lang, 0))
    return t("toxic_unclear", lang, x=relative(r["rel_diff"], lang))


def _guard_clause(r: dict[str, Any] | None, data: ReportData, lang: Lang) -> str:
    if r is None:
        return ""
    if r["decision"] == "harm":
        return t("guard_harm", lang, x=relative(r["rel_diff"], lang, 1))
    status = r.get("guardrail_status")
    if status == "held":
        return t("guard_held", lang)
    if status == "not_shown":
        margin = percent(abs(data.experiment.guardrail_margin), lang, 0)
        return t("guard_not_shown", lang, margin=margin, x=relative(r["rel_diff"], lang, 1))
    return t("guard_unknown", lang)


def _sure(r: dict[str, Any], lang: Lang) -> str:
    low, high = signed_points(r["seq_ci_low"], lang), signed_points(r["seq_ci_high"], lang)
    interval = t("sure_win" if r["decision"] in ("win", "harm") else "sure_none", lang, low=low, high=high)
    p = p_value(r["p_value_adjusted"], lang).replace(" ", "\u00a0")  # keep "p < 0.001" on one line
    parts = [interval, t("sure_p", lang, p=p)]
    if _finite(r["chance_to_beat_control"]):
        parts.append(t("sure_chance", lang, x=chance(r["chance_to_beat_control"], lang)))
    return f"{t('sure', lang)} " + "; ".join(parts) + "."


def best_arm(data: ReportData, lang: Lang) -> str:
    """'Most effective: …' when two or more prompts were tested and the largest effect is a clear win."""
    rows = [r for r in data.overall(HEADLINE) if _finite(r["diff"])]
    if len(rows) < 2:
        return ""
    rows.sort(key=lambda r: r["diff"], reverse=True)
    top = rows[0]
    if arm_status(data, top["variant"]) != "win":
        return ""
    others = ", ".join(t("best_other", lang, diff=points(r["diff"], lang), arm=arm_phrase(r["variant"], lang, "acc"))
                       for r in rows[1:])
    text = t("best", lang, arm=arm_phrase(top["variant"], lang, "nom"), diff=points(top["diff"], lang),
             others=others)
    return text[0].upper() + text[1:]
