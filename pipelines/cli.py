"""`nudge`: simulate logs, run the asset graph, run the demo (results-v1 §1)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import CliError, run_failure_reason

if TYPE_CHECKING:
    from pipelines.resources import Settings

# Dagster, DuckDB and the statistics stack are imported inside the commands that use them, so that
# `nudge simulate` starts in a fraction of a second.


class SampleRatioMismatch(CliError):
    """The run went through, but some experiments' results are withheld; ``summary`` has the others."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class RunSummary:
    arrival_dates: list[str]
    headline: list[str]
    reports: list[Path]
    srm_failures: list[str]


def run(settings: Settings, *, show_progress: bool = False) -> RunSummary:
    """Materialise every asset for every arrival date under the events root, in process.

    The same Dagster definitions as the UI (:func:`pipelines.definitions.build_definitions`): one single-run
    backfill of the raw layer over all arrival dates, then the analysis job, both recorded in the project's
    Dagster instance when ``DAGSTER_HOME`` is set (:mod:`pipelines.instance`), with the arrival dates registered
    as partitions.
    """
    import dagster as dg

    from pipelines import instance as instance_runs
    from pipelines import progress
    from pipelines.definitions import ANALYSIS_JOB, INGEST_JOB, build_definitions
    from pipelines.partitions import ARRIVAL_DATES
    from pipelines.raw import ingest
    from pipelines.registry import RegistryError, load_registry

    if not settings.events_root.is_dir():
        raise CliError(f"events folder not found: {settings.events_root}")
    dates = ingest.arrival_dates(settings.events_root)
    for entry in ingest.unread_entries(settings.events_root):
        print(f"nudge: warning: not read: {settings.events_root}/{entry}", file=sys.stderr)
    if not dates:
        raise CliError(f"no dt=YYYY-MM-DD folders under {settings.events_root}")
    try:
        experiments = load_registry(settings.registry)
    except RegistryError as exc:
        raise CliError(str(exc)) from None

    progress.enable(show_progress)
    defs = build_definitions(settings)
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    tags = instance_runs.run_tags("nudge run")
    try:
        with instance_runs.open_instance() as instance:  # the project's (DAGSTER_HOME) when configured
            for run_id in instance_runs.release_abandoned_runs(instance):
                print(f"nudge: warning: run {run_id} of a killed `nudge run` marked failed", file=sys.stderr)
            instance_runs.ensure_idle(instance)  # another nudge run says so itself, before its lock does
            check_warehouse(settings.warehouse)
            instance.add_dynamic_partitions(ARRIVAL_DATES, dates)  # idempotent: only new dates are added
            # only the dates that are new or changed, or that this instance has never seen materialised: an
            # unchanged date would be skipped by the load anyway, but recording its materialisation again cost
            # ~0.1 s per date and night (12 s with 120 dates)
            shown = instance.get_materialized_partitions(dg.AssetKey("raw_events"))
            changed = set(_changed_dates(settings, dates))
            todo = [d for d in dates if d in changed or d not in shown]
            for first, last in partition_stretches(instance.get_dynamic_partitions(ARRIVAL_DATES), todo):
                ingest_run = defs.resolve_job_def(INGEST_JOB).execute_in_process(
                    run_config=quiet, instance=instance, raise_on_error=False,
                    tags={**tags, "dagster/asset_partition_range_start": first,
                          "dagster/asset_partition_range_end": last},
                )
                _raise_on_failure(ingest_run)
            analysis_run = defs.resolve_job_def(ANALYSIS_JOB).execute_in_process(
                run_config=quiet, instance=instance, raise_on_error=False, tags=tags
            )
            _raise_on_failure(analysis_run)
    except instance_runs.InstanceUnavailable as exc:
        raise CliError(str(exc)) from None
    finally:
        progress.enable(False)
    summary = _summarise(settings, dates, [e.id for e in experiments])
    if summary.srm_failures:  # the other experiments are published; the failing ones make the exit non-zero
        where = ", ".join(str(settings.reports_dir / e / "index.html") for e in summary.srm_failures)
        raise SampleRatioMismatch(
            f"sample-ratio mismatch in {', '.join(summary.srm_failures)}: results withheld, see {where}", summary)
    return summary


def _changed_dates(settings: Settings, dates: list[str]) -> list[str]:
    """The arrival dates the raw layer would read (pipelines/raw/warehouse.py changed_arrival_dates), from the
    warehouse opened read-only; every date where it cannot tell (a new or an older warehouse)."""
    import duckdb

    from pipelines.raw import warehouse

    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return dates
    try:
        return warehouse.changed_arrival_dates(con, settings.events_root, dates)
    except duckdb.Error:  # no bookkeeping schema yet: a new warehouse, or one from before it
        return dates
    finally:
        con.close()


def check_warehouse(path: Path) -> None:
    """Fail in one line, before anything runs or is recorded, when the warehouse cannot be opened for writing:
    a file that is not a DuckDB database, a damaged one, one that another process holds (DuckDB names it). A
    missing file is created, as the run would."""
    import duckdb

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(path)).close()
    except (OSError, duckdb.Error) as exc:
        lines = str(exc).strip().splitlines()
        raise CliError(f"cannot open the warehouse {path}: {lines[0] if lines else type(exc).__name__}") from None


def partition_stretches(registered: Sequence[str], dates: Sequence[str]) -> list[tuple[str, str]]:
    """The fewest (first, last) partition ranges that cover exactly ``dates``.

    A Dagster range of dynamic partitions follows the order in which the partitions were added, not the dates'
    order: an instance that already holds other dates (another events root, a date that arrived late) can have
    them between ours, and a range from our first to our last date would then skip ours or take theirs. Each
    stretch of consecutive registered partitions that are all ours becomes one single-run backfill; usually
    there is one.
    """
    wanted = set(dates)
    stretches: list[tuple[str, str]] = []
    current: list[str] = []
    for key in registered:
        if key in wanted:
            current.append(key)
        elif current:
            stretches.append((current[0], current[-1]))
            current = []
    if current:
        stretches.append((current[0], current[-1]))
    return stretches


