"""Training-set selection: which rows of a declared training set an RL run trains on, and in what order.

    >>> from rpt_core.tasks.selection import load_training_set, mixed_training_set, training_set_hash
    >>> maths = load_training_set("eurus-2-math-100k", seed=None)       # first 40K in hub order
    >>> code = load_training_set("code", data_dir="/data", seed=42)      # domain aliases work too
    >>> mixed = mixed_training_set(seed=42)                              # 3 x 13,333, shuffled
    >>> training_set_hash(mixed)                                         # sha256 for manifests

Selection (deterministic). Rows are read in source order (hub split order; for a local copy, the
sorted data files concatenated: :func:`rpt_core.tasks.readers.read_training_rows`), filtered with
the authors' rules (``task.keep``, plus an optional ``data_source`` filter), then ordered:
``seed=None`` keeps source order, an integer ``seed`` applies the permutation
``numpy.random.default_rng(seed).permutation(n)``, which is exactly what
``datasets.Dataset.shuffle(seed=seed)`` does. ``size`` (default ``task.size`` = 40,000) takes the
first rows of that order that normalize to a gradable item (a row without usable tests or answer is
skipped and the next one taken). Ids are the row's position in the source split, so they are
stable across seeds and sizes. Fewer than ``size`` rows available -> all of them, no error.

What the authors did (their SkyRL data-preparation scripts, found in a public code index without
a repository path: a single-domain math script writing ``deepscaler_train.parquet`` and a
mixed-domain script writing ``mixed_domain_train.parquet`` whose environment imports
``rl_gen.mixed_domain``, i.e. the authors' SkyRL fork): per set ``shuffle(seed=42).select(range(13333))``
(code first filtered as its declaration says), the three concatenated as [math, code, knowledge]
and shuffled again with seed 42 -> ``mixed_training_set(seed=42)`` reproduces that order given the
same hub revision. Each set's declaration records its single-domain selection (``paper_seed``).
"""

from __future__ import annotations

import hashlib
import json
import os

from ..errors import UnknownName
from ..items import Item
from . import TRAINING_SETS
from .readers import read_training_rows

MIXED_PAPER_SEED = 42   # the authors' mixed-domain script: per-set and final shuffle seed
# Domain names as aliases of the hub training sets (read from files, not built in memory).
DOMAIN_ALIASES = {t.domain: n for n, t in TRAINING_SETS.items() if t.build is None}


def training_set(name: str):
    """The declaration of a set name or domain alias; ``KeyError`` naming the allowed ones otherwise."""
    task = TRAINING_SETS.get(DOMAIN_ALIASES.get(name, name))
    if task is None:
        raise UnknownName(f"unknown training set {name!r}; known: {', '.join(TRAINING_SETS)} "
                          f"(aliases: {', '.join(f'{a}={n}' for a, n in DOMAIN_ALIASES.items())})")
    return task


def load_training_set(name: str, data_dir: str | os.PathLike | None = None, size: int | None = None,
                      seed: int | None = 0, *, split: str | None = None,
                      data_sources: tuple[str, ...] | list[str] | None = None) -> list[Item]:
    """Items of training set ``name`` (or alias), selected as the module docstring describes.

    data_dir: folder holding ``<name>/``; defaults to ``$RPT_DATA_DIR``; without either, the hub.
    size: how many items (default ``task.size``, 40,000), the first of the order.
    seed: ``None`` = source order; an int = ``datasets.Dataset.shuffle(seed=seed)``'s permutation.
    split: override the source split. data_sources: keep only rows with these ``data_source`` values.
    A set built in memory (``task.build``) is its built items in that order, the first ``size``.
    Raises ``KeyError`` for an unknown name and :class:`TrainingSetUnavailable` when nothing can be read.
    """
    task = training_set(name)
    size = task.size if size is None else size
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if task.build is not None:
        return shuffled(task.build(), seed)[:size]
    rows = read_training_rows(task, data_dir, split or task.split)
    wanted = set(data_sources) if data_sources is not None else None
    candidates = [(i, row) for i, row in enumerate(rows)
                  if (wanted is None or row.get("data_source") in wanted) and task.keep(row)]
    items = []
    for index, row in shuffled(candidates, seed):
        if len(items) >= size:
            break
        item = task.normalize(task, index, row)
        if item is not None:
            items.append(item)
    return items


def mixed_training_set(names: list[str] | tuple[str, ...] | None = None, per_domain: int = 13_333,
                       data_dir: str | os.PathLike | None = None, seed: int | None = 0) -> list[Item]:
    """``per_domain`` items of each set in ``names`` (default: the hub sets, math, code, knowledge),
    each selected with ``seed`` (code restricted to ``task.mixed_data_sources``, as in the authors'
    run), then concatenated in ``names`` order and shuffled with the same ``seed`` (``None``:
    round-robin interleaving instead). Every item keeps its own ``benchmark``, ``domain`` and
    ``kind``; ids are unique per ``(benchmark, id)``. ``seed=42`` reproduces the authors' mixed order."""
    tasks = [training_set(n) for n in (names if names is not None else list(DOMAIN_ALIASES.values()))]
    if not tasks:
        raise ValueError("mixed_training_set needs at least one training set")
    if len({t.name for t in tasks}) != len(tasks):
        raise ValueError(f"duplicate training sets in {list(names or [])}")
    parts = [load_training_set(t.name, data_dir, size=per_domain, seed=seed, data_sources=t.mixed_data_sources)
             for t in tasks]
    if seed is None:
        return [part[i] for i in range(max(map(len, parts))) for part in parts if i < len(part)]
    return shuffled([item for part in parts for item in part], seed)


def training_set_hash(items) -> str:
    """sha256 (hex) of the items in order, one ``json.dumps(item.to_dict(), sort_keys=True)`` line
    each (the bytes :func:`rpt_core.items.write_items` writes)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update((json.dumps(item.to_dict(), sort_keys=True) + "\n").encode("utf-8"))
    return digest.hexdigest()


def _permutation(n: int, seed: int) -> list[int]:
    import numpy as np
    return np.random.default_rng(seed).permutation(n).tolist()


def shuffled(candidates: list, seed: int | None) -> list:
    """``candidates`` in the order ``datasets.Dataset.shuffle(seed)`` gives; ``seed=None`` keeps them."""
    return candidates if seed is None else [candidates[j] for j in _permutation(len(candidates), seed)]
