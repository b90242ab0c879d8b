"""The report's Plotly figures: outcome funnel, forest plot, effect over days, segments, prompt fatigue, learning
curve.

Every number shown on a figure (bar labels, hover text) is formatted by :mod:`pipelines.report.text`, and
the axes use the locale's separators, so the German figures read 41,3 % like the German text.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipelines.metrics import BY_ID, CATALOGUE, PROMPT_NUMBERS, Metric
from pipelines.report.data import ReportData, Row
from pipelines.report.sentences import HEADLINE, arm_label
from pipelines.report.text import Lang, day, integer, number, percent, points, relative, t

CONTROL_COLOUR = "#8a8a8a"
ARM_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")  # Okabe–Ito, colour-blind safe
OUTCOME_COLOURS = {"withdrawn": "#1b5e8c", "changed": "#6aaed6", "posted_unchanged": "#e8a98c"}
OUTCOMES = ("withdrawn", "changed", "posted_unchanged")
LEARNING = ("trigger_rate_days_0_1", "trigger_rate_days_2_7", "trigger_rate_days_8_plus")
SEGMENT_DIMS = ("country", "platform", "toxicity_band")
MIN_SEGMENT_USERS = 20  # a segment is drawn only when every side of a comparison has at least this many users
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def colours(data: ReportData) -> dict[str, str]:
    """One colour per arm, the same in every figure: grey for control, Okabe–Ito for the prompts."""
    out = {data.experiment.control: CONTROL_COLOUR}
    for i, arm in enumerate(data.experiment.treatments):
        out[arm] = ARM_COLOURS[i % len(ARM_COLOURS)]
    return out


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _layout(fig: go.Figure, lang: Lang, height: int, **kw: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white", height=height, separators=",." if lang == "de" else ".,",
        font={"family": FONT, "size": 13, "color": "#222"}, margin={"l": 10, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}, hoverlabel={"namelength": -1}, **kw,
    )
    return fig


def _label(m: Metric, lang: Lang) -> str:
    return m.label_de if lang == "de" else m.label_en


def funnel(data: ReportData, lang: Lang) -> go.Figure:
    """Per arm: flagged comments → withdrawn / changed / posted unchanged, as 100 % stacked bars."""
    arms = list(data.experiment.variants)
    totals = {a: sum(data.funnel.get(a, {}).values()) for a in arms}
    ylabels = [f"<b>{arm_label(a, lang, data.experiment.control)}</b><br>"
               f"{t('flagged_n', lang, n=integer(totals[a], lang))}" for a in arms]
    fig = go.Figure()
    for outcome in OUTCOMES:
        counts = [data.funnel.get(a, {}).get(outcome, 0) for a in arms]
        shares = [c / totals[a] if totals[a] else 0.0 for c, a in zip(counts, arms, strict=True)]
        fig.add_bar(
            name=t(outcome, lang),
            orientation="h", y=ylabels, x=[s * 100 for s in shares], marker_color=OUTCOME_COLOURS[outcome],
            text=[percent(s, lang) if s >= 0.04 else "" for s in shares], textposition="inside",
            insidetextanchor="middle", textfont={"color": "#fff" if outcome != "posted_unchanged" else "#222"},
            hovertext=[f"{t(outcome, lang)}: {integer(c, lang)} ({percent(s, lang)})"
                       for c, s in zip(counts, shares, strict=True)],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.update_xaxes(range=[0, 100], ticksuffix=" %", title=t("share_of_flagged", lang))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(legend_traceorder="normal")
    return _layout(fig, lang, 120 + 70 * len(arms), barmode="stack")


def forest(data: ReportData, lang: Lang) -> go.Figure:
    """Every metric's effect with its 95 % interval: shares in points (top), the rest relative (bottom)."""
    rows = [r for r in data.results if r["segment_dim"] == "all" and r["metric"] in BY_ID]
    shown = {r["metric"] for r in rows}
    top = [m for m in CATALOGUE if m.percent and m.id in shown]
    bottom = [m for m in CATALOGUE if not m.percent and m.id in shown]
    panels = [p for p in (top, bottom) if p] or [[]]
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.12 if len(panels) > 1 else 0.05,
                        row_heights=[max(len(p), 1) for p in panels],
                        subplot_titles=[t("forest_left" if p is top else "forest_right", lang) for p in panels])
    arms = data.experiment.treatments
    col = colours(data)
    for row_no, metrics in enumerate(panels, start=1):
        relative_panel = metrics is bottom
        for i, arm in enumerate(arms):
            offset = (i - (len(arms) - 1) / 2) * 0.22
            xs, ys, lo, hi, hover, symbols = [], [], [], [], [], []
            for j, m in enumerate(metrics):
                r = next((x for x in rows if x["metric"] == m.id and x["variant"] == arm), None)
                if r is None:
                    continue
                est, low, high = _effect(r, relative_panel)
                if not _finite(est):
                    continue
                xs.append(est)
                ys.append(j + offset)
                lo.append(est - low if _finite(low) else 0.0)
                hi.append(high - est if _finite(high) else 0.0)
                symbols.append("circle" if r["decision"] in ("win", "harm") else "circle-open")
                hover.append(_forest_hover(r, m, arm, lang, relative_panel))
            fig.add_scatter(
                row=row_no, col=1, x=xs, y=ys, mode="markers", name=arm_label(arm, lang),
                legendgroup=arm, showlegend=row_no == 1, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
                marker={"color": col[arm], "size": 10, "symbol": symbols, "line": {"width": 2, "color": col[arm]}},
                error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo, "color": col[arm],
                         "thickness": 2, "width": 4},
            )
        labels = [f"{_label(m, lang)} <span style='color:#777'>"
                  f"({t('higher_better' if m.higher_is_better else 'lower_better', lang)})</span>" for m in metrics]
        fig.update_yaxes(row=row_no, col=1, tickvals=list(range(len(metrics))), ticktext=labels,
                         autorange="reversed", range=None, showgrid=False, zeroline=False)
        fig.update_xaxes(row=row_no, col=1, ticksuffix=" %" if relative_panel else "", zeroline=True,
                         zerolinecolor="#444", zerolinewidth=1.5, rangemode="tozero")
    height = 160 + 34 * sum(len(p) for p in panels)
    return _legend_below(_layout(fig, lang, height), height)


