"""Small simulated logs shared by the simulator tests (session-scoped: each is written once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.simulate import Dirt, SimulationSummary, simulate

SMALL = {"users": 400, "days": 5, "seed": 3}
#: default dirt, with enough junk rows per reason to cover every kind of defect of each reason
DIRTY = Dirt(junk_per_reason=4e-4)


@pytest.fixture(scope="session")
def clean_jsonl(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(tmp_path_factory.mktemp("clean_jsonl"), fmt="jsonl", dirt=Dirt.none(), **SMALL)


@pytest.fixture(scope="session")
def clean_parquet(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(tmp_path_factory.mktemp("clean_parquet"), fmt="parquet", dirt=Dirt.none(), **SMALL)


@pytest.fixture(scope="session")
def dirty_jsonl(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(tmp_path_factory.mktemp("dirty_jsonl"), fmt="jsonl", dirt=DIRTY, **SMALL)


@pytest.fixture(scope="session")
def dirty_parquet(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(tmp_path_factory.mktemp("dirty_parquet"), fmt="parquet", dirt=DIRTY, **SMALL)


@pytest.fixture(scope="session")
def medium(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """A 14-day log with enough users for behavioural properties (Parquet, default dirt)."""
    return simulate(tmp_path_factory.mktemp("medium"), users=3000, days=14, seed=11, fmt="parquet")


def lines_of(path: Path) -> list[str]:
    """Lines of a .jsonl / .jsonl.gz file (of a truncated gzip: what can be decompressed)."""
    import zlib

    data = zlib.decompressobj(31).decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return data.decode().split("\n")
