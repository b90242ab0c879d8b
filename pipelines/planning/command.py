"""``nudge power``: the argparse wiring of power planning (registered by :func:`pipelines.cli.build_parser`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipelines.errors import CliError
from pipelines.planning.plan import HEADLINE, TOXIC, PlanningError
from pipelines.planning.read import power_from_warehouse
from pipelines.planning.text import format_report


def _run_power(args: argparse.Namespace) -> None:
    try:
        report = power_from_warehouse(Path(args.warehouse), args.experiment, mde_headline=args.mde_headline,
                                      mde_toxic=args.mde_toxic, alpha=args.alpha, power=args.power, arms=args.arms)
    except PlanningError as exc:
        raise CliError(str(exc)) from None
    print(format_report(report))


def add_power_command(sub: Any) -> None:
    """Register ``nudge power`` on the ``nudge`` sub-parsers (``argparse`` ``add_subparsers()`` result)."""
    p = sub.add_parser("power", help="users per arm the next experiment needs, from a past experiment's variances")
    p.add_argument("--warehouse", required=True, help="DuckDB file written by `nudge run`")
    p.add_argument("--experiment", help="experiment id (needed when the warehouse holds several)")
    p.add_argument("--mde-headline", type=float, default=0.03,
                   help=f"absolute effect on {HEADLINE} to detect, as a share (0.03 = 3 points)")
    p.add_argument("--mde-toxic", type=float, default=-0.10,
                   help=f"relative effect on {TOXIC} to detect (-0.10 = 10 %% fewer)")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided significance level per comparison")
    p.add_argument("--power", type=float, default=0.8, help="probability of detecting the effect")
    p.add_argument("--arms", type=int, default=None, help="arms of the next experiment, control included "
                   "(default: as many as the past one)")
    p.set_defaults(func=_run_power)

