"""Issue 14, defect 3: peak memory of `nudge run` on a gzip bomb (a small .jsonl.gz that expands enormously).

Writes a tiny log (one arrival date, a handful of valid events, the experiment registry) plus one bomb file in
the same folder, then runs `nudge run` on it in its own process and reports wall time, peak RSS of the process
tree (bench/measure.py) and what the run made of the bomb (rows valid / quarantined, the file's finding).

Two kinds of bomb, each ``--gib`` GiB decompressed:

- ``zeros``: NUL bytes without a newline, one endless line (what ``dd if=/dev/zero | gzip`` gives);
- ``lines``: the same valid event line repeated (distinct event ids would not compress like a bomb, so all
  but one are duplicates): every line is readable and must count.

    python bench/gzip_bomb.py --kind zeros --gib 1
    python bench/gzip_bomb.py --kind lines --gib 1 --memory-limit 500MB

Not a test: a bomb takes minutes of CPU (little disk: it is written compressed). Figures: bench/gzip_bomb.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zlib
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import NUDGE, machine, run  # noqa: E402

DAY = "2026-03-02"
REGISTRY = """experiments:
  - id: exp1
    start: 2026-03-01
    end: 2026-03-31
    control: control
    variants: {control: 0.5, prompt: 0.5}
    trigger_threshold: 0.8
"""


def event(i: int) -> bytes:
    return json.dumps({
        "event_id": f"e{i}", "event_type": "experiment_assignment", "event_ts": f"{DAY}T10:00:00Z",
        "user_id": f"u{i}", "schema_version": 1, "country": "DE", "platform": "ios", "app_version": "1",
        "experiment_id": "exp1", "variant": "control" if i % 2 else "prompt",
    }).encode() + b"\n"


def write_bomb(path: Path, kind: str, size: int) -> None:
    """Stream ``size`` decompressed bytes into a gzip file without holding them."""
    piece = b"\0" * (1 << 20) if kind == "zeros" else event(10**9) * ((1 << 20) // len(event(10**9)))
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    written = 0
    with path.open("wb") as f:
        while written < size:
            part = piece[: size - written]
            f.write(comp.compress(part))
            written += len(part)
        f.write(comp.flush())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("zeros", "lines"), default="zeros")
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--memory-limit", default=None, help="passed to nudge run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gzip-bomb-") as tmp:
        root = Path(tmp)
        folder = root / "events" / f"dt={DAY}"
        folder.mkdir(parents=True)
        (folder / "a.jsonl").write_bytes(b"".join(event(i) for i in range(100)))
        bomb = folder / "bomb.jsonl.gz"
        write_bomb(bomb, args.kind, int(args.gib * 2**30))
        (root / "experiments.yml").write_text(REGISTRY, encoding="utf-8")
        command = [NUDGE, "run", "--events", str(root / "events"), "--registry", str(root / "experiments.yml"),
                   "--warehouse", str(root / "w.duckdb"), "--reports", str(root / "reports")]
        if args.memory_limit:
            command += ["--memory-limit", args.memory_limit]
        measured = run(command, check=False)
        outcome: dict[str, object] = {}
        if measured.exit_code == 0:
            con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
            outcome["files"] = con.execute(
                "SELECT source_file, rows_read, rows_valid, rows_quarantined, finding, detail FROM ingested_files "
                "ORDER BY 1").fetchall()
            outcome["quarantine"] = con.execute(
                "SELECT reason, detail, count(*) FROM quarantined_events GROUP BY ALL ORDER BY 1").fetchall()
            con.close()
        print(json.dumps({
            "kind": args.kind, "decompressed_gib": args.gib, "compressed_bytes": bomb.stat().st_size,
            "memory_limit": args.memory_limit, "exit_code": measured.exit_code,
            "seconds": round(measured.seconds, 1), "peak_rss_gib": round(measured.peak_rss_gib, 3),
            "max_single_rss_gib": round(measured.max_single_rss_bytes / 2**30, 3),
            "stderr_tail": measured.stderr_tail[-300:], **outcome, "machine": machine(),
        }, default=str, indent=1))


if __name__ == "__main__":
    main()
