"""Evaluation records: their columns and dtypes, reading and writing them (parquet), merging shards,
and finding and regrading records whose benchmark or verifier version has changed.

A record is one sample: one row per (model, benchmark, item, repeat), :data:`RECORD_COLUMNS`.
``correct`` is a boolean, ``tokens`` a count of generated tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from .atomic import write_atomic
from .tasks import benchmark_version
from .items import Item
from .rewards import VERSION as VERIFIER_VERSION
from .rewards import verify_many

RECORD_COLUMNS = ["model", "benchmark", "benchmark_version", "domain", "item_id", "sample_index", "key",
                  "completion", "finish_reason", "tokens", "extracted", "correct", "reason", "verifier", "detail",
                  "retry_completion", "correct_2"]


_DTYPES = {"retry_completion": "str", "correct_2": "bool",
           "model": "str", "benchmark": "str", "benchmark_version": "str", "domain": "str", "item_id": "str", "sample_index": "int64",
           "key": "str", "completion": "str", "finish_reason": "str", "tokens": "int64", "extracted": "str",
           "correct": "bool", "reason": "str", "verifier": "str", "detail": "str"}


def typed_records(records: pd.DataFrame) -> pd.DataFrame:
    """Fixed column dtypes, so records from any run, shard or regrade compare equal."""
    return records.astype({c: t for c, t in _DTYPES.items() if c in records.columns})


def read_eval_records(source: str | Path | list) -> pd.DataFrame:
    """Records from a parquet file, a folder of them, or a list of either: shards of one model (and a
    merged copy beside them) become one row per sample (:func:`merge_shards`)."""
    sources = source if isinstance(source, list) else [source]
    files = sorted(f for s in sources for f in (Path(s).glob("*.parquet") if Path(s).is_dir() else [Path(s)]))
    if not files:
        raise FileNotFoundError(f"no records (*.parquet) in {', '.join(map(str, sources))}")
    return merge_shards([pd.read_parquet(f) for f in files])


def write_records(records: pd.DataFrame, path: str | Path) -> Path:
    """Write parquet atomically (:func:`rpt_core.atomic.write_atomic`): a kill never leaves a half-written file."""
    return write_atomic(path, records.to_parquet(index=False))


def merge_shards(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate records (e.g. of shards); one row per (model, sample key), in a canonical order."""
    merged = pd.concat(parts, ignore_index=True).drop_duplicates(subset=["model", "key"])
    return typed_records(merged.sort_values(["model", "benchmark", "item_id", "sample_index"]).reset_index(drop=True))


def stale(records: pd.DataFrame) -> pd.Series:
    """Rows graded by another benchmark version or verifier version than the current ones (records
    written before versions were stored count as stale)."""
    current = records["benchmark"].map(benchmark_version)
    stored = records["benchmark_version"] if "benchmark_version" in records else pd.Series("", index=records.index)
    return (stored != current) | ~records["verifier"].str.endswith(f"@{VERIFIER_VERSION}")


def regrade(records: pd.DataFrame, items: dict[str, Item] | Callable[[str, str], Item],
            workers: int = 8, only_stale: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-verify stored completions (no generation). ``items`` maps ``"benchmark/item_id"`` to
    its Item (or is a function of benchmark, item_id). With ``only_stale`` only the rows of
    :func:`stale` are verified again. Returns (new records, changed verdicts)."""
    lookup = items if callable(items) else (lambda b, i: items[f"{b}/{i}"])
    redo = stale(records) if only_stale else pd.Series(True, index=records.index)
    if "retry_completion" not in records:
        records = records.assign(retry_completion="", correct_2=records["correct"])
    rows = records[redo]
    items_of = [lookup(row.benchmark, row.item_id) for row in rows.itertuples()]
    firsts = [(item.kind, row.completion, item.reference) for item, row in zip(items_of, rows.itertuples())]
    retried = [(index, item.kind, row.retry_completion, item.reference)
               for index, item, row in zip(rows.index, items_of, rows.itertuples()) if row.retry_completion]
    checked = verify_many(firsts + [triple for _, *triple in retried], workers=workers)
    verdicts = checked[:len(firsts)]
    second = {index: v.correct for (index, *_), v in zip(retried, checked[len(firsts):])}
    new = records.copy()
    new.loc[redo, "benchmark_version"] = records.loc[redo, "benchmark"].map(benchmark_version)
    new.loc[redo, "extracted"] = [None if v.extracted is None else str(v.extracted) for v in verdicts]
    for column in ("correct", "reason", "verifier", "detail"):
        new.loc[redo, column] = [getattr(v, column) for v in verdicts]
    new.loc[redo, "correct_2"] = [v.correct or second.get(i, False) for i, v in zip(rows.index, verdicts)]
    new = typed_records(new[RECORD_COLUMNS])
    changed = new[(new["correct"] != records["correct"]) | (new["reason"] != records["reason"])]
    changed = changed.assign(old_correct=records.loc[changed.index, "correct"],
                             old_reason=records.loc[changed.index, "reason"])
    return new, changed[["model", "benchmark", "item_id", "sample_index", "old_correct", "correct", "old_reason", "reason"]]


__all__ = ["RECORD_COLUMNS", "typed_records", "read_eval_records", "write_records", "merge_shards", "stale", "regrade"]
