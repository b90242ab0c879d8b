"""The metric catalogue: every metric declared once (docs/definitions.md §6, results-v1).

SQL (``sql/user_metrics.sql``) builds the per-user columns a metric names; ``sql/arm_statistics.sql``
turns them into per-arm sufficient statistics for every metric in this list in one pass; the results asset,
the report and the tests read the same entries. Adding a metric is one entry here and one SQL column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["ratio", "proportion", "mean"]


@dataclass(frozen=True)
class Metric:
    """One metric: what it means, which per-user columns make it, and how it is tested."""

    id: str
    label_en: str
    label_de: str
    kind: Kind  # ratio: delta method over users; proportion: z / Fisher; mean: Welch (CUPED with `pre`)
    numerator: str  # per-user column summed on top
    denominator: str | None  # per-user column summed below (ratio); None: a mean over units
    units: str  # SQL condition on user_metrics choosing the users behind the value
    unit_en: str
    unit_de: str
    higher_is_better: bool
    primary: bool = False  # in the Holm family of primary metrics
    guardrail: bool = False  # non-inferiority checked against the registry's margin
    pre: str | None = None  # per-user pre-period column for CUPED
    band_split: bool = False  # also reported by toxicity band of the triggering draft
    percent: bool = True  # shown as a percentage (rates) or as a plain number (counts per user)


CATALOGUE: tuple[Metric, ...] = (
    Metric(
        "withdraw_or_change_rate", "Withdrawn or changed (attempts)", "Zurückgezogen oder geändert (Versuche)",
        "ratio", "withdrawn_or_changed", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True, primary=True, band_split=True,
    ),
    Metric(
        "withdraw_or_change_rate_user", "Withdrawn or changed (first attempt per user)",
        "Zurückgezogen oder geändert (erster Versuch je Person)",
        "proportion", "first_withdrawn_or_changed", None, "attempts > 0",
        "share of users with a triggered attempt", "Anteil der Personen mit ausgelöstem Versuch", True,
    ),
    Metric(
        "withdrawn_rate", "Withdrawn", "Zurückgezogen", "ratio", "withdrawn", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True,
    ),
    Metric(
        "changed_rate", "Changed", "Geändert", "ratio", "changed", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True,
    ),
    Metric(
        "defused_rate", "Changed to below the threshold", "Unter die Schwelle entschärft",
        "ratio", "defused", "changed", "changed > 0",
        "share of changed attempts", "Anteil der geänderten Versuche", True,
    ),
    Metric(
        "toxic_posts_per_user", "Toxic comments posted per user", "Veröffentlichte toxische Kommentare je Person",
        "mean", "toxic_posts", None, "true", "per assigned user", "je zugewiesener Person", False,
        primary=True, pre="pre_toxic_posts", percent=False,
    ),
    Metric(
        "posts_per_user", "Comments posted per user", "Veröffentlichte Kommentare je Person",
        "mean", "posts", None, "true", "per assigned user", "je zugewiesener Person", True,
        guardrail=True, pre="pre_posts", percent=False,
    ),
    Metric(
        "reports_per_post", "Reports per posted comment", "Meldungen je veröffentlichtem Kommentar",
        "ratio", "reports", "posts", "posts > 0", "per posted comment", "je veröffentlichtem Kommentar", False,
        percent=False,
    ),
    Metric(
        "removals_per_post", "Removals per posted comment", "Entfernungen je veröffentlichtem Kommentar",
        "ratio", "removals", "posts", "posts > 0", "per posted comment", "je veröffentlichtem Kommentar", False,
        percent=False,
    ),
    Metric(
        "triggers_per_user_after_first", "Further prompts per user after the first",
        "Weitere Hinweise je Person nach dem ersten",
        "mean", "attempts - 1", None, "attempts > 0",
        "per user with a triggered attempt", "je Person mit ausgelöstem Versuch", False, percent=False,
    ),
)


#: Beyond results-v1: removals by who removed, and the learning curve (later prompts per user-day observed,
#: by days since the user's first prompt).
EXTRA: tuple[Metric, ...] = tuple(
    Metric(
        f"removals_{source}_per_post", f"Removals by {en} per posted comment",
        f"Entfernungen durch {de} je veröffentlichtem Kommentar",
        "ratio", f"removals_{source}", "posts", "posts > 0", "per posted comment", "je veröffentlichtem Kommentar",
        False, percent=False,
    )
    for source, en, de in (
        ("moderation", "moderation", "Moderation"),
        ("creator_single", "creators one by one", "Creator einzeln"),
        ("creator_bulk", "creators in bulk", "Creator gesammelt"),
    )
) + tuple(
    Metric(
        f"trigger_rate_days_{band}", f"Further prompts per user-day, days {en} after the first",
        f"Weitere Hinweise je Personentag, Tag {de} nach dem ersten",
        "ratio", f"later_attempts_d{band}", f"exposure_d{band}", f"exposure_d{band} > 0",
        "per user-day observed", "je beobachtetem Personentag", False, percent=False,
    )
    for band, en, de in (("0_1", "0–1", "0–1"), ("2_7", "2–7", "2–7"), ("8_plus", "8+", "8+"))
)
CATALOGUE = CATALOGUE + EXTRA
BY_ID = {m.id: m for m in CATALOGUE}
METRIC_IDS = tuple(m.id for m in CATALOGUE)


EXACT = "DECIMAL(18, 6)"


def metric_structs_sql() -> str:
    """The list of per-user metric structs unnested by ``sql/arm_statistics.sql`` (generated, not input)."""
    rows = []
    for m in CATALOGUE:
        rows.append(_struct(m.id, m.numerator, m.denominator, m.pre, m.units, "all", "all"))
        if m.band_split:
            for band in (1, 2):
                num = f"{m.numerator}_band{band}"
                den = f"{m.denominator}_band{band}"
                rows.append(_struct(m.id, num, den, None, f"{den} > 0", "toxicity_band", f"band{band}"))
    return ",\n    ".join(rows)


def _struct(metric: str, num: str, den: str | None, pre: str | None, units: str, dim: str, value: str) -> str:
    # DECIMAL, not DOUBLE: sums of decimals are exact, so the statistics do not depend on the order in which
    # DuckDB's threads add them up — the same data always gives the same last digit.
    return (
        f"{{'metric': '{metric}', 'num': CAST({num} AS {EXACT}), 'den': CAST({den or 1} AS {EXACT}), "
        f"'pre': CAST({pre or 'NULL'} AS {EXACT}), 'include': ({units}), "
        f"'seg_dim': '{dim}', 'seg_value': '{value}'}}"
    )
