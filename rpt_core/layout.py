"""The run folder's layout: where a run keeps what its notebooks record.

``KEY_NUMBERS`` is the file, relative to a run folder, that holds the run's key numbers (shown in
its README, its page and the index); notebooks write it with :func:`record_key_numbers`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KEY_NUMBERS = "data/key_numbers.json"


def record_key_numbers(run_dir: str | Path, **numbers: Any) -> dict:
    """Merge ``numbers`` into the run's key numbers (shown in the index); called from notebooks, also
    by steps running in parallel (the read-merge-write holds the file's lock). Keys stay sorted, so
    the file does not depend on which step finished first."""
    from .atomic import locked, write_atomic

    path = Path(run_dir) / KEY_NUMBERS
    with locked(path):
        merged = {**read_key_numbers(run_dir), **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in numbers.items()}}
        write_atomic(path, json.dumps(dict(sorted(merged.items())), indent=2, default=str))
    return merged


def read_key_numbers(run_dir: str | Path) -> dict:
    path = Path(run_dir) / KEY_NUMBERS
    return json.loads(path.read_text()) if path.exists() else {}


__all__ = ["KEY_NUMBERS", "record_key_numbers", "read_key_numbers"]
