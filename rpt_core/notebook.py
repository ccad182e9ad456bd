"""What every study notebook does first, in one place.

* :func:`setup`: the run folder's ``figures/``, ``tables/`` and ``data/`` (created), as paths, under
  new names, so a notebook never rebinds its ``run_dir`` / ``work_dir`` parameters (re-running a
  cell in JupyterLab then behaves like the first run).
* :func:`records_source`: where an analysis notebook reads its records: the ones its ``records_dir``
  parameter names, else its own run's ``data/records``, else, opened on its own in JupyterLab, the
  committed reference run of the demo study (:data:`REFERENCES`), so every analysis notebook runs
  top to bottom with its default parameters. Inside ``rpt run`` (:func:`inside_study`) there is no
  such fallback: a step without records fails rather than analyse another run's.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from .errors import UnknownName

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCES = REPO_ROOT / "reports" / "references.json"   # study -> its committed reference run folder
STUDY_RUN = "RPT_STUDY_RUN"   # set by rpt run (to its run-id) for the kernels of its steps


def study_run() -> str | None:
    """The run-id of the ``rpt run`` this process belongs to (:func:`inside_study`), else ``None``:
    inside a study, what an interactive session would only be warned about is an error."""
    return os.environ.get(STUDY_RUN) or None


@contextlib.contextmanager
def inside_study(run_id: str):
    """Mark this process (and the notebook kernels it starts) as running study run ``run_id``."""
    previous = os.environ.get(STUDY_RUN)
    os.environ[STUDY_RUN] = run_id
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(STUDY_RUN, None)
        else:
            os.environ[STUDY_RUN] = previous


def setup(run_dir: str | Path, work_dir: str | Path) -> tuple[Path, Path]:
    """Create ``<run_dir>/{figures,tables,data}``; return ``(run_dir, work_dir)`` as paths."""
    report = Path(run_dir)
    for folder in ("figures", "tables", "data"):
        (report / folder).mkdir(parents=True, exist_ok=True)
    return report, Path(work_dir)


def reference_run(study: str = "demo") -> Path:
    """The committed reference run folder of ``study`` (``reports/references.json``)."""
    try:
        references = json.loads(REFERENCES.read_text())
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{REFERENCES}: cannot read the reference runs ({exc})") from None
    if study not in references:
        raise UnknownName(f"no reference run of study {study!r} in {REFERENCES}; known: {', '.join(references)}")
    return REFERENCES.parent / references[study]


def records_source(records_dir: str | Path | list | None, run_dir: str | Path, study: str = "demo") -> Path | list:
    """``records_dir`` when given; else ``<run_dir>/data/records`` when it holds records; else, for a
    notebook opened on its own, the reference run's records, with a note saying so (inside
    ``rpt run``: ``FileNotFoundError``)."""
    if records_dir:
        return records_dir
    own = Path(run_dir) / "data" / "records"
    if any(own.glob("*.parquet")):
        return own
    if study_run():
        raise FileNotFoundError(f"records: none in {own} and no records_dir given; inside rpt run (run "
                                f"{study_run()}) an analysis reads this run's records only: did its "
                                "evaluation steps run?")
    reference = reference_run(study) / "data" / "records"
    print(f"records: none in {own}; reading the committed reference run {reference.parent.parent}")
    return reference


__all__ = ["setup", "reference_run", "records_source", "inside_study", "study_run", "REFERENCES", "STUDY_RUN"]
