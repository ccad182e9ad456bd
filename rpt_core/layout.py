"""Where a run's things live: evaluation records, a training run's checkpoints and final model, and
a study run's key numbers. Every path below is relative to the folder it is given; nothing here
trains, evaluates or analyses.

* ``<out_dir>/records/<model>[.shard-<i>-of-<n>].parquet``: one model's evaluation records
  (:func:`records_path`).
* ``<train out_dir>/checkpoint-<step>/``: a checkpoint (Hugging Face's naming), complete once its
  ``trainer_state.json`` is written (:func:`checkpoints`); ``<train out_dir>/final/``
  (:data:`FINAL_DIR`): the finished model. As models to evaluate they are named ``<run>@<step>``
  and ``<run>`` (:func:`trained_models`, :func:`checkpoint_steps`).
* ``<run_dir>/data/key_numbers.json`` (:data:`KEY_NUMBERS`): a study run's key numbers
  (:func:`record_key_numbers`, :func:`read_key_numbers`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .atomic import locked, write_atomic
from .manifest import read_manifest

FINAL_DIR = "final"                 # the finished model, inside a training run's out_dir
CHECKPOINT_PREFIX = "checkpoint-"   # + the step: a checkpoint folder, as the trainer names it
KEY_NUMBERS = "data/key_numbers.json"


def records_path(out_dir: str | Path, model: str, shard: tuple[int, int] = (0, 1)) -> Path:
    """``<out_dir>/records/<model>[.shard-<i>-of-<n>].parquet``."""
    index, count = shard
    return Path(out_dir) / "records" / f"{model}{'' if count == 1 else f'.shard-{index}-of-{count}'}.parquet"


def checkpoint_steps(models, run: str) -> dict[str, int]:
    """``{model name: step}`` of the checkpoints of training run ``run`` among ``models`` (names):
    :func:`trained_models` names them ``<run>@<step>``."""
    pattern = re.compile(re.escape(run) + r"@(\d+)")
    return {name: int(m.group(1)) for name in models if (m := pattern.fullmatch(str(name)))}


def checkpoints(out_dir: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every complete checkpoint in ``out_dir``, oldest first."""
    found = []
    for path in Path(out_dir).glob(f"{CHECKPOINT_PREFIX}*"):
        match = re.fullmatch(re.escape(CHECKPOINT_PREFIX) + r"(\d+)", path.name)
        if match and (path / "trainer_state.json").exists():
            found.append((int(match.group(1)), path))
    return sorted(found)


def trained_models(out_dir: str | Path, name: str) -> list[dict]:
    """Every evaluable model of a training run: ``{"name": "<name>@<step>", "path", "step"}`` per
    checkpoint, then ``{"name": name, "path": <final>, "step": <last step>}`` when the run finished."""
    found = [{"name": f"{name}@{step}", "path": str(path), "step": step} for step, path in checkpoints(out_dir)]
    manifest = read_manifest(out_dir)
    if (Path(out_dir) / FINAL_DIR).exists() and manifest.get("status") == "done":
        found.append({"name": name, "path": str(Path(out_dir) / FINAL_DIR), "step": manifest.get("steps")})
    return found


def record_key_numbers(run_dir: str | Path, **numbers: Any) -> dict:
    """Merge ``numbers`` into the run's key numbers (shown in the index); called from notebooks, also
    by steps running in parallel (the read-merge-write holds the file's lock). Keys stay sorted, so
    the file does not depend on which step finished first."""
    path = Path(run_dir) / KEY_NUMBERS
    with locked(path):
        merged = {**read_key_numbers(run_dir), **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in numbers.items()}}
        write_atomic(path, json.dumps(dict(sorted(merged.items())), indent=2, default=str))
    return merged


def read_key_numbers(run_dir: str | Path) -> dict:
    """The run's key numbers (``{}`` before any was recorded)."""
    path = Path(run_dir) / KEY_NUMBERS
    return json.loads(path.read_text()) if path.exists() else {}


__all__ = ["FINAL_DIR", "CHECKPOINT_PREFIX", "KEY_NUMBERS", "records_path", "checkpoint_steps", "checkpoints",
           "trained_models", "record_key_numbers", "read_key_numbers"]
