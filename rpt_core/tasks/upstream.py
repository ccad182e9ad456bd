"""Upstream scores: every declared benchmark's own headline metric (``Task.upstream``), computed
from the same records as pass@1."""

from __future__ import annotations

import pandas as pd

from ..items import Item
from ..rewards.verdict import graded
from . import TASKS


def upstream_scores(records: pd.DataFrame, items: dict[str, list[Item]]) -> pd.DataFrame:
    """Per model x benchmark with an upstream metric of its own: ``upstream_metric`` (its name) and
    ``upstream_score``. ``items`` maps benchmark -> its items (as :func:`rpt_core.evaluate.load_suite`
    returns them); benchmarks without their own metric are left out. Harness errors are not
    predictions: those samples are left out, as from pass@1 (:func:`rpt_core.rewards.verdict.graded`)."""
    out = []
    for (model, benchmark), group in graded(records).groupby(["model", "benchmark"], sort=True):
        task = TASKS.get(benchmark)
        if task is None or task.upstream is None or benchmark not in items:
            continue
        by_id = {item.id: item for item in items[benchmark]}
        rows = [(by_id[row["item_id"]], row) for _, row in group.iterrows()]
        out.append({"model": model, "benchmark": benchmark, "upstream_metric": task.upstream.name,
                    "upstream_score": float(task.upstream.score(rows))})
    return pd.DataFrame(out, columns=["model", "benchmark", "upstream_metric", "upstream_score"])