def _legend_below(fig: go.Figure, height: int) -> go.Figure:
    """Legend under the plot (subplot titles take the space above it)."""
    plot_height = height - 30 - 70
    fig.update_layout(margin={"b": 70}, legend={"y": -40 / plot_height, "yanchor": "top"})
    return fig


def _effect(r: Row, relative_panel: bool) -> tuple[float, float, float]:
    if relative_panel:
        est = r["rel_diff"]
        return (est * 100 if _finite(est) else math.nan,
                r["rel_ci_low"] * 100 if _finite(r["rel_ci_low"]) else math.nan,
                r["rel_ci_high"] * 100 if _finite(r["rel_ci_high"]) else math.nan)
    return (r["diff"] * 100 if _finite(r["diff"]) else math.nan,
            r["diff_ci_low"] * 100 if _finite(r["diff_ci_low"]) else math.nan,
            r["diff_ci_high"] * 100 if _finite(r["diff_ci_high"]) else math.nan)


def _forest_hover(r: Row, m: Metric, arm: str, lang: Lang, relative_panel: bool) -> str:
    fmt = (lambda x: percent(x, lang)) if m.percent else (lambda x: number(x, lang, 3))
    if relative_panel:
        eff = (f"{relative(r['rel_diff'], lang, 1)} ({relative(r['rel_ci_low'], lang, 1)} {t('to', lang)} "
               f"{relative(r['rel_ci_high'], lang, 1)})")
    else:
        eff = f"{points(r['diff'], lang)} ({points(r['diff_ci_low'], lang)} {t('to', lang)} " \
              f"{points(r['diff_ci_high'], lang)})"
    return (f"<b>{_label(m, lang)}</b><br>{arm_label(arm, lang)}: {fmt(r['value_variant'])}, "
            f"{t('control', lang)}: {fmt(r['value_control'])}<br>{eff}<br>{t(r['decision'] or 'no_evidence', lang)}")


