"""Which files under the events root are read, and what is not read and why (event-log-v1 §2).

An events root holds ``dt=YYYY-MM-DD`` folders with the log files directly inside. Everything is looked at
without following a symbolic link blindly: an entry is read only when it is a directory (a partition) or a
regular file (a log file) once its links are followed, and the target lies inside the events root
(docs/definitions.md §1, "Which files are read"). Whatever is not read but looks like log data is listed by
:func:`unread_entries` with its reason, so that whoever runs the pipeline is told — a typo, a broken link or a
pipe must not drop a day or a file silently. Hidden entries (a leading dot: uploads in progress) are left alone.
"""

from __future__ import annotations

import errno
import re
import stat
from datetime import date
from pathlib import Path

_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")  # fullmatch only: `$` would match before a newline
#: A folder name that was meant as a partition: ``dt=`` in any case, with white space around it or the ``=``.
_DT_LIKE = re.compile(r"\s*dt\s*=", re.IGNORECASE)
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


def file_format(path: Path) -> str | None:
    name = path.name
    if name.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _kind(path: Path, root: Path) -> tuple[str, str | None]:
    """("dir" | "file" | "other", why it is not read or None) for one entry, its links followed.

    Only ``lstat`` and ``stat``: nothing is opened, so a FIFO cannot block the run.
    """
    try:
        own = path.lstat()
    except OSError as exc:
        return "other", f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(own.st_mode):
        try:
            target = path.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 raises this for a loop
            return "other", "a symbolic link that loops (not followed)"
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "other", "a symbolic link that loops (not followed)"
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return "other", "a symbolic link to nothing (its target does not exist)"
            return "other", f"cannot be examined ({exc.strerror or exc})"
        if not target.is_relative_to(root):
            return "other", "a symbolic link to outside the events root (not followed)"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return "other", f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "dir", None
    if stat.S_ISREG(mode):
        return "file", None
    what = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return "other", f"{what}, not a regular file"


def _root(events_root: Path) -> Path | None:
    """The events root with its own links resolved (a root that is a link is fine), None if not a folder."""
    try:
        root = events_root.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return root if root.is_dir() else None


def shown(name: str) -> str:
    """A file name as one printable line: control characters (a newline in a folder name) as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _partition(name: str) -> str | None:
    """The arrival date a folder name stands for, None if it is not ``dt=YYYY-MM-DD`` with a real date."""
    m = _DT_DIR.fullmatch(name)
    return m.group(1) if m and _is_date(m.group(1)) else None


def arrival_dates(events_root: Path) -> list[str]:
    """The arrival dates present under ``events_root`` (its ``dt=YYYY-MM-DD`` folders), oldest first; folders
    that are not read (not a real date, a link out of the root) are left out (:func:`unread_entries` lists
    them)."""
    root = _root(events_root)
    if root is None:
        return []
    found = [d for p in _entries(root) if (d := _partition(p.name)) and _kind(p, root)[0] == "dir"]
    return sorted(found)


def unread_entries(events_root: Path) -> list[str]:
    """What under ``events_root`` looks like log data but is not read, each with the reason: entries beside
    the ``dt=`` folders (files; folders named like a partition or holding log files), ``dt=`` folders whose
    name is not a real date, and in a partition everything that is not a regular file inside the root (folders,
    links to nothing, looping links, links out of the root, pipes, sockets, devices) or whose name is not
    UTF-8."""
    root = _root(events_root)
    if root is None:
        return []
    found = []
    for p in _entries(root):
        kind, problem = _kind(p, root)
        if kind == "other":
            found.append(f"{shown(p.name)}: {problem}")
        elif kind == "file":
            found.append(f"{shown(p.name)}: a file outside any dt=YYYY-MM-DD folder")
        elif _partition(p.name) is not None:
            found += [f"{shown(p.name)}/{entry}" for entry in _unread_in_partition(p, root)]
        elif _DT_LIKE.match(p.name):
            found.append(f"{shown(p.name)}/: not dt=YYYY-MM-DD with a real date")
        elif _holds_log_files(p):
            found.append(f"{shown(p.name)}/: holds log files but is not a dt=YYYY-MM-DD folder")
    return found


def _unread_in_partition(folder: Path, root: Path) -> list[str]:
    found = []
    for p in _entries(folder):
        kind, problem = _kind(p, root) if _is_utf8(p.name) else ("other", "a name that is not UTF-8 (not read)")
        if kind == "dir":
            found.append(f"{shown(p.name)}/: a folder inside a partition (its files are not read)")
        elif kind == "other":
            found.append(f"{shown(p.name)}: {problem}")
    return found


def _holds_log_files(folder: Path) -> bool:
    try:
        return any(file_format(p) is not None for p in folder.iterdir())
    except OSError:
        return False


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def partition_files(events_root: Path, arrival_date: str) -> list[Path]:
    """Every regular file in the partition's folder (directly, or through a link that stays inside the events
    root), sorted by name; unknown suffixes included, to report. The paths are as found in the folder."""
    root = _root(events_root)
    if root is None:
        return []
    folder = events_root / f"dt={arrival_date}"
    if _kind(folder, root)[0] != "dir":
        return []
    return [p for p in _entries(folder) if _is_utf8(p.name) and _kind(p, root)[0] == "file"]


def _is_utf8(name: str) -> bool:
    """Whether a file name was valid UTF-8 on disk (else Python holds its bytes as surrogates): only such a name
    can be recorded as ``source_file``; decoded with replacement characters, two names could become one."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
