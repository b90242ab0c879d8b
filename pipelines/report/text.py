"""Words and number formats of the reports, in English and German."""

from __future__ import annotations

import math
from typing import Literal

Lang = Literal["en", "de"]
LANGS: tuple[Lang, ...] = ("en", "de")


def number(x: float | None, lang: Lang, digits: int = 1) -> str:
    """A number in the locale's format: 1,234.5 (en) or 1.234,5 (de)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "de":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def percent(x: float | None, lang: Lang, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{number(x * 100, lang, digits)} %"


def points(x: float | None, lang: Lang, digits: int = 1) -> str:
    """Percentage points with a sign: +30.3 pp / +30,3 Pp."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    sign = "+" if x >= 0 else "−"
    return f"{sign}{number(abs(x) * 100, lang, digits)} {'Pp' if lang == 'de' else 'pp'}"


def bound(x: float | None, lang: Lang, digits: int = 1) -> str:
    """An interval bound in points, signed only when negative: 27.8 / −1.2."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return ("−" if x < 0 else "") + number(abs(x) * 100, lang, digits)


def signed(x: float | None, lang: Lang, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    sign = "+" if x >= 0 else "−"
    return f"{sign}{number(abs(x), lang, digits)}"


def p_value(p: float | None, lang: Lang) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    if p < 0.001:
        return "p < " + number(0.001, lang, 3)
    return "p = " + number(p, lang, 3)


T: dict[str, dict[Lang, str]] = {
    "title": {"en": "Does the “reconsider” prompt work?", "de": "Wirkt der „Überdenken“-Hinweis?"},
    "experiment": {"en": "Experiment", "de": "Experiment"},
    "answer": {"en": "The answer", "de": "Die Antwort"},
    "trust": {"en": "Can the data be trusted?", "de": "Sind die Daten vertrauenswürdig?"},
    "srm_ok": {
        "en": "Arms are the planned sizes (sample-ratio check passed, p = {p}).",
        "de": "Die Gruppen haben die geplante Größe (Stichproben-Verhältnis-Test bestanden, p = {p}).",
    },
    "srm_fail": {
        "en": "Do not trust these results: the arms are not the planned sizes (sample-ratio mismatch, p = {p}). "
        "Something in assignment or logging lost or added users.",
        "de": "Diesen Ergebnissen nicht vertrauen: Die Gruppen haben nicht die geplante Größe "
        "(Stichproben-Verhältnis verletzt, p = {p}). Bei Zuweisung oder Logging gingen Personen verloren.",
    },
    "withheld": {
        "en": "The results of this experiment are withheld until the cause is found and fixed.",
        "de": "Die Ergebnisse dieses Experiments werden zurückgehalten, bis die Ursache gefunden und behoben ist.",
    },
    "win": {"en": "clear win", "de": "klarer Erfolg"},
    "no_evidence": {"en": "no evidence yet", "de": "noch kein Nachweis"},
    "harm": {"en": "harm", "de": "Schaden"},
    "headline": {
        "en": "With {arm}, {value} of prompted comments were withdrawn or changed, against {control} without a "
        "prompt: {diff} (95 % CI {low} to {high}, {p}).",
        "de": "Mit {arm} wurden {value} der beanstandeten Kommentare zurückgezogen oder geändert, gegenüber "
        "{control} ohne Hinweis: {diff} (95-%-KI {low} bis {high}, {p}).",
    },
    "toxic": {
        "en": "People in this arm posted {rel} toxic comments per person than in control.",
        "de": "Personen in dieser Gruppe veröffentlichten {rel} toxische Kommentare als in der Kontrollgruppe.",
    },
    "fewer": {"en": "{x} fewer", "de": "{x} weniger"},
    "more": {"en": "{x} more", "de": "{x} mehr"},
    "guardrail_held": {"en": "Commenting overall did not drop.", "de": "Insgesamt wurde nicht weniger kommentiert."},
    "guardrail_not_shown": {
        "en": "We cannot yet rule out that people comment less overall.",
        "de": "Noch nicht auszuschließen, dass insgesamt weniger kommentiert wird.",
    },
    "all_metrics": {"en": "All metrics", "de": "Alle Kennzahlen"},
    "metric": {"en": "Metric", "de": "Kennzahl"},
    "arm": {"en": "Arm", "de": "Gruppe"},
    "control": {"en": "Control", "de": "Kontrolle"},
    "effect": {"en": "Effect (95 % CI)", "de": "Effekt (95-%-KI)"},
    "users": {"en": "Users", "de": "Personen"},
    "decision": {"en": "Status", "de": "Status"},
    "data_quality": {"en": "Data quality", "de": "Datenqualität"},
    "reason": {"en": "Finding", "de": "Befund"},
    "count": {"en": "Count", "de": "Anzahl"},
    "dq_none": {"en": "No bad input found.", "de": "Keine fehlerhaften Eingaben gefunden."},
    "download": {"en": "Download all results (CSV)", "de": "Alle Ergebnisse herunterladen (CSV)"},
    "methods": {"en": "Methods", "de": "Methoden"},
    "funnel": {"en": "What happened to prompted comments", "de": "Was mit beanstandeten Kommentaren geschah"},
    "forest": {"en": "Effect on every metric (95 % CI)", "de": "Effekt auf jede Kennzahl (95-%-KI)"},
    "withdrawn": {"en": "withdrawn", "de": "zurückgezogen"},
    "changed": {"en": "changed", "de": "geändert"},
    "posted_unchanged": {"en": "posted unchanged", "de": "unverändert veröffentlicht"},
    "other_language": {"en": "Deutsche Fassung", "de": "English version"},
    "index_title": {"en": "nudge-impact reports", "de": "nudge-impact Berichte"},
}


def t(key: str, lang: Lang, **kw: str) -> str:
    return T[key][lang].format(**kw) if kw else T[key][lang]
