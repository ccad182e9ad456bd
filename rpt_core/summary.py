"""Summaries of evaluation records: per model x benchmark pass@1, pass@k, item and sample counts,
harness errors, truncation and no-answer rates, tokens, second tries and upstream metrics.

Every accuracy and rate is a percentage (0-100).
"""

from __future__ import annotations

import pandas as pd

from .tasks.metrics import item_mean
from .tasks.upstream import upstream_scores
from .tasks import BENCHMARKS
from .items import Item
from .rewards.verdict import graded
from .stats.passk import pass_at_k


def _tries(benchmark: str) -> int:
    return BENCHMARKS[benchmark].tries if benchmark in BENCHMARKS else 1


def summarize(records: pd.DataFrame, ks: tuple[int, ...] = (1, 4, 16),
              items: dict[str, list[Item]] | None = None) -> pd.DataFrame:
    """Per model x benchmark: pass@1 (mean over repeats), item and sample counts (graded samples:
    harness errors, :data:`rpt_core.rewards.HARNESS_REASONS`, are left out and counted in
    ``harness_errors`` / ``harness_error_rate``), truncation and
    no-answer rates, mean generated tokens, pass@k for each k <= repeats, and for benchmarks with a
    second try ``pass_rate_2`` (right on the first or second try, Aider's metric). With the suite's
    ``items``, benchmarks whose own harness reports another headline metric get it too
    (``upstream_metric``, ``upstream_score``: :mod:`rpt_core.tasks.upstream`).

    Every accuracy and rate is a percentage (0-100), the unit of every table, figure and Δ (pp) in
    the toolkit (:func:`rpt_core.stats.stratify.accuracy_table` likewise)."""
    rows = []
    for (model, benchmark), drawn in records.groupby(["model", "benchmark"], sort=True):
        group = graded(drawn)
        per_item = group.groupby("item_id")["correct"].agg(["size", "sum"])
        row = {
            "model": model, "benchmark": benchmark, "domain": drawn["domain"].iloc[0],
            "pass@1": item_mean(group, "correct") if len(group) else float("nan"),
            "n_items": int(len(per_item)), "n_samples": int(len(group)),
            "harness_errors": int(len(drawn) - len(group)), "harness_error_rate": 1 - len(group) / len(drawn),
            "truncation_rate": float((group["finish_reason"] == "length").mean()),
            "no_answer_rate": float((group["reason"] == "no_answer").mean()),
            "mean_tokens": float(group["tokens"].mean()),
        }
        if _tries(benchmark) > 1 and "correct_2" in group:
            row["pass_rate_2"] = item_mean(group, "correct_2")
        for k in ks:
            if k > 1 and len(per_item) and per_item["size"].min() >= k:
                row[f"pass@{k}"] = float(sum(pass_at_k(n, c, k) for n, c in zip(per_item["size"], per_item["sum"])) / len(per_item))
        rows.append(row)
    summary = pd.DataFrame(rows)
    if items is not None and not summary.empty:
        upstream = upstream_scores(records, items)
        if not upstream.empty:
            summary = summary.merge(upstream, on=["model", "benchmark"], how="left")
    percent = [c for c in summary.columns if c.startswith("pass") or c.endswith("_rate") or c == "upstream_score"]
    summary[percent] = 100 * summary[percent]
    return summary


__all__ = ["summarize"]
