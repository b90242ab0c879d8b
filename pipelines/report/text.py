"""Number, date and word formats of the reports, in English and German.

Every number a reader sees goes through one of these functions, so the locale rule is in one place:
1,234.5 and 41.3 % in English, 1.234,5 and 41,3 % in German; negative numbers carry a real minus sign (−).
Words come from :mod:`pipelines.report.words` through :func:`t`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pipelines.report.words import WORDS

Lang = Literal["en", "de"]
LANGS: tuple[Lang, ...] = ("en", "de")
MINUS = "−"
DASH = "–"

_MONTHS: dict[Lang, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."),
}


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def number(x: float | None, lang: Lang, digits: int = 1) -> str:
    """A number in the locale's format: 1,234.5 (en) or 1.234,5 (de); negative with a real minus sign."""
    if x is None or _missing(x):
        return DASH
    s = f"{abs(x):,.{digits}f}"
    if lang == "de":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return (MINUS if x < 0 and s.strip("0.,") else "") + s


def integer(x: float | None, lang: Lang) -> str:
    """A count: 12,345 (en) or 12.345 (de)."""
    return number(x, lang, 0)


def percent(x: float | None, lang: Lang, digits: int = 1) -> str:
    """A share as a percentage: 0.413 → 41.3 % (en), 41,3 % (de)."""
    if x is None or _missing(x):
        return DASH
    return f"{number(x * 100, lang, digits)} %"


def signed(x: float | None, lang: Lang, digits: int = 2) -> str:
    """A number with its sign always shown: +0.25, −0.25."""
    if x is None or _missing(x):
        return DASH
    s = number(abs(x), lang, digits)
    return ("+" if x >= 0 or not s.strip("0.,") else MINUS) + s


def points(x: float | None, lang: Lang, digits: int = 1, *, long: bool = False) -> str:
    """A difference of shares in percentage points with a sign: +30.3 pp / +30,3 Pp (``long``: points, Punkte)."""
    if x is None or _missing(x):
        return DASH
    unit = t("points_long" if long else "points_short", lang)
    return f"{signed(x * 100, lang, digits)} {unit}"


def signed_points(x: float | None, lang: Lang, digits: int = 1) -> str:
    """A share difference as signed points without a unit (interval bounds): +27.8, −1.2."""
    if x is None or _missing(x):
        return DASH
    return signed(x * 100, lang, digits)


def bound(x: float | None, lang: Lang, digits: int = 1) -> str:
    """An interval bound in points, signed only when negative: 27.8 / −1.2."""
    if x is None or _missing(x):
        return DASH
    return number(x * 100, lang, digits)


def relative(x: float | None, lang: Lang, digits: int = 0) -> str:
    """A relative change with its sign: −26 %, +4 %."""
    if x is None or _missing(x):
        return DASH
    return f"{signed(x * 100, lang, digits)} %"


def p_value(p: float | None, lang: Lang) -> str:
    """p < 0.001 or p = 0.042 (p = 0,042 in German)."""
    if p is None or _missing(p):
        return DASH
    if p < 0.001:
        return "p < " + number(0.001, lang, 3)
    return "p = " + number(p, lang, 3)


def chance(x: float | None, lang: Lang) -> str:
    """A probability for lay readers, never claiming certainty: > 99.9 %, < 0.1 %, else 97.3 %."""
    if x is None or _missing(x):
        return DASH
    if x > 0.999:
        return f"> {percent(0.999, lang)}"
    if x < 0.001:
        return f"< {percent(0.001, lang)}"
    return percent(x, lang)


def day(d: date | None, lang: Lang) -> str:
    """A calendar date: 2 Mar 2026 (en), 2. März 2026 (de)."""
    if d is None:
        return DASH
    month = _MONTHS[lang][d.month - 1]
    return f"{d.day}. {month} {d.year}" if lang == "de" else f"{d.day} {month} {d.year}"


def t(key: str, lang: Lang, **kw: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled from ``kw``."""
    text = WORDS[key][lang]
    return text.format(**kw) if kw else text
