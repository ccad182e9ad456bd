"""Atomic file writes: a temporary file in the same folder, then a rename.

A run killed mid-write leaves the previous version of the file (or none), never half of one; that is
what lets every step of a study resume from what is on disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, payload: bytes | str) -> Path:
    """Write ``payload`` (text is UTF-8 encoded) to ``path``; parents are created; mode 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
