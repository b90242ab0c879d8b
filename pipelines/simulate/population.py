"""Synthetic users: segments, activity, toxicity propensity and a personal 'reconsider' effect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .constants import ARMS, SPLIT
from .ids import NS_USER, USER_PREFIX, hash_unit, id_strings

COUNTRIES = ("DE", "AT", "CH")
COUNTRY_P = (0.72, 0.12, 0.145)  # the rest (1.5 %) is null
PLATFORM_P = (0.46, 0.42, 0.105)  # ios, android, web; the rest (1.5 %) is null
APP_VERSIONS = {
    "ios": (("35.1.2", 0.55), ("35.0.0", 0.30), ("34.8.1", 0.15)),
    "android": (("35.1.0", 0.50), ("35.0.1", 0.32), ("34.8.0", 0.18)),
    "web": (("web-2026.01.1", 0.7), ("web-2025.12.3", 0.3)),
    None: (("35.0.0", 1.0),),
}
APP_VERSION_NULL_P = 0.01
ASSIGNMENT_SALT_NS = 99  # namespace of the assignment hash


@dataclass(frozen=True)
class UserModel:
    """Population-level parameters users are drawn from (reported in truth.json)."""

    active_beta: tuple[float, float] = (1.6, 2.4)  # P(active on a day) ~ Beta
    drafts_lognormal: tuple[float, float] = (0.1, 0.9)  # extra drafts on an active day ~ Poisson(LN)
    weekend_factor: float = 1.15
    toxic_beta: tuple[float, float] = (0.45, 9.0)  # P(a draft is heated) ~ Beta
    effect_sd: float = 0.7  # user random effect on the logit of reconsidering


def _pick(rng: np.random.Generator, labels: tuple, probs: tuple[float, ...], n: int) -> np.ndarray:
    """Labels drawn with the given probabilities; leftover probability mass yields None."""
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p)
    codes = np.searchsorted(cum, rng.random(n), side="right")
    table = np.array([*labels, None], dtype=object)
    return table[np.minimum(codes, len(labels))]


def arm_codes(uidx: np.ndarray, seed: int) -> np.ndarray:
    """Hash-like split of users into arms by the planned shares (0 control, 1 neutral, 2 empathy)."""
    u = hash_unit(uidx, ASSIGNMENT_SALT_NS, seed)
    cum = np.cumsum([SPLIT[a] for a in ARMS])
    return np.minimum(np.searchsorted(cum, u, side="right"), len(ARMS) - 1).astype(np.int8)


def segments(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """country, platform, app_version object arrays (with a few nulls)."""
    country = _pick(rng, COUNTRIES, COUNTRY_P, n)
    platform = _pick(rng, ("ios", "android", "web"), PLATFORM_P, n)
    app = np.empty(n, dtype=object)
    u = rng.random(n)
    for plat, versions in APP_VERSIONS.items():
        mask = np.array([x == plat for x in platform], dtype=bool)  # object array with None: compare in Python
        labels = tuple(v for v, _ in versions)
        cum = np.cumsum([p for _, p in versions])
        app[mask] = np.array(labels, dtype=object)[np.minimum(np.searchsorted(cum, u[mask]), len(labels) - 1)]
    app[rng.random(n) < APP_VERSION_NULL_P] = None
    return country, platform, app


def make_users(rng: np.random.Generator, n: int, seed: int, model: UserModel, first_index: int = 0) -> pl.DataFrame:
    """One row per user: uidx, user_id, segments, arm code and behavioural parameters."""
    uidx = np.arange(first_index, first_index + n, dtype=np.int64)
    country, platform, app = segments(rng, n)
    p_active = rng.beta(*model.active_beta, n)
    lam = rng.lognormal(*model.drafts_lognormal, n)
    # heated-draft propensity, mildly correlated with activity (very active users argue more)
    q = rng.beta(*model.toxic_beta, n) * np.clip(0.8 + 0.15 * np.log1p(lam), 0.5, 1.5)
    effect = rng.normal(0.0, model.effect_sd, n)
    return pl.DataFrame(
        {
            "uidx": uidx,
            "user_id": id_strings(uidx, NS_USER, seed, prefix=USER_PREFIX),
            "country": pl.Series(country.tolist(), dtype=pl.String),
            "platform": pl.Series(platform.tolist(), dtype=pl.String),
            "app_version": pl.Series(app.tolist(), dtype=pl.String),
            "arm": arm_codes(uidx, seed),
            "p_active": p_active,
            "lam": lam,
            "q": np.clip(q, 0.0, 0.95),
            "effect": effect,
        }
    )
