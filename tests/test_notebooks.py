"""The notebooks as files people open in JupyterLab: normalized, never rebinding a parameter, and
each one running top to bottom with its default parameters (only where it writes is changed)."""

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from rpt_core.study import NOTEBOOKS_DIR, notebook_parameters

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def _code_after_parameters(nb) -> list[str]:
    cells = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    return [c.source for c in cells[first + 1:]]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_normalized(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [c.get("id") for c in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: every cell needs a unique id"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_parameter_is_rebound(path):
    """Re-running a cell in JupyterLab must see the parameters as they were: no code cell assigns
    to a parameter name (``registry = load_registry(registry)`` would break the second run)."""
    parameters = set(notebook_parameters(path))
    for source in _code_after_parameters(nbformat.read(path, as_version=4)):
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        assigned = {t.id for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) for t in ast.walk(t)
                    if isinstance(t, ast.Name)}
        assert not assigned & parameters, f"{path.name} rebinds {sorted(assigned & parameters)}"


@pytest.mark.slow
def test_every_notebook_runs_with_its_default_parameters(tmp_path):
    """What `make lab` gives a reader: each notebook alone, defaults as they are (analysis notebooks
    read the committed reference run), only run_dir and work_dir moved to a temporary folder."""
    import papermill

    def run(path: Path):
        papermill.execute_notebook(str(path), str(tmp_path / path.name), kernel_name="python3", progress_bar=False,
                                   parameters={"run_dir": str(tmp_path / "report" / path.stem),
                                               "work_dir": str(tmp_path / "work" / path.stem)},
                                   cwd=str(NOTEBOOKS_DIR.parent))
        return path.stem

    with ThreadPoolExecutor(max_workers=2) as pool:   # two kernels at a time on a 2-core machine
        assert sorted(pool.map(run, NOTEBOOKS)) == sorted(p.stem for p in NOTEBOOKS)
    executed = nbformat.read(tmp_path / "observational.ipynb", as_version=4)
    assert any(o.get("output_type") == "display_data" for c in executed.cells for o in c.get("outputs", []))


def test_reference_runs_exist_and_are_not_ignored():
    """The runs the notebooks fall back to (reports/references.json) are in the repository."""
    import json
    import subprocess

    from rpt_core.notebook import REFERENCES, reference_run

    for study in json.loads(REFERENCES.read_text()):
        run = reference_run(study)
        assert (run / "manifest.json").is_file(), run
        ignored = subprocess.run(["git", "check-ignore", "-q", str(run / "manifest.json")], cwd=REFERENCES.parent)
        assert ignored.returncode == 1, f"{run} is ignored by .gitignore: un-ignore it"
