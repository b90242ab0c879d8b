"""The HTML pages: an experiment's report, the withheld notice, and the index of all experiments.

Self-contained: plotly.js is inlined once per page that has figures, styles are inline, and every link is
relative (the other language, results.csv, the index). Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from pipelines.contract import REASON_TEXT_EN
from pipelines.metrics import BY_ID, CATALOGUE
from pipelines.registry import Experiment
from pipelines.report import figures
from pipelines.report.data import ReportData, Row
from pipelines.report.methods import methods_html
from pipelines.report.sentences import answers, arm_label, arm_name, best_arm, heterogeneity_html
from pipelines.report.text import (
    Lang,
    chance,
    day,
    integer,
    number,
    p_value,
    percent,
    points,
    relative,
    signed,
    signed_points,
    t,
)
from pipelines.report.trust import Trust, assess
from pipelines.report.words import REASON_TEXT_DE

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1080px;
margin:0 auto;padding:1.2em 1.2em 4em;color:#1d1d1f;line-height:1.45;background:#fff}
header .top{display:flex;justify-content:space-between;gap:1em;flex-wrap:wrap;font-size:.92em}
nav a,header a{color:#0b5cad;margin-right:.9em}
h1{margin:.4em 0 .1em;font-size:1.9em}h2{margin:1.8em 0 .5em;border-bottom:2px solid #eee;padding-bottom:.2em}
h3{margin:1.2em 0 .3em;font-size:1.05em}.sub{color:#555;margin:0}
.answer{display:flex;gap:1em;align-items:flex-start;padding:.9em 1em;margin:.7em 0;border-radius:8px;
background:#f6f6f7;border-left:6px solid #999}
.answer.win,.answer.ship{background:#eaf7ee;border-color:#1e8e3e}
.answer.harm,.answer.do_not_ship{background:#fdecea;border-color:#c5221f}
.answer .sentence{font-size:1.18em;margin:0}.answer .sure{margin:.35em 0 0;color:#444;font-size:.95em}
.answer .why{margin:0 0 .35em;font-weight:600}.het li{margin:.2em 0}
.pill{display:inline-block;white-space:nowrap;font-weight:600;padding:.15em .6em;border-radius:99px;
background:#777;color:#fff;font-size:.9em}
.pill.win,.pill.ok,.pill.ship{background:#1e8e3e}.pill.harm,.pill.fail,.pill.do_not_ship{background:#c5221f}
.pill.no_evidence,.pill.inconclusive{background:#6b6b6b}.pill.caution{background:#b06000}
.pill.too_few_events{background:#9a9a9a}
a.pill{text-decoration:none;color:#fff}
.answer .pill{font-size:1em;min-width:9.5em;text-align:center;margin-top:.1em}
.best{font-size:1.12em;margin:.6em 0;font-weight:600}
tr.first td{border-top:2px solid #ccc}td.metric{background:#fcfcfc;min-width:14em}
.banner{padding:.9em 1.1em;border-radius:8px;margin:.8em 0}
.banner.ok{background:#eaf7ee;border:1px solid #1e8e3e}.banner.caution{background:#fff4e0;border:2px solid #b06000}
.banner.fail{background:#fdecea;border:3px solid #c5221f}.verdict{font-size:1.2em;font-weight:700;margin:0 0 .3em}
.banner.fail .verdict{color:#a50e0e}.warn{background:#fdecea;border:2px solid #c5221f;padding:.6em 1em;
border-radius:8px;font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1.2em;margin:.7em 0 0;font-size:.93em}
.facts dt{color:#555}.facts dd{margin:0}
.note{color:#444;font-style:italic}
figure{margin:1.4em 0}figcaption{color:#444;font-size:.93em;margin:.2em 0 .4em}
figure h3{margin-bottom:.1em}
table{border-collapse:collapse;width:100%;font-size:.93em}td,th{border-bottom:1px solid #e3e3e3;
padding:.35em .55em;text-align:left;vertical-align:top}th{background:#fafafa}.num{text-align:right;
white-space:nowrap}table.small{font-size:.85em}.scroll{overflow-x:auto}code{font-size:.92em}
footer{margin-top:3em;color:#777;font-size:.85em}
"""

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def _head(title: str, lang: Lang, *, plotly: bool) -> str:
    script = f"<script>{get_plotlyjs()}</script>" if plotly else ""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style>{script}</head><body>")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M")


def _other(lang: Lang, en: str, de: str) -> str:
    return f'<a href="{de if lang == "en" else en}" hreflang="{"de" if lang == "en" else "en"}">' \
           f'{t("other_language", lang)}</a>'


