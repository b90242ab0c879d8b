"""Assemble the per-experiment reports from the result tables.

Reads only aggregates (results, sample-ratio checks, data-quality counts, outcome counts per arm): no user
id and no raw text can reach a report. Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from pipelines.contract import REASON_TEXT_EN
from pipelines.metrics import BY_ID, CATALOGUE
from pipelines.registry import Experiment
from pipelines.report.text import LANGS, Lang, number, p_value, percent, points, signed, t
from pipelines.warehouse import fetch_dicts

HEADLINE = "withdraw_or_change_rate"


def write_reports(con: duckdb.DuckDBPyConnection, experiments: list[Experiment], reports_dir: Path) -> list[Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for exp in experiments:
        data = _load(con, exp)
        folder = reports_dir / exp.id
        folder.mkdir(parents=True, exist_ok=True)
        written.append(_write_csv(folder / "results.csv", data["results"]))
        for lang in LANGS:
            path = folder / ("index.html" if lang == "en" else "index.de.html")
            path.write_text(render(exp, data, lang), encoding="utf-8")
            written.append(path)
    index = reports_dir / "index.html"
    index.write_text(_render_index(experiments), encoding="utf-8")
    written.append(index)
    return written


def _load(con: duckdb.DuckDBPyConnection, exp: Experiment) -> dict[str, Any]:
    p = {"e": exp.id}
    return {
        "results": fetch_dicts(
            con, "SELECT * FROM experiment_results WHERE experiment_id = $e ORDER BY metric, segment_dim, "
            "segment_value, variant", p),
        "srm": fetch_dicts(
            con, "SELECT * FROM sample_ratio_checks WHERE experiment_id = $e AND segment_dim = 'all'", p),
        "quality": fetch_dicts(
            con, "SELECT reason, sum(count)::BIGINT AS count FROM data_quality "
            "WHERE experiment_id = $e OR experiment_id IS NULL GROUP BY 1 ORDER BY 2 DESC", p),
        "funnel": fetch_dicts(
            con, "SELECT variant, outcome, count(*) AS attempts FROM triggered_attempts "
            "WHERE experiment_id = $e AND exclusion IS NULL GROUP BY ALL ORDER BY ALL", p),
    }


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        if rows:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def _overall(results: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [r for r in results if r["metric"] == metric and r["segment_dim"] == "all"]


def headline_sentences(exp: Experiment, results: list[dict[str, Any]], lang: Lang) -> list[tuple[str, str]]:
    """(status, sentence) per treatment arm: the answer in plain words."""
    out = []
    toxic = {r["variant"]: r for r in _overall(results, "toxic_posts_per_user")}
    posts = {r["variant"]: r for r in _overall(results, "posts_per_user")}
    for r in _overall(results, HEADLINE):
        s = t("headline", lang, arm=html.escape(r["variant"]), value=percent(r["value_variant"], lang),
              control=percent(r["value_control"], lang), diff=points(r["diff"], lang),
              low=points(r["diff_ci_low"], lang), high=points(r["diff_ci_high"], lang),
              p=p_value(r["p_value_adjusted"], lang))
        tx = toxic.get(r["variant"])
        if tx and tx["rel_diff"] is not None:
            amount = percent(abs(tx["rel_diff"]), lang, 0)
            rel = t("fewer" if tx["rel_diff"] < 0 else "more", lang, x=amount)
            s += " " + t("toxic", lang, rel=rel)
        g = posts.get(r["variant"])
        if g and g.get("guardrail_status"):
            s += " " + t("guardrail_held" if g["guardrail_status"] == "held" else "guardrail_not_shown", lang)
        out.append((r["decision"] or "no_evidence", s))
    return out


def _funnel_figure(data: dict[str, Any], exp: Experiment, lang: Lang) -> go.Figure:
    fig = go.Figure()
    arms = list(exp.variants)
    totals = {a: sum(f["attempts"] for f in data["funnel"] if f["variant"] == a) for a in arms}
    for outcome in ("withdrawn", "changed", "posted_unchanged"):
        shares = []
        for a in arms:
            n = sum(f["attempts"] for f in data["funnel"] if f["variant"] == a and f["outcome"] == outcome)
            shares.append(n / totals[a] if totals[a] else 0.0)
        fig.add_bar(name=t(outcome, lang), x=arms, y=shares)
    fig.update_layout(barmode="stack", yaxis_tickformat=".0%", title=t("funnel", lang), height=380,
                      separators=",." if lang == "de" else ".,")
    return fig


def _forest_figure(results: list[dict[str, Any]], lang: Lang) -> go.Figure:
    fig = go.Figure()
    rows = [r for r in results if r["segment_dim"] == "all" and r["rel_diff"] is not None]
    for variant in sorted({r["variant"] for r in rows}):
        mine = [r for r in rows if r["variant"] == variant]
        label = {m.id: (m.label_de if lang == "de" else m.label_en) for m in CATALOGUE}
        fig.add_scatter(
            name=variant, mode="markers",
            x=[r["rel_diff"] for r in mine], y=[label[r["metric"]] for r in mine],
            error_x={"type": "data", "symmetric": False,
                     "array": [(r["rel_ci_high"] or r["rel_diff"]) - r["rel_diff"] for r in mine],
                     "arrayminus": [r["rel_diff"] - (r["rel_ci_low"] or r["rel_diff"]) for r in mine]},
        )
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(title=t("forest", lang), xaxis_tickformat="+.0%", height=480,
                      separators=",." if lang == "de" else ".,")
    return fig


def render(exp: Experiment, data: dict[str, Any], lang: Lang) -> str:
    figs = [_funnel_figure(data, exp, lang), _forest_figure(data["results"], lang)]
    fig_html = "".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False}) for i, f in enumerate(figs)
    )
    other = "index.de.html" if lang == "en" else "index.html"
    srm = data["srm"][0] if data["srm"] else None
    if srm and not srm["passed"]:
        banner = f'<div class="banner red">{t("srm_fail", lang, p=number(srm["p_value"], lang, 4))}</div>'
    elif srm:
        banner = f'<div class="banner green">{t("srm_ok", lang, p=number(srm["p_value"], lang, 3))}</div>'
    else:
        banner = ""
    answers = "".join(
        f'<p class="answer {status}"><span class="status">{t(status, lang)}</span> {s}</p>'
        for status, s in headline_sentences(exp, data["results"], lang)
    )
    quality = "".join(
        f"<tr><td>{html.escape(q['reason'])}</td><td>{html.escape(REASON_TEXT_EN.get(q['reason'], ''))}</td>"
        f"<td class=num>{number(q['count'], lang, 0)}</td></tr>" for q in data["quality"]
    ) or f"<tr><td colspan=3>{t('dq_none', lang)}</td></tr>"
    table = "".join(
        f"<tr><td>{html.escape(BY_ID[r['metric']].label_de if lang == 'de' else BY_ID[r['metric']].label_en)}</td>"
        f"<td>{html.escape(r['variant'])}</td><td class=num>{_fmt(r, 'value_control', lang)}</td>"
        f"<td class=num>{_fmt(r, 'value_variant', lang)}</td>"
        f"<td class=num>{_fmt_diff(r, lang)}</td><td class=num>{p_value(r['p_value_adjusted'], lang)}</td>"
        f"<td>{t(r['decision'], lang)}</td></tr>"
        for r in data["results"] if r["segment_dim"] == "all"
    )
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(exp.id)} – nudge-impact</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
.banner{{padding:.8em 1em;border-radius:6px;margin:1em 0}}.red{{background:#fde2e1;border:2px solid #c0392b}}
.green{{background:#e3f6e8;border:1px solid #27ae60}}.answer{{font-size:1.15em}}
.status{{font-weight:bold;padding:.1em .5em;border-radius:4px;background:#eee}}
.answer.win .status{{background:#27ae60;color:#fff}}.answer.harm .status{{background:#c0392b;color:#fff}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}}
.num{{text-align:right}}</style></head><body>
<p><a href="{other}">{t("other_language", lang)}</a> · <a href="results.csv">{t("download", lang)}</a></p>
<h1>{t("title", lang)}</h1><p>{t("experiment", lang)}: <code>{html.escape(exp.id)}</code>,
{exp.start.isoformat()} – {exp.end.isoformat()}</p>
<h2>{t("answer", lang)}</h2>{answers}
<h2>{t("trust", lang)}</h2>{banner}
{fig_html}
<h2>{t("all_metrics", lang)}</h2><table><tr><th>{t("metric", lang)}</th><th>{t("arm", lang)}</th>
<th>{t("control", lang)}</th><th>{t("arm", lang)}</th><th>{t("effect", lang)}</th><th>p</th>
<th>{t("decision", lang)}</th></tr>{table}</table>
<h2>{t("data_quality", lang)}</h2><table><tr><th>{t("reason", lang)}</th><th></th><th>{t("count", lang)}</th></tr>
{quality}</table>
</body></html>"""


