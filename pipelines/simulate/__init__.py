"""Synthetic comment event logs (contract event-log-v1) with their registry and exact truth.

from pipelines.simulate import simulate, Dirt
summary = simulate(Path("out"), users=20_000, days=14, seed=7, fmt="jsonl", dirt=Dirt())
"""

from .core import SimulationSummary, registry, simulate
from .dirt import Dirt
from .truth import compute_truth

__all__ = ["Dirt", "SimulationSummary", "compute_truth", "registry", "simulate"]
