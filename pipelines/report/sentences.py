"""The answer first: per treatment arm its verdict, why, one plain-language sentence, and how sure we are.

The verdict comes from the statistics engine (``pipelines.results.verdicts``): *ship* when the headline is a
clear win and every guardrail held, *don't ship* on harm or a breached guardrail, else *not decided yet*. Every
number in a sentence is a value of ``experiment_results`` (segment 'all'), formatted for the reader's language.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from pipelines.metrics import BY_ID
from pipelines.registry import POSTS_GUARDRAIL
from pipelines.report.data import ReportData
from pipelines.report.text import Lang, chance, p_value, percent, points, relative, signed_points, t
from pipelines.results import ALPHA, HEADLINE

TOXIC = "toxic_posts_per_user"
GUARDRAIL = POSTS_GUARDRAIL
PRIMARY = tuple(m.id for m in BY_ID.values() if m.primary)
VERDICTS = ("ship", "do_not_ship", "inconclusive")


@dataclass(frozen=True)
class Answer:
    """One arm's answer: its verdict (ship / do_not_ship / inconclusive), why, the sentence and the 'how sure'
    line (HTML-safe)."""

    variant: str
    status: str
    sentence: str
    sure: str
    why: str = ""


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


def _headline_row(data: ReportData, variant: str) -> dict[str, Any] | None:
    return next((r for r in data.overall(HEADLINE) if r["variant"] == variant), None)


def arm_status(data: ReportData, variant: str) -> str:
    """The arm's verdict (ship / do_not_ship / inconclusive), as stored on its headline row."""
    row = _headline_row(data, variant)
    verdict = row.get("verdict") if row else None
    return verdict if verdict in VERDICTS else "inconclusive"


def _metric_label(metric: str, lang: Lang) -> str:
    """The metric's label for the middle of a sentence: 'comments posted per user'."""
    m = BY_ID.get(metric)
    name = metric if m is None else (m.label_de if lang == "de" else m.label_en)
    return html.escape(name[:1].lower() + name[1:])


def _with_margin(metric: str, data: ReportData, lang: Lang) -> str:
    margin = data.experiment.guardrails.get(metric)
    label = _metric_label(metric, lang)
    return label if margin is None else t("guard_margin", lang, metric=label, margin=relative(margin, lang, 0))


def why(data: ReportData, variant: str, lang: Lang) -> str:
    """The verdict's reasons in plain words (from ``verdict_reasons`` of the headline row)."""
    row = _headline_row(data, variant)
    if row is None:
        return ""
    reasons = [r for r in str(row.get("verdict_reasons") or "").split(";") if r]
    guards = {r.split(":", 1)[1]: r.split(":", 1)[0].removeprefix("guardrail_") for r in reasons
              if r.startswith("guardrail_")}
    margins = data.experiment.guardrails
    verdict = arm_status(data, variant)
    if verdict == "ship":
        return t("why_ship", lang, guards="; ".join(_with_margin(g, data, lang) for g in guards if g in margins))
    if verdict == "do_not_ship":
        harm = [r.split(":", 1)[1] for r in reasons if r.startswith("harm:")]
        if row.get("decision") == "harm":
            harm.insert(0, HEADLINE)
        if harm:
            return t("why_harm", lang, metrics=", ".join(_metric_label(m, lang) for m in harm))
        breached = [g for g, s in guards.items() if s == "breached"]
        return t("why_breached", lang, guards=", ".join(_with_margin(g, data, lang) for g in breached))
    if row.get("decision") != "win":
        return t("why_no_evidence", lang)
    open_ = [g for g, s in guards.items() if s != "held"]
    return t("why_guard_open", lang, guards=", ".join(_with_margin(g, data, lang) for g in open_))


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
        out.append(Answer(v, arm_status(data, v), sentence, _sure(r, lang), why(data, v, lang)))
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
    status = r.get("guardrail_status")
    if status == "breached":
        return t("guard_harm", lang, x=relative(r["rel_diff"], lang, 1))
    if status == "held":
        return t("guard_held", lang)
    if status == "not_shown":
        margin = percent(abs(data.experiment.guardrail_margin), lang, 0)
        return t("guard_not_shown", lang, margin=margin, x=relative(r["rel_diff"], lang, 1))
    return t("guard_unknown", lang)


def _sure(r: dict[str, Any], lang: Lang) -> str:
    low, high = signed_points(r["seq_ci_low"], lang), signed_points(r["seq_ci_high"], lang)
    interval = t("sure_win" if r["decision"] in ("win", "harm") else "sure_none", lang, low=low, high=high)
    if not (_finite(r["seq_ci_low"]) and _finite(r["seq_ci_high"])):  # an exact test: no always-valid interval
        interval = t("sure_exact", lang, p=p_value(r["seq_p_value"], lang))
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
    if top["decision"] != "win":
        return ""
    others = ", ".join(t("best_other", lang, diff=points(r["diff"], lang), arm=arm_phrase(r["variant"], lang, "acc"))
                       for r in rows[1:])
    text = t("best", lang, arm=arm_phrase(top["variant"], lang, "nom"), diff=points(top["diff"], lang),
             others=others)
    return text[0].upper() + text[1:]


HETEROGENEITY_DIMS = ("country", "platform", "toxicity_band", "prompt_number")


def heterogeneity_html(data: ReportData, lang: Lang) -> str:
    """Does it work everywhere? Per segment dimension, in plain words, whether the headline effect differs between
    the dimension's values - claimed only where the Holm-corrected Cochran's Q test says so; then the other
    metrics whose effect differs. '' when segment_heterogeneity has no rows for the experiment."""
    rows = data.heterogeneity
    if not rows:
        return ""
    items = []
    for dim in HETEROGENEITY_DIMS:
        dim_rows = [r for r in rows if r["metric"] == HEADLINE and r["segment_dim"] == dim]
        if not dim_rows:
            continue
        name = t("seg_" + dim, lang)
        tested = [r for r in dim_rows if _finite(r["p_value_adjusted"])]
        differ = [r for r in tested if r["p_value_adjusted"] < ALPHA]
        if differ:
            arms = "; ".join(f"{arm_label(r['variant'], lang)}: {p_value(r['p_value_adjusted'], lang)}" for r in differ)
            text = t("het_differs", lang, dim=name, arms=arms)
        elif tested:
            text = t("het_same", lang, dim=name, p=p_value(min(r["p_value_adjusted"] for r in tested), lang))
        else:
            text = t("het_untestable", lang, dim=name)
        if dim == "prompt_number":
            text += t("het_descriptive", lang)
        items.append(f'<li data-dim="{dim}" data-differs="{str(bool(differ)).lower()}">{text}</li>')
    others = sorted({(r["metric"], r["segment_dim"]) for r in rows if r["metric"] != HEADLINE
                     and _finite(r["p_value_adjusted"]) and r["p_value_adjusted"] < ALPHA})
    other = (t("het_others", lang, items=", ".join(f"{_metric_label(m, lang)} ({t('seg_' + d, lang)})"
                                                  for m, d in others)) if others else t("het_none_other", lang))
    return (f'<div class="het" id="heterogeneity"><p>{t("het_intro", lang)}</p><ul>{"".join(items)}</ul>'
            f"<p>{other}</p></div>")
