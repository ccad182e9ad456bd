"""Atomic file writes (a temporary file in the same folder, then a rename) and file locks.

A run killed mid-write leaves the previous version of the file (or none), never half of one; that is
what lets every step of a study resume from what is on disk. :func:`locked` serializes writers of one
file across processes and machines (POSIX record locks, which NFS clients forward to the server).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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


@contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``.<name>.lock`` next to ``path`` for the block: writers that read,
    merge and rewrite ``path`` (or append to it) inside ``locked(path)`` never lose or interleave
    each other's data. The lock file stays (hidden, ignored by git and by reports)."""
    path = Path(path)
    lock = path.parent / f".{path.name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)
