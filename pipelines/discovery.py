"""Which files under the events root are read, and what is not read and why (event-log-v1 §2)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")  # fullmatch only: `$` would match before a newline
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


def arrival_dates(events_root: Path) -> list[str]:
    """The arrival dates present under ``events_root`` (its ``dt=YYYY-MM-DD`` folders), oldest first; folders
    whose name is not a real date are left out (:func:`unread_entries` lists them)."""
    if not events_root.is_dir():
        return []
    found = [m.group(1) for p in events_root.iterdir() if p.is_dir() and (m := _DT_DIR.fullmatch(p.name))]
    return sorted(d for d in found if _is_date(d))


def unread_entries(events_root: Path) -> list[str]:
    """What under ``events_root`` looks like log data but is not read, each with the reason, so that whoever
    runs the pipeline is told (a typo must not drop a day silently): ``dt=…`` folders whose name is not a real
    date, files outside a ``dt=`` folder, and folders inside one (event-log-v1 §2: files sit directly in it).
    Hidden files (a leading dot: uploads in progress) are left alone."""
    if not events_root.is_dir():
        return []
    found = []
    for p in sorted(events_root.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file():
            found.append(f"{p.name}: a file outside any dt=YYYY-MM-DD folder")
        elif p.is_dir() and p.name.startswith("dt="):
            if not ((m := _DT_DIR.fullmatch(p.name)) and _is_date(m.group(1))):
                found.append(f"{p.name}/: not dt=YYYY-MM-DD with a real date")
                continue
            found += [f"{p.name}/{sub.name}/: a folder inside a partition (its files are not read)"
                      for sub in sorted(p.iterdir()) if sub.is_dir() and not sub.name.startswith(".")]
    return found


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def partition_files(events_root: Path, arrival_date: str) -> list[Path]:
    """Every regular file in the partition's folder, sorted by name (unknown suffixes included, to report)."""
    folder = events_root / f"dt={arrival_date}"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def file_format(path: Path) -> str | None:
    name = path.name
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return None
