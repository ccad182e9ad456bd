"""A benchmark suite: the items and repeats of the benchmarks an evaluation names, from the
benchmark registry's loaders or from item files (``<items_dir>/<name>.jsonl``).
"""

from __future__ import annotations

from pathlib import Path

from .tasks import BENCHMARKS
from .items import Item, read_items


def items_file(name: str, items_dir: str | Path | list | None) -> Path | None:
    """``<folder>/<name>.jsonl`` in the first folder of ``items_dir`` (one folder or a list) that holds
    it; ``None`` where none does."""
    folders = [] if items_dir is None else [items_dir] if isinstance(items_dir, (str, Path)) else items_dir
    return next((Path(f) / f"{name}.jsonl" for f in folders if (Path(f) / f"{name}.jsonl").exists()), None)


def load_suite(benchmarks: list, data_dir: str | Path | None = None,
               items_dir: str | Path | list | None = None) -> tuple[dict[str, list[Item]], dict[str, int]]:
    """Items and repeats of a benchmark suite: entries are names, ``{name, repeats, limit, options}`` mappings or
    :class:`rpt_core.config.BenchmarkChoice` (``options``: the benchmark's own, e.g. ``{release: release_v6}`` for LiveCodeBench).

    A name in the benchmark registry is loaded by its loader (``data_dir`` as for ``rpt eval``);
    any other name is read from ``<items_dir>/<name>.jsonl`` (items written by
    :func:`rpt_core.items.write_items`, e.g. the tiny world's test sets; ``items_dir`` may be a list
    of folders, searched in order). Repeats default to the registry's (1 for item files).
    """
    from .tasks.loading import load

    items, repeats = {}, {}
    for entry in benchmarks:
        entry = {"name": entry} if isinstance(entry, str) else dict(entry) if isinstance(entry, dict) else vars(entry)
        name, limit = entry["name"], entry.get("limit")
        if name in BENCHMARKS:
            items[name] = load(name, data_dir=data_dir, limit=limit, **(entry.get("options") or {}))
            repeats[name] = entry.get("repeats") or BENCHMARKS[name].repeats
        elif (file := items_file(name, items_dir)) is not None:
            items[name] = read_items(file)[:limit]
            repeats[name] = entry.get("repeats") or 1
        else:
            raise ValueError(f"unknown benchmark {name!r}: not in the registry ({', '.join(BENCHMARKS)}) "
                             f"and no {name}.jsonl in items_dir ({items_dir or 'not set'})")
    return items, repeats


__all__ = ["items_file", "load_suite"]