def daily(data: ReportData, lang: Lang) -> go.Figure:
    """The headline effect after each day, with the fixed-horizon and the always-valid band, one panel per arm."""
    arms = [a for a in data.experiment.treatments if any(r["variant"] == a for r in data.daily)] or \
        data.experiment.treatments
    fig = make_subplots(rows=1, cols=len(arms), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[arm_label(a, lang) for a in arms])
    col = colours(data)
    finite_values: list[float] = []
    for c, arm in enumerate(arms, start=1):
        rows = [r for r in data.daily if r["variant"] == arm and r["metric"] == HEADLINE and _finite(r["diff"])]
        x = [r["as_of"] for r in rows]
        for key, low_key, high_key, alpha in (("band_seq", "seq_ci_low", "seq_ci_high", 0.15),
                                              ("band_fixed", "diff_ci_low", "diff_ci_high", 0.35)):
            low = [r[low_key] * 100 if _finite(r[low_key]) else None for r in rows]
            high = [r[high_key] * 100 if _finite(r[high_key]) else None for r in rows]
            fig.add_scatter(row=1, col=c, x=x, y=high, mode="lines", line={"width": 0}, showlegend=False,
                            hoverinfo="skip", legendgroup=key)
            fig.add_scatter(row=1, col=c, x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                            fillcolor=_rgba(col[arm], alpha), name=t(key, lang), legendgroup=key,
                            showlegend=c == 1, hoverinfo="skip")
            if key == "band_fixed":
                finite_values += [v for v in low[len(low) // 3:] + high[len(high) // 3:] if v is not None]
        hover = [f"{day(r['as_of'], lang)}: {points(r['diff'], lang)}<br>{t('band_fixed', lang)}: "
                 f"{points(r['diff_ci_low'], lang)} {t('to', lang)} {points(r['diff_ci_high'], lang)}<br>"
                 f"{t('band_seq', lang)}: {points(r['seq_ci_low'], lang)} {t('to', lang)} "
                 f"{points(r['seq_ci_high'], lang)}" for r in rows]
        fig.add_scatter(row=1, col=c, x=x, y=[r["diff"] * 100 for r in rows], mode="lines+markers",
                        line={"color": col[arm], "width": 2.5}, name=t("estimate", lang), legendgroup="estimate",
                        showlegend=c == 1, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")
        fig.add_hline(y=0, row=1, col=c, line={"color": "#444", "width": 1.2})
    if finite_values:
        lo, hi = min(finite_values + [0.0]), max(finite_values + [0.0])
        pad = (hi - lo) * 0.25 or 1.0
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_yaxes(title=t("points_long", lang), row=1, col=1)
    fig.update_xaxes(tickformat="%d.%m." if lang == "de" else "%b %d")
    return _legend_below(_layout(fig, lang, 400), 400)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _segment_rows(data: ReportData) -> tuple[list[Row], list[Row]]:
    """(shown, hidden) headline rows by segment: hidden when a side has too few users or no interval."""
    shown: list[Row] = []
    hidden: list[Row] = []
    for r in data.results:
        if r["metric"] != HEADLINE or r["segment_dim"] not in ("all", *SEGMENT_DIMS):
            continue
        big = min(r["units_control"] or 0, r["units_variant"] or 0) >= MIN_SEGMENT_USERS
        ok = big and _finite(r["diff_ci_low"]) and _finite(r["diff_ci_high"])
        (shown if ok or r["segment_dim"] == "all" else hidden).append(r)
    return shown, hidden


def hidden_segments(data: ReportData, lang: Lang) -> str:
    """The segments left out of the segment figure, worded ('' when none)."""
    shown, hidden = _segment_rows(data)
    visible = {(r["segment_dim"], r["segment_value"]) for r in shown}
    names = sorted({(r["segment_dim"], r["segment_value"]) for r in hidden} - visible)
    if not names:
        return ""
    return t("hidden_segments", lang, names=", ".join(f"{t('seg_' + d, lang)} {html.escape(v)}" for d, v in names))


def segments(data: ReportData, lang: Lang) -> go.Figure:
    """The headline effect (points, 95 % CI) per country, platform and toxicity band, next to all users."""
    rows, _ = _segment_rows(data)
    keys: list[tuple[str, str]] = [("all", "all")]
    for dim in SEGMENT_DIMS:
        values = {r["segment_value"]: r["units_control"] + r["units_variant"] for r in rows if r["segment_dim"] == dim}
        order = sorted(values) if dim == "toxicity_band" else sorted(values, key=lambda v: -values[v])
        keys += [(dim, v) for v in order]
    labels = [f"<b>{t('all', lang)}</b>" if d == "all" else f"{t('seg_' + d, lang)}: {v}" for d, v in keys]
    arms = data.experiment.treatments
    col = colours(data)
    fig = go.Figure()
    for i, arm in enumerate(arms):
        offset = (i - (len(arms) - 1) / 2) * 0.22
        xs, ys, lo, hi, hover = [], [], [], [], []
        for j, key in enumerate(keys):
            r = next((x for x in rows if (x["segment_dim"], x["segment_value"]) == key and x["variant"] == arm), None)
            if r is None or not _finite(r["diff"]):
                continue
            xs.append(r["diff"] * 100)
            ys.append(j + offset)
            lo.append(r["diff"] * 100 - r["diff_ci_low"] * 100 if _finite(r["diff_ci_low"]) else 0.0)
            hi.append(r["diff_ci_high"] * 100 - r["diff"] * 100 if _finite(r["diff_ci_high"]) else 0.0)
            hover.append(f"<b>{labels[j]}</b><br>{arm_label(arm, lang)}: {percent(r['value_variant'], lang)} "
                         f"({integer(r['units_variant'], lang)}), {t('control', lang)}: "
                         f"{percent(r['value_control'], lang)} ({integer(r['units_control'], lang)})<br>"
                         f"{points(r['diff'], lang)} ({points(r['diff_ci_low'], lang)} {t('to', lang)} "
                         f"{points(r['diff_ci_high'], lang)})")
        fig.add_scatter(x=xs, y=ys, mode="markers", name=arm_label(arm, lang), marker={"color": col[arm], "size": 9},
                        error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo,
                                 "color": col[arm], "thickness": 2, "width": 3},
                        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")
    for j, (dim, _) in enumerate(keys):
        if j and dim != keys[j - 1][0]:
            fig.add_hline(y=j - 0.5, line={"color": "#ddd", "width": 1})
    fig.update_yaxes(tickvals=list(range(len(keys))), ticktext=labels, autorange="reversed", showgrid=False)
    fig.update_xaxes(zeroline=True, zerolinecolor="#444", zerolinewidth=1.5, title=t("points_long", lang),
                     rangemode="tozero")
    return _layout(fig, lang, 140 + 30 * len(keys))


def fatigue(data: ReportData, lang: Lang) -> go.Figure:
    """The headline effect (points, 95 % CI) by prompt number (1, 2, 3-5, 6+), one line per prompt arm."""
    col = colours(data)
    fig = go.Figure()
    ticks = [t("prompt_n", lang, n=n) for n in PROMPT_NUMBERS]
    arms = data.experiment.treatments
    for i, arm in enumerate(arms):
        offset = (i - (len(arms) - 1) / 2) * 0.12
        xs, ys, lo, hi, hover = [], [], [], [], []
        for j, prompt_no in enumerate(PROMPT_NUMBERS):
            r = next((x for x in data.results if x["metric"] == HEADLINE and x["segment_dim"] == "prompt_number"
                      and x["segment_value"] == prompt_no and x["variant"] == arm), None)
            if r is None or not (_finite(r["diff"]) and _finite(r["diff_ci_low"]) and _finite(r["diff_ci_high"])):
                continue
            xs.append(j + offset)
            ys.append(r["diff"] * 100)
            lo.append((r["diff"] - r["diff_ci_low"]) * 100)
            hi.append((r["diff_ci_high"] - r["diff"]) * 100)
            hover.append(f"<b>{ticks[j]}</b><br>{arm_label(arm, lang)}: {percent(r['value_variant'], lang)} "
                         f"({integer(r['units_variant'], lang)}), {t('control', lang)}: "
                         f"{percent(r['value_control'], lang)} ({integer(r['units_control'], lang)})<br>"
                         f"{points(r['diff'], lang)} ({points(r['diff_ci_low'], lang)} {t('to', lang)} "
                         f"{points(r['diff_ci_high'], lang)})")
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=arm_label(arm, lang),
                        line={"color": col[arm], "width": 2.5}, marker={"size": 9},
                        error_y={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo,
                                 "color": col[arm], "thickness": 2, "width": 4},
                        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")
    fig.add_hline(y=0, line={"color": "#444", "width": 1.2})
    fig.update_xaxes(tickvals=list(range(len(PROMPT_NUMBERS))), ticktext=ticks, title=t("nth_prompt", lang),
                     range=[-0.5, len(PROMPT_NUMBERS) - 0.5])
    fig.update_yaxes(title=t("points_long", lang), rangemode="tozero")
    return _layout(fig, lang, 380)


def learning(data: ReportData, lang: Lang) -> go.Figure:
    """Further flagged comments per person-day by days since the first one, per arm (control included)."""
    bands = [m for m in LEARNING if m in BY_ID]
    ticks = ["0–1", "2–7", "8+"]
    fig = go.Figure()
    col = colours(data)
    series: dict[str, list[float | None]] = {a: [None] * len(bands) for a in data.experiment.variants}
    for k, metric in enumerate(bands):
        for r in data.overall(metric):
            series[r["variant"]][k] = r["value_variant"] if _finite(r["value_variant"]) else None
            series[data.experiment.control][k] = r["value_control"] if _finite(r["value_control"]) else None
    for arm, ys in series.items():
        name = arm_label(arm, lang, data.experiment.control)
        fig.add_scatter(x=ticks[: len(bands)], y=ys, mode="lines+markers", name=name,
                        line={"color": col[arm], "width": 3, "dash": "dot" if arm == data.experiment.control
                              else "solid"}, marker={"size": 9},
                        hovertext=[f"{name}: {number(y, lang, 3)} {t('per_user_day', lang)}" for y in ys],
                        hovertemplate="%{hovertext}<extra></extra>")
    fig.update_xaxes(title=t("days_since", lang), type="category")
    fig.update_yaxes(title=t("per_user_day", lang), rangemode="tozero")
    return _layout(fig, lang, 360)
