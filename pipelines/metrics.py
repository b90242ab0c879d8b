"""The metric catalogue: every metric declared once (docs/definitions.md §6, results-v1).

SQL (``sql/metrics/user_metrics.sql``) builds the per-user columns a metric names; ``sql/metrics/arm_statistics.sql``
turns them into per-arm sufficient statistics for every metric in this list in one pass; the results asset,
the report and the tests read the same entries. Adding a metric is one entry here and one SQL column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["ratio", "proportion", "mean"]
Counts = Literal["rate", "count", "share"]


@dataclass(frozen=True)
class AttemptSplit:
    """One value of an attempt-level segment dimension: which of a user's analysed attempts it keeps.

    A split metric gets, per value, its own per-user numerator and denominator (``<column>_<key>`` in
    ``user_metrics``) counted over the kept attempts only; the user stays the unit (delta method per user).
    """

    dim: str  # segment_dim
    key: str  # suffix of the per-user columns
    value: str  # segment_value ('band1' / 'band2' are labelled with the threshold in sql/metrics/arm_statistics.sql)
    condition: str  # SQL on the numbered attempts of sql/metrics/user_metrics.sql


#: The attempt-level dimensions: the toxicity band of the triggering draft, and the attempt's number among its
#: user's analysed attempts in the experiment by trigger time (prompt fatigue; control numbers its
#: would-have-been prompts the same way). Beyond the first, the number is post-treatment: descriptive.
ATTEMPT_SPLITS: tuple[AttemptSplit, ...] = (
    AttemptSplit("toxicity_band", "band1", "band1", "toxicity_band = 1"),
    AttemptSplit("toxicity_band", "band2", "band2", "toxicity_band = 2"),
    AttemptSplit("prompt_number", "pn1", "1", "prompt_number = 1"),
    AttemptSplit("prompt_number", "pn2", "2", "prompt_number = 2"),
    AttemptSplit("prompt_number", "pn3_5", "3-5", "prompt_number BETWEEN 3 AND 5"),
    AttemptSplit("prompt_number", "pn6_plus", "6+", "prompt_number >= 6"),
)
PROMPT_NUMBERS: tuple[str, ...] = tuple(s.value for s in ATTEMPT_SPLITS if s.dim == "prompt_number")

#: Per-user attempt counts a split can be taken of, and which attempts each counts.
ATTEMPT_COUNTS: dict[str, str] = {
    "attempts": "true",
    "withdrawn": "outcome = 'withdrawn'",
    "changed": "outcome = 'changed'",
    "withdrawn_or_changed": "outcome IN ('withdrawn', 'changed')",
    "defused": "defused",
}


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
    pre: str | None = None  # per-user pre-period column for CUPED
    splits: tuple[str, ...] = ()  # attempt-level dimensions (ATTEMPT_SPLITS) it is also reported by
    percent: bool = True  # shown as a percentage (rates) or as a plain number (counts per user)
    share: bool = False  # a ratio of successes to trials (numerator <= denominator per user), not a rate

    @property
    def counts(self) -> Counts | None:
        """What the per-user values count, for the rule on too little information (pipelines.stats.rare)."""
        if self.kind == "proportion":
            return None
        if self.kind == "mean":
            return "count"
        return "share" if self.share else "rate"


CATALOGUE: tuple[Metric, ...] = (
    Metric(
        "withdraw_or_change_rate", "Withdrawn or changed (attempts)", "Zurückgezogen oder geändert (Versuche)",
        "ratio", "withdrawn_or_changed", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True, primary=True,
        splits=("toxicity_band", "prompt_number"), share=True,
    ),
    Metric(
        "withdraw_or_change_rate_user", "Withdrawn or changed (first attempt per user)",
        "Zurückgezogen oder geändert (erster Versuch je Person)",
        "proportion", "first_withdrawn_or_changed", None, "attempts > 0",
        "share of users with a triggered attempt", "Anteil der Personen mit ausgelöstem Versuch", True,
    ),
    Metric(
        "withdrawn_rate", "Withdrawn", "Zurückgezogen", "ratio", "withdrawn", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True, splits=("prompt_number",), share=True,
    ),
    Metric(
        "changed_rate", "Changed", "Geändert", "ratio", "changed", "attempts", "attempts > 0",
        "share of triggered attempts", "Anteil der ausgelösten Versuche", True, splits=("prompt_number",), share=True,
    ),
    Metric(
        "defused_rate", "Changed to below the threshold", "Unter die Schwelle entschärft",
        "ratio", "defused", "changed", "changed > 0",
        "share of changed attempts", "Anteil der geänderten Versuche", True, splits=("prompt_number",), share=True,
    ),
    Metric(
        "toxic_posts_per_user", "Toxic comments posted per user", "Veröffentlichte toxische Kommentare je Person",
        "mean", "toxic_posts", None, "true", "per assigned user", "je zugewiesener Person", False,
        primary=True, pre="pre_toxic_posts", percent=False,
    ),
    Metric(
        "posts_per_user", "Comments posted per user", "Veröffentlichte Kommentare je Person",
        "mean", "posts", None, "true", "per assigned user", "je zugewiesener Person", True,
        pre="pre_posts", percent=False,  # a guardrail of every experiment (pipelines.registry.POSTS_GUARDRAIL)
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
    """The list of per-user metric structs unnested by ``sql/metrics/arm_statistics.sql`` (generated, not input)."""
    rows = []
    for m in CATALOGUE:
        rows.append(_struct(m.id, m.numerator, m.denominator, m.pre, m.units, "all", "all"))
        for split in ATTEMPT_SPLITS:
            if split.dim in m.splits:
                num, den = f"{m.numerator}_{split.key}", f"{m.denominator}_{split.key}"
                rows.append(_struct(m.id, num, den, None, f"{den} > 0", split.dim, split.value))
    return ",\n    ".join(rows)


def split_columns() -> list[str]:
    """The per-user columns the attempt splits need (``<count>_<key>``), in a stable order."""
    columns: list[str] = []
    for split in ATTEMPT_SPLITS:
        for m in CATALOGUE:
            if split.dim in m.splits:
                for col in (m.numerator, m.denominator):
                    name = f"{col}_{split.key}"
                    if col not in ATTEMPT_COUNTS:
                        raise ValueError(f"metric {m.id} is split by {split.dim} but {col} is not an attempt count")
                    if name not in columns:
                        columns.append(name)
    return columns


def split_counts_sql() -> str:
    """The aggregates of ``sql/metrics/user_metrics.sql`` computing :func:`split_columns` over the numbered attempts."""
    by_name = {f"{c}_{s.key}": (c, s) for s in ATTEMPT_SPLITS for c in ATTEMPT_COUNTS}
    aggregates = []
    for name in split_columns():
        count, split = by_name[name]
        kept = split.condition if count == "attempts" else f"{split.condition} AND {ATTEMPT_COUNTS[count]}"
        aggregates.append(f"count(*) FILTER ({kept}) AS {name}")
    return ",\n         ".join(aggregates)


def split_select_sql() -> str:
    """The final columns of ``sql/metrics/user_metrics.sql`` for the splits (0 for users without attempts)."""
    return ",\n       ".join(f"coalesce(a.{name}, 0) AS {name}" for name in split_columns())


def _struct(metric: str, num: str, den: str | None, pre: str | None, units: str, dim: str, value: str) -> str:
    # DECIMAL, not DOUBLE: sums of decimals are exact, so the statistics do not depend on the order in which
    # DuckDB's threads add them up — the same data always gives the same last digit.
    return (
        f"{{'metric': '{metric}', 'num': {_exact(num)}, 'den': {_exact(den) if den else f'CAST(1 AS {EXACT})'}, "
        f"'pre': {_exact(pre) if pre else f'CAST(NULL AS {EXACT})'}, 'include': ({units}), "
        f"'seg_dim': '{dim}', 'seg_value': '{value}'}}"
    )


def _exact(value: str) -> str:
    """The per-user ``value`` (a column or an expression) as an :data:`EXACT` decimal, rounded alike on DuckDB
    and Spark.

    ``CAST(x AS DECIMAL(18, 6))`` of a DOUBLE (the exposures) rounds the double x * 10^6 half away from zero in
    DuckDB, but the shortest decimal that reads back as x, half up, in Spark: 33.1653975 becomes 33.165397 in
    DuckDB (x * 10^6 is 33165397.49999…) and 33.165398 in Spark. Rounding x * 10^6 to a whole number (``round``:
    half away from zero in both, of the same IEEE product) and scaling it back exactly is DuckDB's cast on both
    engines; a count stays the count. The factor is a BIGINT so that an INTEGER column cannot overflow; the
    factor and 0.000001 are EXACT's 6 decimals.
    """
    return f"CAST(CAST(round(({value}) * CAST(1000000 AS BIGINT)) AS BIGINT) * 0.000001 AS {EXACT})"
