"""`simulate()`: the synthetic event log, its registry and its truth, end to end."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import yaml

from .aftermath import AftermathModel, aftermath
from .constants import (
    ALL_REASONS,
    ARMS,
    CONTROL,
    EVENT_TYPES,
    EXPERIMENT_ID,
    GUARDRAIL_MARGIN,
    QUARANTINE_REASONS,
    SPLIT,
    TRIGGER_THRESHOLD,
    TYPE_CODE,
)
from .delivery import plan_delivery
from .dirt import Dirt, dirt_rows
from .drafts import DraftModel, make_drafts
from .events import Events, Rows, UserTable, render, stack_rows, to_frame
from .ids import DIRT_BASE
from .junk import day_of
from .outcomes import OutcomeModel, calibrate, plan_events
from .population import UserModel, make_users
from .truth import INPUT_COLUMNS, compute_truth
from .writer import write_files


@dataclass(frozen=True)
class SimulationSummary:
    """What `simulate` wrote."""

    out_dir: Path
    events_dir: Path
    registry_path: Path
    truth_path: Path
    files: tuple[Path, ...]
    event_counts: dict[str, int]  # valid (distinct) events per event_type
    delivered_rows: int  # non-blank rows/lines in all files: valid copies + duplicates + junk
    truth: dict[str, Any]
    seconds: float
    timings: dict[str, float]  # wall seconds per phase, and CPU seconds as '<phase>_cpu'

    @property
    def valid_events(self) -> int:
        """Distinct valid events."""
        return sum(self.event_counts.values())


def registry(start: date, days: int) -> dict[str, Any]:
    """The registry (contract §5) of the simulated experiment, plus the guardrail margin."""
    return {
        "experiments": [
            {
                "id": EXPERIMENT_ID,
                "start": start,
                "end": start + timedelta(days=days - 1),
                "control": CONTROL,
                "variants": dict(SPLIT),
                "trigger_threshold": TRIGGER_THRESHOLD,
                "guardrail_margin": GUARDRAIL_MARGIN,
            }
        ]
    }


def _parameters(om: OutcomeModel, dm: DraftModel, um: UserModel) -> dict[str, Any]:
    out: dict[str, Any] = {"trigger_threshold": TRIGGER_THRESHOLD, "outcome_probabilities": {}, "logit_intercepts": {}}
    for k, arm in enumerate(ARMS):
        w, c = om.withdrawn[k], om.changed[k]
        out["outcome_probabilities"][arm] = {
            "withdrawn": w,
            "changed": c,
            "posted_unchanged": 1 - w - c,
            "withdrawn_or_changed": w + c,
        }
        out["logit_intercepts"][arm] = dict(zip(("withdrawn", "changed"), calibrate(w, c, om.effect_sd), strict=True))
    out["user_effect_sd"] = om.effect_sd
    out["withdrawal_kinds"] = dict(
        zip(("discard", "edit_then_discard", "nothing", "post_after_window"), om.withdraw_mix, strict=True)
    )
    out["still_toxic_after_edit"] = dict(zip(ARMS, om.still_toxic, strict=True))
    out["learning"] = {"reduction_after_first_prompt": dict(zip(ARMS, dm.learning_reduction, strict=True)),
                       "half_life_days": dm.learning_half_life_days}
    out["fatigue"] = {"per_prompt": om.fatigue_per_prompt, "floor": om.fatigue_floor}
    out["draft_score_beta"] = {"heated": list(dm.hot_beta), "ordinary": list(dm.cold_beta)}
    out["users"] = asdict(um)
    return out


def _clear_events_dir(events_dir: Path) -> None:
    """Remove a previous simulation's log; refuse to touch a folder that does not look like one."""
    if not events_dir.exists():
        return
    foreign = [p for p in events_dir.iterdir() if not (p.is_dir() and p.name.startswith("dt="))]
    if foreign:
        raise FileExistsError(f"{events_dir} holds files that are not dt=… folders; not overwriting")
    shutil.rmtree(events_dir)


def _sampler(rows: Rows, users: UserTable, seed: int) -> Callable[[np.ndarray], pl.DataFrame]:
    """Renders some of the rows as a contract frame."""
    return lambda r: to_frame(render(rows.take(r), users, seed))


@contextlib.contextmanager
def _no_huge_pages() -> Iterator[None]:
    """numpy asks for transparent huge pages for big arrays; where the kernel compacts memory to find them
    (THP defrag=madvise, a common setting) fresh arrays stall in the kernel: ~1 s of system time per 3 M rows.
    """
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(multiarray, "_set_madvise_hugepage", None)  # private, hence looked up defensively
    before = setter(False) if setter is not None else None
    try:
        yield
    finally:
        if setter is not None:
            setter(before)


def simulate(
    out_dir: Path,
    *,
    users: int = 20_000,
    days: int = 14,
    seed: int = 7,
    fmt: Literal["jsonl", "parquet"] = "jsonl",
    dirt: Dirt = Dirt(),  # noqa: B008 - frozen dataclass, safe as a default
    start: date = date(2026, 1, 5),
) -> SimulationSummary:
    """Write a synthetic event log (event-log-v1), `experiments.yml` and `truth.json` under out_dir."""
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"fmt must be 'jsonl' or 'parquet', not {fmt!r}")
    if users < 1 or days < 1:
        raise ValueError("users and days must be positive")
    with _no_huge_pages():
        return _simulate(out_dir, users, days, seed, fmt, dirt, start)


