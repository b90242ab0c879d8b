"""Number formats per locale and the completeness of the two languages."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from pipelines.contract import REASON_TEXT_EN
from pipelines.report.sentences import arm_name, arm_phrase
from pipelines.report.text import chance, day, integer, number, p_value, percent, points, relative, signed
from pipelines.report.words import REASON_TEXT_DE, WORDS


@pytest.mark.parametrize(("fn", "args", "en", "de"), [
    (percent, (0.4131,), "41.3 %", "41,3 %"),
    (percent, (0.4131, {"digits": 0}), "41 %", "41 %"),
    (number, (1234.56, {"digits": 1}), "1,234.6", "1.234,6"),
    (number, (-0.25, {"digits": 2}), "−0.25", "−0,25"),
    (number, (-0.0001, {"digits": 1}), "0.0", "0,0"),
    (integer, (1234567,), "1,234,567", "1.234.567"),
    (points, (0.303,), "+30.3 pp", "+30,3 Pp"),
    (points, (-0.012,), "−1.2 pp", "−1,2 Pp"),
    (signed, (0.0,), "+0.00", "+0,00"),
    (relative, (-0.36,), "−36 %", "−36 %"),
    (p_value, (0.0004,), "p < 0.001", "p < 0,001"),
    (p_value, (0.0421,), "p = 0.042", "p = 0,042"),
    (chance, (0.99995,), "> 99.9 %", "> 99,9 %"),
    (chance, (0.00001,), "< 0.1 %", "< 0,1 %"),
    (day, (date(2026, 3, 2),), "2 Mar 2026", "2. März 2026"),
])
def test_locale_formats(fn: Callable[..., str], args: tuple[Any, ...], en: str, de: str) -> None:
    x, kw = args[0], (args[1] if len(args) > 1 else {})
    assert fn(x, "en", **kw) == en
    assert fn(x, "de", **kw) == de


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf")])
def test_missing_numbers_read_as_a_dash(missing: float | None) -> None:
    for fn in (number, percent, points, signed, relative, p_value, chance):
        assert fn(missing, "en") == "–"


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, texts in WORDS.items():
        assert set(texts) == {"en", "de"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("en", "de")]
        assert fields[0] == fields[1], key
        assert texts["en"].strip() and texts["de"].strip(), key


def test_every_data_quality_reason_has_a_german_text() -> None:
    assert set(REASON_TEXT_DE) == set(REASON_TEXT_EN)


def test_arm_names_are_readable_and_escaped() -> None:
    assert arm_name("prompt_empathy") == "empathy"
    assert arm_name("short_nudge") == "short"
    assert arm_name("a<b") == "a&lt;b"
    assert arm_phrase("prompt_empathy", "de", "dat") == "dem Hinweis „empathy“"
    assert re.fullmatch(r"the “empathy” prompt", arm_phrase("prompt_empathy", "en"))
