"""Incremental re-runs: a study step whose inputs are unchanged is not executed again.

A step's **key** is the sha256 of everything that decides what it writes:

* its notebook file, and the parameters papermill injects (less ``run_dir``, which names the new
  run's folder and nothing else);
* the code: every ``rpt_core`` source file, and the versions of the packages that decide results;
* the files its parameters name outside the study's ``work_dir`` (a file by its contents; a folder
  by its files' names, sizes and modification times, e.g. a model directory). What lies inside
  ``work_dir`` is made by the study's own steps, whose keys are already part of this one, or is a
  content-keyed cache;
* the keys of every step before it in the study, so a step re-runs whenever anything upstream did.

After a step (or a group of parallel steps) ran, the files it added or changed in the run folder and
the key numbers it recorded are stored under ``<work_dir>/steps/<key>.json``. A later run that meets
the same key copies those files from the earlier run folder instead of executing the notebook, and
its manifest says so (``reused_from``). When the earlier folder or any of its files is gone, the
step simply runs. ``rpt run --force STEP`` runs a step whatever its key.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_atomic

PACKAGE_ROOT = Path(__file__).resolve().parent
UNTRACKED = ("manifest.json", "README.md", "index.html", "data/key_numbers.json")   # the run's own files


def code_version() -> str:
    """sha256 of every ``rpt_core`` source file (path and contents) and of the result-deciding
    package versions (:func:`rpt_core.manifest.package_versions`)."""
    from .manifest import package_versions

    digest = hashlib.sha256(json.dumps(package_versions(), sort_keys=True).encode())
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _named_paths(value: Any) -> list[Path]:
    """Existing files and folders named by the strings in ``value`` (recursively)."""
    if isinstance(value, str):
        if "\n" in value or len(value) > 4096:
            return []
        path = Path(value)
        try:
            return [path] if path.exists() else []
        except OSError:
            return []
    if isinstance(value, dict):
        return [p for v in value.values() for p in _named_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _named_paths(v)]
    return []


def _path_digest(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    listing = sorted((p.relative_to(path).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                     for p in path.rglob("*") if p.is_file())
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


def step_key(notebook: Path, parameters: dict, code: str, upstream: list[str], work_dir: str | Path) -> str:
    """The key of one step (see the module docstring); ``parameters`` as papermill injects them."""
    params = {k: v for k, v in parameters.items() if k != "run_dir"}
    work = Path(work_dir).resolve()
    inputs = {str(p): _path_digest(p) for p in _named_paths(params) if not p.resolve().is_relative_to(work)}
    payload = json.dumps({"notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(), "params": params,
                          "code": code, "inputs": inputs, "upstream": upstream}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def snapshot(run_dir: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of the run folder's files, its own bookkeeping left out."""
    return {p.relative_to(run_dir).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in run_dir.rglob("*") if p.is_file() and not p.name.startswith(".")
            and p.relative_to(run_dir).as_posix() not in UNTRACKED}


def written(before: dict, after: dict) -> list[str]:
    """Files added or changed between two :func:`snapshot` s, sorted."""
    return sorted(path for path, stat in after.items() if before.get(path) != stat)


@dataclass
class Stored:
    """What a step wrote in an earlier run: the ``files`` under ``run_dir`` and its ``key_numbers``."""

    run_dir: Path
    run_id: str
    files: list[str]
    key_numbers: dict
    seconds: float | None

    def available(self) -> bool:
        return all((self.run_dir / f).is_file() for f in self.files)

    def restore(self, run_dir: Path) -> None:
        """Copy the stored files into ``run_dir`` (modification times kept)."""
        for name in self.files:
            target = run_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.run_dir / name, target)


class StepStore:
    """``<work_dir>/steps/<key>.json``: what each step key wrote, and in which run folder."""

    def __init__(self, work_dir: str | Path):
        self.folder = Path(work_dir) / "steps"

    def get(self, key: str) -> Stored | None:
        """The stored outputs of ``key`` when every file is still there; ``None`` otherwise."""
        path = self.folder / f"{key}.json"
        try:
            raw = json.loads(path.read_text())
            stored = Stored(Path(raw["run_dir"]), raw["run_id"], raw["files"], raw["key_numbers"], raw.get("seconds"))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return stored if stored.available() else None

    def put(self, key: str, run_dir: Path, files: list[str], key_numbers: dict, seconds: float | None) -> None:
        write_atomic(self.folder / f"{key}.json", json.dumps(
            {"run_dir": str(run_dir.resolve()), "run_id": run_dir.name, "files": files, "key_numbers": key_numbers,
             "seconds": seconds}, indent=1, default=str))


__all__ = ["code_version", "step_key", "snapshot", "written", "Stored", "StepStore"]
