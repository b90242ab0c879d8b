"""Benchmarks of issue 8 ("fast at scale"): every figure measured in one run, written to bench/results.json,
bench/README.md (table) and bench/cost_curve.html (Plotly, plotly.js inlined).

    python bench/run_all.py                     # everything (generates missing data under /tmp/nudge-bench)
    python bench/run_all.py --only e2e,curve --sizes 1m,10m
    python bench/run_all.py --report-only       # rewrite README.md and cost_curve.html from results.json

Each measured command runs in its own subprocess; its wall time and the peak RSS of its whole process tree
(sampled every 20 ms, children included) are recorded (bench/measure.py). Targets are ratios taken within
the same run, so that the noise of a shared machine cancels as far as possible. Generated logs and
warehouses live under --data (never in the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import NUDGE, PYTHON, ROOT, machine, run  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results.json"

#: events per simulated user with --days 14 (14 pre-period + 14 experiment days), measured: 3,013,712 rows
#: from 46,000 users; used to pick --users for a wanted number of events.
EVENTS_PER_USER_14D = 65.5
SIZES = {"1m": 1_000_000, "3m": 3_000_000, "10m": 10_000_000, "30m": 30_000_000}

TARGETS = {
    "e2e_ratio": 3.0,  # nudge run / one DuckDB scan, ≤
    "e2e_peak_rss_gib": 4.0,  # ≤
    "json_ratio": 0.80,  # our JSON ingest throughput / read_ndjson's, ≥
    "incremental_ratio": 1.3,  # new day with 60 days loaded / with 1 day loaded, ≤
    "generator_events_per_s": 1_000_000,  # ≥
}


def users_for(events: int) -> int:
    return max(1_000, round(events / EVENTS_PER_USER_14D))


def simulate(out: Path, users: int, days: int, fmt: str, seed: int = 7) -> dict[str, Any]:
    """Generate a log with `nudge simulate` unless `out` already holds one made with the same arguments."""
    stamp = out / "bench-args.json"
    args = {"users": users, "days": days, "format": fmt, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == args:
        return json.loads((out / "bench-sim.json").read_text())
    if out.exists():
        shutil.rmtree(out)
    m = run([NUDGE, "simulate", "--out", str(out), "--users", str(users), "--days", str(days), "--seed", str(seed),
             "--format", fmt])
    truth = json.loads((out / "truth.json").read_text())
    info = {"seconds": m.seconds, "peak_rss_gib": m.peak_rss_gib, "delivered_rows": truth["events"]["delivered_rows"],
            "valid_events": truth["events"]["valid"], "users": users, "days": days, "format": fmt}
    (out / "bench-sim.json").write_text(json.dumps(info))
    stamp.write_text(json.dumps(args))
    return info


def fresh(path: Path) -> Path:
    for p in (path, path.with_suffix(path.suffix + ".wal")):
        p.unlink(missing_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    return path


def nudge_run(events: Path, registry: Path, warehouse: Path, reports: Path, env: dict[str, str] | None = None
              ) -> dict[str, Any]:
    m = run([NUDGE, "run", "--events", str(events), "--registry", str(registry), "--warehouse", str(warehouse),
             "--reports", str(reports)], env=env)
    return {"seconds": round(m.seconds, 3), "peak_rss_gib": round(m.peak_rss_gib, 3),
            "max_single_rss_gib": round(m.max_single_rss_bytes / 2**30, 3), "stdout": m.stdout_tail[-600:]}


# --- 1 and 5: end to end, and the cost curve ---------------------------------------------------------------


def bench_e2e(data: Path, size: str) -> dict[str, Any]:
    sim = simulate(data / f"parquet-{size}", users_for(SIZES[size]), 14, "parquet")
    events, registry = data / f"parquet-{size}" / "events", data / f"parquet-{size}" / "experiments.yml"
    scan = run([PYTHON, str(BENCH / "workers" / "scan.py"), str(events)])
    result = nudge_run(events, registry, fresh(data / f"w-{size}.duckdb"), data / f"reports-{size}")
    scan_seconds = scan.report["seconds"] if scan.report else scan.seconds
    return {
        "size": size,
        "delivered_rows": sim["delivered_rows"],
        "valid_events": sim["valid_events"],
        "users": sim["users"],
        "scan_query_seconds": round(scan_seconds, 3),
        "scan_process_seconds": round(scan.seconds, 3),
        "run": result,
        "ratio": round(result["seconds"] / scan_seconds, 2),
        "ratio_vs_scan_process": round(result["seconds"] / scan.seconds, 2),
    }


# --- 2: JSON ingest ------------------------------------------------------------------------------------------


def bench_json(data: Path, size: str = "3m") -> dict[str, Any]:
    sim = simulate(data / f"jsonl-{size}", users_for(SIZES[size]), 14, "jsonl")
    events = data / f"jsonl-{size}" / "events"
    # read_ndjson cannot read a truncated gzip at all; both sides get the files it can read
    readable = _ndjson_readable(events)
    subset = data / f"jsonl-{size}-readable"
    if subset.exists():
        shutil.rmtree(subset)
    for f in readable:
        target = subset / f.parent.name / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, target)  # hard links: nudge refuses symbolic links out of the events root
    files_json = data / f"jsonl-{size}-files.json"
    files_json.write_text(json.dumps([str(f) for f in readable]))
    ours = run([PYTHON, str(BENCH / "workers" / "ingest_json.py"), str(subset), str(fresh(data / "json-ours.duckdb"))])
    duck = run([PYTHON, str(BENCH / "workers" / "ndjson_baseline.py"), str(files_json),
                str(fresh(data / "json-duckdb.duckdb"))])
    assert ours.report and duck.report
    ours_rate = ours.report["rows_read"] / ours.report["seconds"]
    duck_rate = duck.report["rows"] / duck.report["seconds"]
    return {
        "size": size, "files": len(readable), "delivered_rows": sim["delivered_rows"],
        "ours": {**ours.report, "rows_per_s": round(ours_rate), "peak_rss_gib": round(ours.peak_rss_gib, 3)},
        "read_ndjson": {**duck.report, "rows_per_s": round(duck_rate), "peak_rss_gib": round(duck.peak_rss_gib, 3)},
        "ratio": round(ours_rate / duck_rate, 3),
    }


def _ndjson_readable(events: Path) -> list[Path]:
    import duckdb

    con = duckdb.connect()
    ok = []
    for f in sorted(events.glob("dt=*/*.jsonl*")):
        try:
            con.execute("SELECT count(*) FROM read_ndjson($f, columns = {'event_id': 'VARCHAR'}, "
                        "ignore_errors = true)", {"f": str(f)}).fetchall()
            ok.append(f)
        except duckdb.Error:
            pass
    return ok


# --- 3: incremental ---------------------------------------------------------------------------------------------


def bench_incremental(data: Path, users: int, history: int = 60) -> dict[str, Any]:
    """One new arrival date on top of `history` loaded dates vs on top of one loaded date (same new date)."""
    days = history + 2 - 14 if history + 2 > 14 else 1  # experiment days; the log also holds 14 pre-period days
    sim = simulate(data / f"incremental-{users}", users, days, "parquet")
    source = data / f"incremental-{users}" / "events"
    registry = data / f"incremental-{users}" / "experiments.yml"
    dates = sorted(p.name for p in source.iterdir() if p.name.startswith("dt="))
    if len(dates) < history + 1:
        raise RuntimeError(f"need {history + 1} arrival dates, the simulation has {len(dates)}")
    new = dates[history]
    out: dict[str, Any] = {"users": users, "history_dates": history, "new_date": new[3:],
                           "delivered_rows": sim["delivered_rows"], "arrival_dates_in_log": len(dates)}
    for label, loaded in (("one_day_loaded", dates[history - 1 : history]), ("history_loaded", dates[:history])):
        root = data / f"incremental-root-{label}"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        for d in loaded:
            _link_date(root, source, d)
        warehouse = fresh(data / f"incremental-{label}.duckdb")
        setup = nudge_run(root, registry, warehouse, data / f"incremental-reports-{label}")
        _link_date(root, source, new)
        step = nudge_run(root, registry, warehouse, data / f"incremental-reports-{label}")
        out[label] = {"dates_loaded_before": len(loaded), "setup": setup, "new_day": step}
    out["ratio"] = round(out["history_loaded"]["new_day"]["seconds"] / out["one_day_loaded"]["new_day"]["seconds"], 2)
    return out


# --- 4: generator -----------------------------------------------------------------------------------------------


def bench_generator(data: Path, events: int = 3_000_000) -> dict[str, Any]:
    out = data / "generator"
    if out.exists():
        shutil.rmtree(out)
    users = users_for(events)
    m = run([NUDGE, "simulate", "--out", str(out), "--users", str(users), "--days", "14", "--format", "parquet"])
    truth = json.loads((out / "truth.json").read_text())
    rows = truth["events"]["delivered_rows"]
    shutil.rmtree(out)
    return {"users": users, "delivered_rows": rows, "seconds": round(m.seconds, 3),
            "events_per_s": round(rows / m.seconds), "peak_rss_gib": round(m.peak_rss_gib, 3),
            "stdout": m.stdout_tail.strip()[-300:]}


# --- the floor of target 1 -------------------------------------------------------------------------------------


def bench_floor(data: Path, size: str = "30m") -> dict[str, Any]:
    """The least work the contract allows (every value read, distinct event ids counted) vs the reference scan."""
    sim = simulate(data / f"parquet-{size}", users_for(SIZES[size]), 14, "parquet")
    m = run([PYTHON, str(BENCH / "workers" / "floor.py"), str(data / f"parquet-{size}" / "events")])
    assert m.report
    return {"size": size, "delivered_rows": sim["delivered_rows"], **m.report}


# --- where the time goes ----------------------------------------------------------------------------------------


def bench_profile(data: Path, size: str = "30m") -> dict[str, Any]:
    """The SQL steps of `nudge run` timed one by one without Dagster (bench/profile_steps.py)."""
    sim = simulate(data / f"parquet-{size}", users_for(SIZES[size]), 14, "parquet")
    m = run([PYTHON, str(BENCH / "profile_steps.py"), "--events", str(data / f"parquet-{size}" / "events"),
             "--registry", str(data / f"parquet-{size}" / "experiments.yml"),
             "--warehouse", str(fresh(data / f"profile-{size}.duckdb")), "--json"])
    assert m.report
    return {"size": size, "delivered_rows": sim["delivered_rows"], **m.report, "peak_rss_gib": round(m.peak_rss_gib, 3)}


# --- report -----------------------------------------------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def write_report(results: dict[str, Any]) -> None:
    b = results["benchmarks"]
    lines = [
        "# Benchmarks (issue 8: fast at scale)",
        "",
        f"Latest run: {results['date']} on {results['machine']['cpus']} CPUs, {results['machine']['memory_gib']} GiB "
        f"({results['machine']['platform']}; Python {results['machine']['python']}, DuckDB "
        f"{results['machine']['duckdb']}); commit `{results['commit']}`; load average at start "
        f"{results['machine']['load_average_at_start']}. Written by `python bench/run_all.py` "
        "(raw figures in `results.json`, chart in `cost_curve.html`).",
        "",
        "Every measured command runs in its own process; time is wall-clock, memory the peak RSS of the whole "
        "process tree (sampled every 20 ms). Ratios are taken within one run. The machine is shared with "
        "other work, so absolute seconds vary from run to run.",
        "",
        "| # | target | measured | verdict |",
        "|---|--------|----------|---------|",
    ]
    e2e = b.get("e2e", {})
    biggest = e2e.get(max(e2e, key=lambda k: SIZES[k])) if e2e else None
    if biggest:
        r = biggest
        lines.append(
            f"| 1 | `nudge run` ≤ 3 × one DuckDB scan ({r['size']}, {r['delivered_rows']:,} rows) | "
            f"{r['run']['seconds']:.1f} s vs scan {r['scan_query_seconds']:.2f} s = **{r['ratio']}×** | "
            f"{_verdict(r['ratio'] <= TARGETS['e2e_ratio'])} |")
        lines.append(
            f"| 1 | peak RSS ≤ 4 GiB ({r['size']}) | **{r['run']['peak_rss_gib']:.2f} GiB** | "
            f"{_verdict(r['run']['peak_rss_gib'] <= TARGETS['e2e_peak_rss_gib'])} |")
    j = b.get("json")
    if j:
        lines.append(
            f"| 2 | JSON ingest ≥ 80 % of `read_ndjson` ({j['ours']['rows_read']:,} lines) | "
            f"{j['ours']['rows_per_s']:,} vs {j['read_ndjson']['rows_per_s']:,} rows/s = **{j['ratio']:.0%}** | "
            f"{_verdict(j['ratio'] >= TARGETS['json_ratio'])} |")
    inc = b.get("incremental")
    if inc:
        lines.append(
            f"| 3 | new day with {inc['history_dates']} days loaded ≤ 1.3 × with 1 day | "
            f"{inc['history_loaded']['new_day']['seconds']:.1f} s vs "
            f"{inc['one_day_loaded']['new_day']['seconds']:.1f} s = **{inc['ratio']}×** | "
            f"{_verdict(inc['ratio'] <= TARGETS['incremental_ratio'])} |")
    g = b.get("generator")
    if g:
        lines.append(
            f"| 4 | `nudge simulate` ≥ 1 M events/s | {g['delivered_rows']:,} rows in {g['seconds']:.1f} s = "
            f"**{g['events_per_s']:,}/s** | {_verdict(g['events_per_s'] >= TARGETS['generator_events_per_s'])} |")
    if e2e:
        lines.append(f"| 5 | cost curve 1 M / 10 M / 30 M, linear or better | see below and `cost_curve.html` | "
                     f"{_verdict(_linear(e2e))} |")
        lines += ["", "## End to end and cost curve", "",
                  "| size | rows delivered | users | DuckDB scan (query) | `nudge run` | ratio | peak RSS | "
                  "s per M rows |", "|---|---|---|---|---|---|---|---|"]
        for k in sorted(e2e, key=lambda k: SIZES[k]):
            r = e2e[k]
            lines.append(
                f"| {k} | {r['delivered_rows']:,} | {r['users']:,} | {r['scan_query_seconds']:.2f} s | "
                f"{r['run']['seconds']:.1f} s | {r['ratio']}× | {r['run']['peak_rss_gib']:.2f} GiB | "
                f"{r['run']['seconds'] / (r['delivered_rows'] / 1e6):.2f} |")
    if j:
        lines += ["", "## JSON ingest", "",
                  f"{j['files']} JSONL files ({j['delivered_rows']:,} delivered rows, the truncated gzip left out "
                  "because `read_ndjson` cannot open it). Ours: the raw layer alone (`bench/workers/ingest_json.py`:"
                  " every line classified, typed, checked, valid rows into raw_events, the rest quarantined). "
                  "DuckDB: `CREATE TABLE AS SELECT * FROM read_ndjson(files, columns = <contract types>, "
                  "ignore_errors = true)`. Both into a fresh database file, timed inside the process.", "",
                  "| reader | rows | seconds | rows/s | peak RSS |", "|---|---|---|---|---|",
                  f"| nudge raw layer | {j['ours']['rows_read']:,} | {j['ours']['seconds']:.1f} | "
                  f"{j['ours']['rows_per_s']:,} | {j['ours']['peak_rss_gib']:.2f} GiB |",
                  f"| DuckDB read_ndjson | {j['read_ndjson']['rows']:,} | {j['read_ndjson']['seconds']:.1f} | "
                  f"{j['read_ndjson']['rows_per_s']:,} | {j['read_ndjson']['peak_rss_gib']:.2f} GiB |"]
    if inc:
        lines += ["", "## Incremental", "",
                  f"Log of {inc['users']:,} users ({inc['delivered_rows']:,} rows over {inc['arrival_dates_in_log']} "
                  f"arrival dates). The same new arrival date ({inc['new_date']}) processed by `nudge run` on a "
                  "warehouse that already holds one arrival date vs one that holds "
                  f"{inc['history_dates']}.", "",
                  "| warehouse before | setup run | new-day run | peak RSS (new day) |", "|---|---|---|---|"]
        for label in ("one_day_loaded", "history_loaded"):
            r = inc[label]
            lines.append(f"| {r['dates_loaded_before']} dates | {r['setup']['seconds']:.1f} s | "
                         f"{r['new_day']['seconds']:.1f} s | {r['new_day']['peak_rss_gib']:.2f} GiB |")
    floor = b.get("floor")
    if floor:
        lines += ["", f"## The floor of target 1 ({floor['size']}, {floor['delivered_rows']:,} rows)", "",
                  "The contract requires every value of every row to be checked and every event counted once. "
                  "One DuckDB pass that only reads every contract field's value and counts the distinct event ids "
                  "(no checks, no outcomes, nothing written; `bench/workers/floor.py`) already takes "
                  f"{floor['floor_seconds']:.2f} s against the reference scan's {floor['reference_seconds']:.2f} s "
                  f"= **{floor['ratio']:.2f}×** (both in one process, best of three). A `nudge run` that validates, "
                  "derives outcomes and metrics and keeps its results cannot come in under 3 × the scan."]
    prof = b.get("profile")
    if prof:
        lines += ["", f"## Where the time goes ({prof['size']}, {prof['delivered_rows']:,} rows)", "",
                  "The warehouse steps of `nudge run` timed one by one in one process without Dagster "
                  "(`bench/profile_steps.py`); the rest of a `nudge run` is Python and Dagster start-up, the "
                  "statistics and the reports.", "", "| step | seconds | share |", "|---|---|---|"]
        for step, seconds in prof["steps"].items():
            lines.append(f"| {step} | {seconds:.2f} | {seconds / prof['total']:.0%} |")
        lines.append(f"| **total** | **{prof['total']:.2f}** | |")
    notes = results.get("notes")
    if notes:
        lines += ["", "## Notes", "", *notes]
    (BENCH / "README.md").write_text("\n".join(lines) + "\n")
    if e2e:
        write_chart(e2e)


def _linear(e2e: dict[str, Any]) -> bool | None:
    """Time and memory per row no worse at the largest size than at the smallest (+15 % for noise)."""
    if len(e2e) < 2:
        return None
    ks = sorted(e2e, key=lambda k: SIZES[k])
    lo, hi = e2e[ks[0]], e2e[ks[-1]]
    t = (hi["run"]["seconds"] / hi["delivered_rows"]) <= 1.15 * (lo["run"]["seconds"] / lo["delivered_rows"])
    m = (hi["run"]["peak_rss_gib"] / hi["delivered_rows"]) <= 1.15 * (lo["run"]["peak_rss_gib"] / lo["delivered_rows"])
    return t and m


def write_chart(e2e: dict[str, Any]) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ks = sorted(e2e, key=lambda k: SIZES[k])
    rows = [e2e[k]["delivered_rows"] / 1e6 for k in ks]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("time (s)", "peak RSS (GiB)"))
    fig.add_trace(go.Scatter(x=rows, y=[e2e[k]["run"]["seconds"] for k in ks], name="nudge run", mode="lines+markers"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=rows, y=[e2e[k]["scan_query_seconds"] for k in ks], name="one DuckDB scan",
                             mode="lines+markers"), row=1, col=1)
    fig.add_trace(go.Scatter(x=rows, y=[3 * e2e[k]["scan_query_seconds"] for k in ks], name="target: 3 × scan",
                             mode="lines", line={"dash": "dot"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=rows, y=[e2e[k]["run"]["peak_rss_gib"] for k in ks], name="nudge run peak RSS",
                             mode="lines+markers"), row=1, col=2)
    fig.add_trace(go.Scatter(x=rows, y=[4.0 for _ in ks], name="target: 4 GiB", mode="lines",
                             line={"dash": "dot"}), row=1, col=2)
    fig.update_xaxes(title_text="rows delivered (millions)")
    fig.update_layout(title="nudge run: cost curve", template="plotly_white")
    fig.write_html(BENCH / "cost_curve.html", include_plotlyjs=True, full_html=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("NUDGE_BENCH_DATA", "/tmp/nudge-bench"))
    p.add_argument("--only", default="e2e,json,incremental,generator,floor,profile",
                   help="comma-separated: e2e (also the cost curve), json, incremental, generator, floor, profile")
    p.add_argument("--profile-size", default="30m")
    p.add_argument("--sizes", default="1m,10m,30m")
    p.add_argument("--json-size", default="3m")
    p.add_argument("--incremental-users", type=int, default=50_000)
    p.add_argument("--generator-events", type=int, default=3_000_000)
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--keep", action="store_true", help="merge into the existing results.json")
    args = p.parse_args()
    if args.report_only:
        write_report(json.loads(RESULTS.read_text()))
        return
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if (args.keep and RESULTS.exists()) else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit, "machine": machine(),
        "targets": TARGETS, "benchmarks": previous.get("benchmarks", {}), "notes": previous.get("notes", []),
    }
    only = set(args.only.split(","))
    started = time.perf_counter()

    def save() -> None:
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        write_report(results)

    if "generator" in only:
        results["benchmarks"]["generator"] = bench_generator(data, args.generator_events)
        print("generator", results["benchmarks"]["generator"], flush=True)
        save()
    if "e2e" in only:
        e2e = results["benchmarks"].setdefault("e2e", {})
        for size in args.sizes.split(","):
            e2e[size] = bench_e2e(data, size)
            print("e2e", size, e2e[size], flush=True)
            save()
    if "json" in only:
        results["benchmarks"]["json"] = bench_json(data, args.json_size)
        print("json", results["benchmarks"]["json"], flush=True)
        save()
    if "floor" in only:
        results["benchmarks"]["floor"] = bench_floor(data, args.profile_size)
        print("floor", results["benchmarks"]["floor"], flush=True)
        save()
    if "profile" in only:
        results["benchmarks"]["profile"] = bench_profile(data, args.profile_size)
        print("profile", results["benchmarks"]["profile"], flush=True)
        save()
    if "incremental" in only:
        results["benchmarks"]["incremental"] = bench_incremental(data, args.incremental_users)
        print("incremental", results["benchmarks"]["incremental"], flush=True)
        save()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    save()


def _link_date(root: Path, source: Path, folder: str) -> None:
    """``source/folder`` under ``root`` as hard links: nudge refuses symbolic links out of the events root."""
    (root / folder).mkdir()
    for f in (source / folder).iterdir():
        os.link(f, root / folder / f.name)


if __name__ == "__main__":
    main()