def _simulate(
    out_dir: Path, users: int, days: int, seed: int, fmt: Literal["jsonl", "parquet"], dirt: Dirt, start: date
) -> SimulationSummary:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    last = [t0, time.process_time()]

    def lap(phase: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        timings[phase] = now - last[0]
        timings[f"{phase}_cpu"] = cpu - last[1]
        last[0], last[1] = now, cpu

    out_dir = Path(out_dir)
    events_dir = out_dir / "events"
    rng_users, rng_drafts, rng_outcomes, rng_after, rng_dirt, rng_delivery = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    um, dm, om, am = UserModel(), DraftModel(), OutcomeModel(effect_sd=UserModel().effect_sd), AftermathModel()

    # the clean log: users, drafts, outcomes, aftermath
    people = make_users(rng_users, users, seed, um)
    arm = people["arm"].to_numpy()
    drafts = make_drafts(rng_drafts, people, start, days, dm)
    frames, posts = plan_events(rng_outcomes, drafts, arm, people["effect"].to_numpy(), om)
    assigned = np.flatnonzero(drafts.assigned_at >= 0)
    frames.append(
        pl.DataFrame(
            {
                "type": np.full(len(assigned), TYPE_CODE["experiment_assignment"], dtype=np.int8),
                "ts": drafts.assigned_at[assigned],
                "uidx": assigned,
                "exp": np.zeros(len(assigned), np.int8),
                "variant": arm[assigned].astype(np.int8),
            }
        )
    )
    owner = rng_after.integers(0, users, drafts.n_videos)
    frames += aftermath(rng_after, posts, users, owner, am)
    del posts
    lap("behaviour")

    # extra valid rows carrying analysis findings
    dframes, dusers, expected = dirt_rows(
        rng_dirt,
        dirt,
        seed=seed,
        start=start,
        days=days,
        assigned_at=drafts.assigned_at,
        user_arm=arm,
        n_attempts=int(drafts.triggered.sum()),
    )
    lap("dirt")
    all_users = pl.concat([people.select(dusers.columns), dusers]) if dusers.height else people
    user_table = UserTable.of(all_users, seed)
    rows = stack_rows([(frames, 0), (dframes, DIRT_BASE)])
    n_real = sum(f.height for f in frames)
    del frames, dframes  # the row frames are no longer needed (memory)
    lap("stack")

    # delivery; then the contract table, stored in file order (a file is mostly one zero-copy slice)
    plan = plan_delivery(rng_delivery, rows, n_real, _sampler(rows, user_table, seed), dirt, fmt, seed)
    rows = rows.take(plan.to_file_order(rows["ts"]))
    lap("delivery")
    events = Events(render(rows, user_table, seed), rows["ts"], rows["type"])
    del rows
    lap("render")

    # the files and the truth side by side (both mostly outside the GIL)
    reg = registry(start, days)
    valid = events.frame(columns=list(INPUT_COLUMNS), categorical=True).with_columns(
        _dt=pl.Series(plan.arrival, dtype=pl.Int32).cast(pl.Date)
    )
    with ThreadPoolExecutor(1, thread_name_prefix="truth") as pool:
        truth_job = pool.submit(compute_truth, valid, reg)
        _clear_events_dir(events_dir)
        events_dir.mkdir(parents=True, exist_ok=True)
        files = write_files(events_dir, events, plan, fmt)
        lap("write")
        core = truth_job.result()
    del valid
    lap("truth")
    for reason, n in expected.items():
        if core["findings"][reason] != n:
            raise AssertionError(f"dirt planted {n} {reason} but the truth counts {core['findings'][reason]}")

    data_quality = {r: 0 for r in ALL_REASONS}
    data_quality.update(plan.counts)
    data_quality.update(core["findings"])
    by_date: dict[str, dict[str, int]] = {}
    for source in (plan.by_date, core["findings_by_date"]):
        for d, counts in source.items():
            for r, n in counts.items():
                by_date.setdefault(d, {})[r] = by_date.get(d, {}).get(r, 0) + n
    type_counts = np.bincount(events.type, minlength=len(EVENT_TYPES))
    event_counts = {t: int(type_counts[TYPE_CODE[t]]) for t in sorted(EVENT_TYPES) if type_counts[TYPE_CODE[t]]}
    quarantined = sum(data_quality[r] for r in QUARANTINE_REASONS)
    delivered = events.height + data_quality["duplicate_event"] + quarantined
    params = _parameters(om, dm, um)
    params.update(
        users=users,
        days=days,
        seed=seed,
        start=start.isoformat(),
        pre_period_start=(start - timedelta(days=14)).isoformat(),
    )
    for exp in core["experiments"].values():
        exp["parameters"] = params
    truth = {
        "experiments": core["experiments"],
        "data_quality": data_quality,
        "data_quality_by_date": dict(sorted(by_date.items())),
        "events": {
            "valid": events.height,
            "delivered_rows": delivered,
            "quarantined": quarantined,
            "duplicate_copies": data_quality["duplicate_event"],
            "by_type": event_counts,
        },
        "dirt": asdict(dirt),
        "format": fmt,
        "dates": {
            "first_dt": day_of(int(plan.rows["dt"].to_numpy().min())).isoformat(),
            "last_dt": day_of(int(plan.rows["dt"].to_numpy().max())).isoformat(),
        },
    }
    registry_path = out_dir / "experiments.yml"
    registry_path.write_text(yaml.safe_dump(reg, sort_keys=False))
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1, default=str))
    return SimulationSummary(
        out_dir,
        events_dir,
        registry_path,
        truth_path,
        tuple(files),
        event_counts,
        delivered,
        truth,
        time.perf_counter() - t0,
        timings,
    )