def _figure(fig: go.Figure, div_id: str, title: str, caption: str) -> str:
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)
    return f'<figure class="plot" id="{div_id}-figure"><h3>{title}</h3><figcaption>{caption}</figcaption>' \
           f"{body}</figure>"


def _answer_section(data: ReportData, trust: Trust, lang: Lang) -> str:
    out = []
    if trust.level == "fail":
        out.append(f'<p class="warn">{t("trust_fail", lang)} ' + " ".join(trust.reasons) + "</p>")
    best = best_arm(data, lang)
    if best:
        out.append(f'<p class="best">{best}</p>')
    arms = answers(data, lang)
    for a in arms:
        out.append(f'<div class="answer {a.status}" data-variant="{html.escape(a.variant)}">'
                   f'<span class="pill {a.status}">{t(a.status, lang)}</span><div>'
                   f'<p class="why">{a.why}</p><p class="sentence">{a.sentence}</p><p class="sure">{a.sure}</p>'
                   "</div></div>")
    if not arms:
        out.append(f'<p class="answer">{t("no_answer", lang)}</p>')
    return "".join(out)


def _trust_section(trust: Trust, lang: Lang) -> str:
    verdict = t({"ok": "trust_ok", "caution": "trust_caution", "fail": "trust_fail"}[trust.level], lang)
    reasons = "".join(f"<li>{r}</li>" for r in trust.reasons)
    notes = "".join(f'<p class="note">{n}</p>' for n in trust.notes)
    facts = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in trust.facts)
    return (f'<div id="trust-banner" class="banner {trust.level}" data-level="{trust.level}">'
            f'<p class="verdict">{verdict}</p>{"<ul>" + reasons + "</ul>" if reasons else ""}{notes}'
            f'<dl class="facts">{facts}</dl></div>')


def _digits(r: Row) -> int:
    """Decimals giving about three significant digits at the control value's magnitude (0.0043, 0.856, 10.5)."""
    ref = abs(r["value_control"]) if _finite(r["value_control"]) and r["value_control"] else 1.0
    return max(1, min(5, 2 - math.floor(math.log10(ref))))


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _fmt_value(r: Row, key: str, lang: Lang) -> str:
    return percent(r[key], lang) if BY_ID[r["metric"]].percent else number(r[key], lang, _digits(r))


def _fmt_diff(r: Row, lang: Lang) -> str:
    if BY_ID[r["metric"]].percent:
        return (f"{points(r['diff'], lang)}<br><small>({signed_points(r['diff_ci_low'], lang)} {t('to', lang)} "
                f"{signed_points(r['diff_ci_high'], lang)})</small>")
    d = _digits(r)
    return (f"{signed(r['diff'], lang, d)} ({relative(r['rel_diff'], lang)})<br><small>"
            f"({signed(r['diff_ci_low'], lang, d)} {t('to', lang)} {signed(r['diff_ci_high'], lang, d)})</small>")


def _metrics_table(data: ReportData, lang: Lang) -> str:
    """Every metric over all users: one block per metric, one row per prompt arm."""
    heads = ("metric", "arm", "control", "arm_value", "effect", "p_adj", "chance", "decision")
    head = "".join(f"<th>{t(h, lang)}</th>" for h in heads)
    body = []
    for m in CATALOGUE:
        rows = data.overall(m.id)
        label = html.escape(m.label_de if lang == "de" else m.label_en)
        direction = t("higher_better" if m.higher_is_better else "lower_better", lang)
        guard = m.id in data.experiment.guardrails
        role = " · ".join(t(k, lang) for k, on in (("primary", m.primary), ("guardrail", guard)) if on)
        for i, r in enumerate(rows):
            decision = r["decision"] or "no_evidence"
            first = (f'<td rowspan="{len(rows)}" class="metric"><b>{label}</b><br><small>{direction}'
                     f'{" · " + role if role else ""}</small></td>' if i == 0 else "")
            cls = " class=first" if i == 0 else ""
            body.append(
                f'<tr data-metric="{m.id}" data-variant="{html.escape(r["variant"])}"{cls}>'
                f"{first}<td>{arm_name(r['variant'])}</td>"
                f"<td class=num>{_fmt_value(r, 'value_control', lang)}</td>"
                f"<td class=num>{_fmt_value(r, 'value_variant', lang)}</td><td class=num>{_fmt_diff(r, lang)}</td>"
                f"<td class=num>{p_value(r['p_value_adjusted'], lang)}</td>"
                f"<td class=num>{chance(r['chance_to_beat_control'], lang)}</td>"
                f'<td><span class="pill {decision}">{t(decision, lang)}</span>{_events_note(r, lang)}</td></tr>'
            )
    return f'<div class="scroll"><table id="metrics-table"><tr>{head}</tr>{"".join(body)}</table></div>'


