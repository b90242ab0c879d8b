"""The experiment registry (event-log-v1 §5): load, validate, and fail fast with a line that says what to fix."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from pipelines.metrics import BY_ID

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_REQUIRED = ("id", "start", "end", "control", "variants", "trigger_threshold")
_OPTIONAL = ("guardrail_margin", "guardrails", "name", "description")
DEFAULT_GUARDRAIL_MARGIN = -0.02
#: the guardrail every experiment has: commenting overall must not drop (the chilling effect)
POSTS_GUARDRAIL = "posts_per_user"


class RegistryError(ValueError):
    """The registry file cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Experiment:
    """One experiment as declared in the registry."""

    id: str
    start: date
    end: date
    control: str
    variants: dict[str, float]  # planned traffic share per arm, control included; sums to 1
    trigger_threshold: float
    guardrail_margin: float = DEFAULT_GUARDRAIL_MARGIN  # relative non-inferiority margin for posts_per_user
    #: further guardrails declared in the registry: metric id -> relative margin (-0.05: at most 5 % lower for a
    #: metric where higher is better; 0.10: at most 10 % higher where lower is better)
    extra_guardrails: dict[str, float] = field(default_factory=dict)

    @property
    def guardrails(self) -> dict[str, float]:
        """Every guardrail of the experiment and its relative margin, posts per user first."""
        return {POSTS_GUARDRAIL: self.guardrail_margin, **self.extra_guardrails}

    @property
    def treatments(self) -> list[str]:
        return [v for v in self.variants if v != self.control]

    @property
    def band_edge(self) -> float:
        """Toxicity score splitting triggered drafts into a lower and an upper band."""
        return self.trigger_threshold + (1.0 - self.trigger_threshold) / 2.0

    def band_labels(self) -> tuple[str, str]:
        t, m = self.trigger_threshold, self.band_edge
        return (f"{t:.2f}-{m:.2f}", f"{m:.2f}-1.00")


def load_registry(path: str | Path) -> list[Experiment]:
    """Read and validate ``experiments.yml``; raise :class:`RegistryError` naming the problem."""
    p = Path(path)
    if not p.is_file():
        raise RegistryError(f"registry file not found: {p}")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"registry {p} is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RegistryError(f"registry {p} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_registry(doc, source=str(p))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the last silently)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice (line {key_node.start_mark.line + 1})", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
#: Names the reports folder uses itself (compared without case): an experiment's folder must not be one.
RESERVED_IDS = frozenset({"index.html", "index.de.html", "readme.md", "summary.json", "results.csv"})


def parse_registry(doc: Any, *, source: str = "registry") -> list[Experiment]:
    if not isinstance(doc, dict) or set(doc) != {"experiments"}:
        raise RegistryError(f"{source}: expected a single top-level key 'experiments'")
    items = doc["experiments"]
    if not isinstance(items, list) or not items:
        raise RegistryError(f"{source}: 'experiments' must be a non-empty list")
    experiments = [_parse_experiment(item, i, source) for i, item in enumerate(items)]
    ids = [e.id for e in experiments]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RegistryError(f"{source}: experiment id listed twice: {', '.join(dupes)}")
    return experiments


