"""Small helpers for the metadata an analyst sees first on a materialisation in the UI: Markdown tables of a few
rows, and the span of arrival dates. Built only from figures the step has at hand or from small tables."""

from collections.abc import Iterable, Sequence


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value).replace("|", "\\|")


def date_span(dates: Sequence[str]) -> str:
    """'2026-01-01 … 2026-01-14 (14 arrival dates)', or the one date."""
    if not dates:
        return "none"
    if len(dates) == 1:
        return dates[0]
    return f"{dates[0]} … {dates[-1]} ({len(dates)} arrival dates)"
