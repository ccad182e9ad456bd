"""Process-wide settings, in one place, applied only by entry points.

Library code never changes the process it runs in (environment, imported modules, thread pools);
the entry points do, through these functions: the ``rpt`` command (:func:`rpt_core.cli.main`), a
study notebook's first cell, the training launcher.

* :func:`prepare` (once, first): settings that must exist before torch, OpenMP or altair load.
  Notebook kernels started by ``rpt run`` inherit the environment part.
* :func:`set_threads`: torch's CPU threads, when a config asks for a number.
"""

from __future__ import annotations

import os
import sys

ENVIRONMENT = {
    # Idle OpenMP threads sleep rather than spin: spinning threads of one process steal the cores
    # of another (two 2-thread processes ran 2.5x slower spinning than sleeping, on 2 cores), and a
    # study runs steps side by side. Read by the OpenMP runtime when torch loads it.
    "OMP_WAIT_POLICY": "PASSIVE",
    # vLLM on CPU: the KV cache size in GiB (its default, 4 GiB, would not fit beside a study).
    "VLLM_CPU_KVCACHE_SPACE": "1",
}


def prepare() -> None:
    """Defaults for :data:`ENVIRONMENT` (a value already set wins), and no ``rfc3987_syntax``:
    jsonschema (imported by altair) loads it, when installed, for an optional "iri" format check that
    altair never runs, and that import compiles a grammar (2.4 s per notebook kernel). Call it before
    importing torch or altair; later calls change nothing already loaded."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def set_threads(threads: int | None) -> None:
    """torch's intra-op CPU threads; ``None`` leaves torch's default."""
    if threads:
        import torch

        torch.set_num_threads(threads)


__all__ = ["ENVIRONMENT", "prepare", "set_threads"]