def _parse_experiment(item: Any, index: int, source: str) -> Experiment:
    where = f"{source}: experiments[{index}]"
    if not isinstance(item, dict):
        raise RegistryError(f"{where} must be a mapping")
    unknown = sorted(set(map(str, item)) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise RegistryError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    missing = [k for k in _REQUIRED if item.get(k) is None]
    if missing:
        raise RegistryError(f"{where}: missing required key(s) {', '.join(missing)}")
    exp_id = _identifier(item["id"], f"{where}.id")
    if exp_id.lower() in RESERVED_IDS or exp_id.endswith("."):
        raise RegistryError(f"{where}.id: {exp_id!r} cannot name the experiment's report folder (it collides with "
                            "a file of the reports folder or is not a safe folder name); choose another id")
    where = f"{source}: experiment '{exp_id}'"
    start, end = _date(item["start"], f"{where}.start"), _date(item["end"], f"{where}.end")
    if end < start:
        raise RegistryError(f"{where}: end {end} is before start {start}")
    variants = _variants(item["variants"], where)
    control = _identifier(item["control"], f"{where}.control")
    if control not in variants:
        raise RegistryError(f"{where}: control arm '{control}' is not one of the variants {sorted(variants)}")
    threshold = _number(item["trigger_threshold"], f"{where}.trigger_threshold")
    if not 0.0 < threshold < 1.0:
        raise RegistryError(f"{where}: trigger_threshold must be between 0 and 1, got {threshold}")
    margin = DEFAULT_GUARDRAIL_MARGIN
    if item.get("guardrail_margin") is not None:
        margin = _number(item["guardrail_margin"], f"{where}.guardrail_margin")
        if not -1.0 < margin <= 0.0:
            raise RegistryError(f"{where}: guardrail_margin is a relative drop such as -0.02, got {margin}")
    extra = _guardrails(item.get("guardrails"), where)
    if POSTS_GUARDRAIL in extra:
        if item.get("guardrail_margin") is not None and extra[POSTS_GUARDRAIL] != margin:
            raise RegistryError(f"{where}: the margin of {POSTS_GUARDRAIL} is given twice (guardrail_margin "
                                f"{margin:g}, guardrails.{POSTS_GUARDRAIL} {extra[POSTS_GUARDRAIL]:g}); give it once")
        margin = extra.pop(POSTS_GUARDRAIL)
    return Experiment(exp_id, start, end, control, variants, threshold, margin, extra)


def _guardrails(raw: Any, where: str) -> dict[str, float]:
    """``guardrails: {metric_id: margin}``: known metrics, margins on the side where the metric gets worse."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise RegistryError(f"{where}.guardrails must map metric ids to margins, e.g. {{reports_per_post: 0.10}}")
    out: dict[str, float] = {}
    for key, value in raw.items():
        metric = BY_ID.get(str(key))
        if metric is None:
            raise RegistryError(f"{where}.guardrails: unknown metric {key!r}; one of {', '.join(sorted(BY_ID))}")
        margin = _number(value, f"{where}.guardrails.{key}")
        if metric.higher_is_better and not -1.0 < margin <= 0.0:
            raise RegistryError(f"{where}.guardrails.{key}: higher is better, so the margin is a relative drop "
                                f"in (-1, 0] such as -0.05, got {margin:g}")
        if not metric.higher_is_better and not 0.0 <= margin <= 10.0:
            raise RegistryError(f"{where}.guardrails.{key}: lower is better, so the margin is a relative rise "
                                f"in [0, 10] such as 0.10, got {margin:g}")
        out[metric.id] = margin
    return out


def _variants(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or len(raw) < 2:
        raise RegistryError(f"{where}.variants must map at least two arms to their planned share")
    shares = {_identifier(k, f"{where}.variants"): _number(v, f"{where}.variants.{k}") for k, v in raw.items()}
    if any(s <= 0 for s in shares.values()):
        raise RegistryError(f"{where}.variants: every planned share must be positive")
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise RegistryError(f"{where}.variants: planned shares sum to {total:g}, they must sum to 1")
    return shares


def _identifier(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _ID.match(raw):
        raise RegistryError(
            f"{where}: {raw!r} is not a valid identifier (letters, digits, '_', '.', '-'; at most 100 characters)"
        )
    return raw


def _date(raw: Any, where: str) -> date:
    if isinstance(raw, datetime):  # YAML reads a timestamp as datetime, a subclass of date: not a UTC date
        raise RegistryError(f"{where}: {raw.isoformat()} is a date and time; give the date alone (YYYY-MM-DD)")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise RegistryError(f"{where}: {raw!r} is not a date (YYYY-MM-DD)") from None


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise RegistryError(f"{where}: {raw!r} is not a number")
    return float(raw)
