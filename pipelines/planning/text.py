"""`nudge power`'s table: the plans as text, with the assumptions they rest on."""

from __future__ import annotations

import math
import textwrap

from pipelines.metrics import BY_ID
from pipelines.planning.plan import HEADLINE, TOXIC, PowerReport

METHOD_LABEL = {"delta_method": "delta method", "welch": "Welch", "cuped": "CUPED"}


def _value(metric_id: str, x: float, sign: str = "") -> str:
    """``x`` in the metric's unit; ``sign`` is "" (none), "+" (signed) or "±" (an unsigned effect size)."""
    if not math.isfinite(x):
        return "n/a"
    scale, unit, digits = (100.0, " pp" if sign else " %", 1) if BY_ID[metric_id].percent else (1.0, "", 3)
    if sign == "±":
        return f"±{abs(x) * scale:.{digits}f}{unit}"
    return f"{x * scale:{sign}.{digits}f}{unit}"


def _relative(x: float, sign: str = "+") -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"±{abs(x) * 100:.0f} %" if sign == "±" else f"{x * 100:+.0f} %"


def table_rows(report: PowerReport) -> list[dict[str, str]]:
    """The plans as formatted strings, one dict per row (column label -> text)."""
    out = []
    for p in report.plans:
        out.append({
            "metric": f"{p.metric} ({METHOD_LABEL[p.method]})",
            "vs": p.variant,
            "control": _value(p.metric, p.control_value),
            "MDE": f"{_value(p.metric, p.mde, '+')} ({_relative(p.mde_relative)})",
            "units/arm": f"{p.units_per_arm:,}",
            "assigned/arm": f"{p.assigned_per_arm:,}",
            f"total ({report.arms} arms)": f"{report.total_assigned(p):,}",
            "units it had (c/v)": f"{p.actual_units_control:,}/{p.actual_units_variant:,}",
            "MDE it had": f"{_value(p.metric, p.actual_mde, '±')} ({_relative(p.actual_mde_relative, '±')})",
        })
    return out


def format_report(report: PowerReport) -> str:
    """A small plain-text table with the assumptions underneath."""
    rows = table_rows(report)
    header = list(rows[0])
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in header]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    comparisons = 2 * (report.arms - 1)
    notes = (
        f"units: for {HEADLINE}, users with >= 1 triggered attempt (its variance is per such user); "
        f"assigned/arm = units/arm / {report.attempt_share * 100:.1f} %, the observed share of assigned users with "
        f">= 1 triggered attempt (assumes the same duration and population). For {TOXIC} every assigned user "
        "is a unit.",
        "MDE it had: the effect the past experiment could detect with the units it actually had per arm.",
        f"alpha is per comparison; the report's decision adjusts p-values (Holm over {comparisons} primary "
        f"comparisons) and also asks the always-valid interval to exclude 0: for a conservative plan use "
        f"--alpha {report.alpha / comparisons:.4g}.",
    )
    return "\n".join([
        f"power plan from {report.experiment_id or 'the past experiment'} (control arm: {report.control}): "
        f"two-sided alpha = {report.alpha:g}, power = {report.power * 100:.0f} %, equal arms",
        line(header),
        *(line([r[h] for h in header]) for r in rows),
        "",
        *(textwrap.fill(n, width=110, subsequent_indent="  ") for n in notes),
    ])