def _raise_on_failure(result: object) -> None:
    if not getattr(result, "success", False):
        raise CliError(run_failure_reason(list(getattr(result, "all_events", []))))


def _summarise(settings: Settings, dates: list[str], experiment_ids: list[str]) -> RunSummary:
    import duckdb

    from pipelines import tables
    from pipelines.engine import read_tuples
    from pipelines.report.text import bound, p_value, percent, points

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = read_tuples(con, "headline_results")
        withheld = tables.withheld_experiments(con)
    finally:
        con.close()
    headline = []
    for exp_id, variant, control, vv, vc, diff, low, high, p, decision, verdict in rows:
        prefix = f"{exp_id} / " if len(experiment_ids) > 1 else ""
        headline.append(
            f"{prefix}{variant}: {percent(vv, 'en')} withdrew or changed vs {percent(vc, 'en')} in {control}, "
            f"{points(diff, 'en')} (95 % CI {bound(low, 'en')} to {bound(high, 'en')}), {p_value(p, 'en')}"
            f" — {decision}; verdict: {verdict or 'none'}"
        )
    reports = [settings.reports_dir / e / "index.html" for e in experiment_ids]
    return RunSummary(dates, headline, reports, withheld)


def _print_summary(summary: RunSummary) -> None:
    print(f"processed {len(summary.arrival_dates)} arrival dates "
          f"({summary.arrival_dates[0]} .. {summary.arrival_dates[-1]})")
    for line in summary.headline:
        print(line)
    for exp_id in summary.srm_failures:
        print(f"{exp_id}: results withheld — sample-ratio mismatch (see its report)")
    for path in summary.reports:
        print(f"report: {path}")


def _cmd_simulate(args: argparse.Namespace) -> None:
    from pipelines.simulate import simulate

    summary = simulate(Path(args.out), users=args.users, days=args.days, seed=args.seed, fmt=args.format)
    rate = summary.delivered_rows / summary.seconds if summary.seconds else float("nan")
    print(f"wrote {summary.delivered_rows:,} rows ({summary.valid_events:,} distinct valid events) in "
          f"{len(summary.files)} files to {summary.events_dir} in {summary.seconds:.1f} s ({rate:,.0f} rows/s); "
          f"registry {summary.registry_path}; truth {summary.truth_path}")


def _cmd_run(args: argparse.Namespace) -> None:
    from pipelines.resources import Settings

    settings = Settings(Path(args.events).resolve(), Path(args.registry).resolve(), Path(args.warehouse).resolve(),
                        Path(args.reports).resolve(), memory_limit=args.memory_limit)
    _run_and_print(settings)


def _run_and_print(settings: Settings) -> None:
    try:
        summary = run(settings, show_progress=sys.stderr.isatty())
    except SampleRatioMismatch as exc:
        _print_summary(exc.summary)  # what could be published is; then the one-line reason and exit 2
        raise
    _print_summary(summary)


def _cmd_demo(args: argparse.Namespace) -> None:
    from pipelines.resources import DEMO_DIR, Settings
    from pipelines.simulate import simulate

    out = Path(args.dir) if args.dir is not None else DEMO_DIR
    if out.exists():
        shutil.rmtree(out)
    print(f"simulating {args.users:,} users over {args.days} days into {out} …", flush=True)
    simulate(out, users=args.users, days=args.days, seed=args.seed, fmt=args.format)
    out = out.resolve()
    settings = Settings(out / "events", out / "experiments.yml", out / "warehouse.duckdb",
                        Path(args.reports).resolve())
    _run_and_print(settings)


def build_parser(*, with_power: bool = True) -> argparse.ArgumentParser:
    """The `nudge` parser; `with_power=False` leaves out `nudge power` (whose imports take seconds)."""
    parser = argparse.ArgumentParser(prog="nudge", description="Does the 'reconsider before you post' prompt work?")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="write a realistic synthetic event log with a known truth")
    sim.add_argument("--out", required=True, help="output folder (events/, experiments.yml, truth.json)")
    sim.add_argument("--users", type=int, default=20_000)
    sim.add_argument("--days", type=int, default=14)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    sim.set_defaults(func=_cmd_simulate)

    run_p = sub.add_parser("run", help="materialise every asset for every arrival date found")
    run_p.add_argument("--events", required=True, help="folder holding dt=YYYY-MM-DD/ subfolders")
    run_p.add_argument("--registry", required=True, help="experiments.yml")
    run_p.add_argument("--warehouse", required=True, help="DuckDB file to create or update")
    run_p.add_argument("--reports", required=True, help="folder for the HTML reports")
    run_p.add_argument("--memory-limit", default=os.environ.get("NUDGE_MEMORY_LIMIT"),
                       help="DuckDB memory limit, e.g. 4GB (spills to disk beyond it)")
    run_p.set_defaults(func=_cmd_run)

    demo = sub.add_parser("demo", help="simulate + run into a local folder and print the headline")
    demo.add_argument("--dir", default=None, help="working folder (default: .nudge-demo)")
    demo.add_argument("--reports", default="reports")
    demo.add_argument("--users", type=int, default=20_000)
    demo.add_argument("--days", type=int, default=14)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    demo.set_defaults(func=_cmd_demo)

    if with_power:
        from pipelines.planning.command import add_power_command

        add_power_command(sub)  # nudge power: users per arm for the next experiment
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(with_power=argv[:1] != ["simulate"]).parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"nudge: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("nudge: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