def _events_note(r: Row, lang: Lang) -> str:
    """Under the status of a row tested exactly or not at all: how many events the arms had."""
    method = str(r.get("method") or "")
    if not (method.startswith(("poisson_exact", "fisher_exact", "too_few_events"))) or r.get("events_control") is None:
        return ""
    key = "events_few" if method.startswith("too_few_events") else "events_exact"
    return (f"<br><small>{t(key, lang, c=integer(r['events_control'], lang), v=integer(r['events_variant'], lang))}"
            "</small>")


def _quality_table(data: ReportData, lang: Lang) -> str:
    texts = REASON_TEXT_DE if lang == "de" else REASON_TEXT_EN
    rows = "".join(
        f"<tr><td><code>{html.escape(q['reason'])}</code></td><td>{html.escape(texts.get(q['reason'], ''))}</td>"
        f"<td>{t('scope_log' if q['scope'] == 'log' else 'scope_experiment', lang)}</td>"
        f"<td class=num>{integer(q['count'], lang)}</td></tr>" for q in data.quality
    ) or f"<tr><td colspan=4>{t('dq_none', lang)}</td></tr>"
    head = "".join(f"<th>{t(h, lang)}</th>" for h in ("reason", "meaning", "scope", "count"))
    return f"<p>{t('dq_intro', lang)}</p><table id=\"quality-table\"><tr>{head}</tr>{rows}</table>"


def report_page(data: ReportData, lang: Lang) -> str:
    """The whole report of one experiment in one language."""
    exp = data.experiment
    trust = assess(data, lang)
    methods = methods_html(exp, lang, rejected_limit=data.rejected_limit)
    figs = [
        (figures.funnel, "fig-funnel", "fig_funnel", "cap_funnel"),
        (figures.forest, "fig-forest", "fig_forest", "cap_forest"),
        (figures.daily, "fig-daily", "fig_daily", "cap_daily"),
        (figures.segments, "fig-segments", "fig_segments", "cap_segments"),
        (figures.fatigue, "fig-fatigue", "fig_fatigue", "cap_fatigue"),
        (figures.learning, "fig-learning", "fig_learning", "cap_learning"),
    ]
    captions = {"cap_segments": t("cap_segments", lang, min=figures.MIN_SEGMENT_USERS) + " "
                + figures.hidden_segments(data, lang) + heterogeneity_html(data, lang)}
    fig_html = "".join(_figure(make(data, lang), div, t(title, lang), captions.get(cap) or t(cap, lang))
                       for make, div, title, cap in figs)
    sections = ("answer", "trust", "figures", "all_metrics", "data_quality", "methods")
    nav = " ".join(f'<a href="#{s}">{t(s, lang)}</a>' for s in sections)
    eid = html.escape(exp.id)
    return (
        _head(f"{eid} – nudge-impact", lang, plotly=True)
        + f'<header><div class="top"><nav>{nav}</nav><div>{_other(lang, "index.html", "index.de.html")} · '
        f'<a href="results.csv" download>{t("download", lang)}</a> · '
        f'<a href="../{"index.html" if lang == "en" else "index.de.html"}">{t("all_experiments", lang)}</a>'
        f"</div></div><h1>{t('title', lang)}</h1><p class=sub>{t('experiment', lang)} <code>{eid}</code>, "
        f"{day(exp.start, lang)} {t('to', lang)} {day(exp.end, lang)} · "
        f"<a href=\"#trust\" class=\"pill {trust.level}\">{t('level_' + trust.level, lang)}</a></p></header>"
        + f'<section id="answer"><h2>{t("answer", lang)}</h2>{_answer_section(data, trust, lang)}</section>'
        + f'<section id="trust"><h2>{t("trust", lang)}</h2>{_trust_section(trust, lang)}</section>'
        + f'<section id="figures"><h2>{t("figures", lang)}</h2>{fig_html}</section>'
        + f'<section id="all_metrics"><h2>{t("all_metrics", lang)}</h2>{_metrics_table(data, lang)}</section>'
        + f'<section id="data_quality"><h2>{t("data_quality", lang)}</h2>{_quality_table(data, lang)}</section>'
        + f'<section id="methods"><h2>{t("methods", lang)}</h2>{methods}</section>'
        + f"<footer>{t('generated', lang, when=_now(), last=day(data.last_arrival, lang))}</footer></body></html>"
    )


