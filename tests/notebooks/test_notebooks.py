"""The analysts' notebooks: each runs top to bottom on a warehouse built by the asset graph and draws its Plotly
figures; the repository keeps them without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebooks.synthetic import shared_warehouse

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ("explore_experiment.ipynb", "plan_next_experiment.ipynb")
PLOTLY_MIME = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        return shared_warehouse(tmp_path_factory.getbasetemp())


def test_both_notebooks_are_there() -> None:
    assert set(EXPECTED) <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert [i for i, c in enumerate(code) if c.outputs] == [], "clear the outputs before committing"
    assert [i for i, c in enumerate(code) if c.execution_count is not None] == [], "clear the execution counts"
    assert nb.metadata.kernelspec.name == "python3"  # the project's environment when run through it


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_the_library_not_copied_sql(path: Path) -> None:
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "GROUP BY" not in source.upper(), "aggregations belong in pipelines/, not in a notebook's SQL"
    assert "user_id" not in source, "notebooks show aggregates only"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom_and_draws_its_figures(name: str, warehouse: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("NUDGE_EXPERIMENT", raising=False)
    # the kernel imports this checkout's `pipelines`, whatever the environment's editable install points at
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if PLOTLY_MIME in o.get("data", {})]
    drawing_cells = [c for c in nb.cells if c.cell_type == "code" and ".show()" in c.source]
    assert figures and len(figures) >= len(drawing_cells)
    for fig in figures:
        assert fig["data"][PLOTLY_MIME]["data"], "a figure without any trace"
    stderr = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.get("name") == "stderr")
    assert "Traceback" not in stderr
