"""The same seed writes byte-identical files and the same truth; another seed does not."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.simulate import simulate


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_same_seed_same_bytes(tmp_path: Path, fmt: str) -> None:
    a = simulate(tmp_path / "a", users=300, days=3, seed=5, fmt=fmt)  # type: ignore[arg-type]
    b = simulate(tmp_path / "b", users=300, days=3, seed=5, fmt=fmt)  # type: ignore[arg-type]
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert a.truth == b.truth
    c = simulate(tmp_path / "c", users=300, days=3, seed=6, fmt=fmt)  # type: ignore[arg-type]
    assert c.truth["experiments"] != a.truth["experiments"]


def test_rerun_into_the_same_folder_replaces_the_log(tmp_path: Path) -> None:
    simulate(tmp_path, users=200, days=3, seed=1)
    second = simulate(tmp_path, users=100, days=2, seed=2)
    on_disk = {p for p in (tmp_path / "events").rglob("*") if p.is_file()}
    assert on_disk == set(second.files)


def test_refuses_to_clear_a_foreign_events_folder(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "precious.txt").write_text("x")
    with pytest.raises(FileExistsError):
        simulate(tmp_path, users=50, days=2)
    with pytest.raises(ValueError):
        simulate(tmp_path / "x", users=50, fmt="csv")  # type: ignore[arg-type]