def withheld_page(exp: Experiment, srm: list[Row], lang: Lang) -> str:
    """The red notice that replaces a report when the arms are not the planned sizes."""
    overall = next((r for r in srm if r["segment_dim"] == "all"), None)
    p = p_value(overall["p_value"], lang) if overall else "–"
    rows = []
    for r in srm:
        assigned = json.loads(r["assigned_users"])
        planned = json.loads(r["planned_split"])
        total = sum(assigned.values()) or 1
        for arm, n in assigned.items():
            seg = t("all", lang) if r["segment_dim"] == "all" else \
                f"{t('seg_' + r['segment_dim'], lang)}: {html.escape(str(r['segment_value']))}"
            rows.append(
                f"<tr><td>{seg}</td><td>{html.escape(arm)}</td><td class=num>{integer(n, lang)}</td>"
                f"<td class=num>{percent(n / total, lang)}</td><td class=num>{percent(planned.get(arm), lang)}</td>"
                f"<td class=num>{p_value(r['p_value'], lang)}</td>"
                f'<td>{t("passed" if r["passed"] else "failed", lang)}</td></tr>'
            )
    head = "".join(f"<th>{t(h, lang)}</th>" for h in ("segment", "arm", "users", "observed", "planned"))
    eid = html.escape(exp.id)
    return (
        _head(f"{eid} – {t('withheld_title', lang)}", lang, plotly=False)
        + f'<header><div class="top"><span></span><div>{_other(lang, "index.html", "index.de.html")} · '
        f'<a href="../{"index.html" if lang == "en" else "index.de.html"}">{t("all_experiments", lang)}</a></div>'
        f"</div><h1>{t('withheld_title', lang)}</h1><p class=sub>{t('experiment', lang)} <code>{eid}</code>, "
        f"{day(exp.start, lang)} {t('to', lang)} {day(exp.end, lang)}</p></header>"
        f'<div class="banner fail" id="trust-banner" data-level="fail"><p class="verdict">{t("trust_fail", lang)}</p>'
        f"<p>{t('srm_fail', lang, p=p)}</p><p>{t('withheld', lang)}</p><p>{t('withheld_next', lang)}</p></div>"
        f'<div class="scroll"><table id="srm-table"><tr>{head}<th>p</th><th></th></tr>{"".join(rows)}</table></div>'
        f"<footer>{t('generated_at', lang, when=_now())}</footer></body></html>"
    )


def index_page(summaries: list[dict[str, Any]], lang: Lang) -> str:
    """The list of every experiment with its per-arm status and trust, linking both languages."""
    rows = []
    for s in summaries:
        eid = html.escape(s["experiment_id"])
        if s["withheld"]:
            result = f'<span class="pill fail">{t("index_withheld", lang)}</span>'
        else:
            ranked = sorted(s["arms"], key=lambda a: -a["diff"] if _finite(a["diff"]) else math.inf)
            result = "<br>".join(
                f'<span class="pill {a["status"]}">{t(a["status"], lang)}</span> {arm_label(a["variant"], lang)}: '
                f"<b>{points(a['diff'], lang)}</b> ({percent(a['value_variant'], lang)} "
                f"{t('vs', lang)} {percent(a['value_control'], lang)})" for a in ranked
            ) or t("no_data", lang)
        level = s["trust"]
        trust = t("level_" + level, lang)
        start, end = (datetime.fromisoformat(s[k]).date() for k in ("start", "end"))
        rows.append(
            f"<tr><td><code>{eid}</code></td><td>{day(start, lang)} {t('to', lang)} {day(end, lang)}</td>"
            f"<td>{result}</td><td><span class=\"pill {level}\">{trust}</span></td>"
            f'<td><a href="{eid}/index.html">{t("english", lang)}</a> · '
            f'<a href="{eid}/index.de.html">{t("german", lang)}</a></td></tr>'
        )
    heads = ("experiment", "dates", "result", "trust_short", "report")
    table = (f"<table id=\"index-table\"><tr>{''.join(f'<th>{t(h, lang)}</th>' for h in heads)}</tr>"
             f"{''.join(rows)}</table>") if rows else f"<p>{t('index_none', lang)}</p>"
    return (
        _head(t("index_title", lang), lang, plotly=False)
        + f'<header><div class="top"><span></span>{_other(lang, "index.html", "index.de.html")}</div>'
        f"<h1>{t('index_title', lang)}</h1><p class=sub>{t('index_intro', lang)}</p></header>{table}"
        f"<footer>{t('generated_at', lang, when=_now())}</footer>"
        "</body></html>"
    )