def _fmt(r: dict[str, Any], key: str, lang: Lang) -> str:
    return percent(r[key], lang) if BY_ID[r["metric"]].percent else number(r[key], lang, 3)


def _fmt_diff(r: dict[str, Any], lang: Lang) -> str:
    if BY_ID[r["metric"]].percent:
        return f"{points(r['diff'], lang)} ({points(r['diff_ci_low'], lang)} … {points(r['diff_ci_high'], lang)})"
    return f"{signed(r['diff'], lang, 3)} ({signed(r['diff_ci_low'], lang, 3)} … {signed(r['diff_ci_high'], lang, 3)})"


def _render_index(experiments: list[Experiment]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(e.id)}/index.html">{html.escape(e.id)}</a> '
        f'(<a href="{html.escape(e.id)}/index.de.html">deutsch</a>) {e.start} – {e.end}</li>'
        for e in experiments
    )
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{t("index_title", "en")}</title></head>'
            f"<body><h1>{t('index_title', 'en')}</h1><ul>{items}</ul></body></html>")


def write_withheld_report(con: duckdb.DuckDBPyConnection, exp: Experiment, reports_dir: Path) -> list[Path]:
    """Replace an experiment's report by a red notice: its arms are not the planned sizes, so no result of
    it may be read as an effect of the prompt. Shows the sample-ratio check and data quality, no effects."""
    srm = fetch_dicts(con, "SELECT * FROM sample_ratio_checks WHERE experiment_id = $e ORDER BY segment_dim, "
                      "segment_value", {"e": exp.id})
    overall = next((r for r in srm if r["segment_dim"] == "all"), None)
    folder = reports_dir / exp.id
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in LANGS:
        p = number(overall["p_value"], lang, 6) if overall else "–"
        rows = "".join(
            f"<tr><td>{html.escape(r['segment_dim'])}</td><td>{html.escape(r['segment_value'])}</td>"
            f"<td>{html.escape(r['assigned_users'])}</td><td>{html.escape(r['planned_split'])}</td>"
            f"<td class=num>{number(r['p_value'], lang, 4)}</td><td>{'✔' if r['passed'] else '✘'}</td></tr>"
            for r in srm
        )
        page = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(exp.id)} – withheld</title><style>body{{font-family:system-ui,sans-serif;max-width:1000px;
margin:2em auto}}.banner{{padding:1em;border-radius:6px;background:#fde2e1;border:2px solid #c0392b}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .6em}}</style></head><body>
<h1>{t("title", lang)}</h1><p><code>{html.escape(exp.id)}</code></p>
<div class="banner red" id="trust-banner">{t("srm_fail", lang, p=p)} {t("withheld", lang)}</div>
<table><tr><th></th><th></th><th>{t("users", lang)}</th><th>plan</th><th>p</th><th></th></tr>{rows}</table>
</body></html>"""
        path = folder / ("index.html" if lang == "en" else "index.de.html")
        path.write_text(page, encoding="utf-8")
        written.append(path)
    stale = folder / "results.csv"
    if stale.exists():
        stale.unlink()
    return written
