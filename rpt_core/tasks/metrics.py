"""Upstream metrics: each benchmark's own headline number, next to the paper's.

The paper scores every benchmark by accuracy (pass@1, averaged over repeats): that is what the
statistics use. Several benchmarks' own harnesses report something else; a declaration names it
(``Task.upstream``) and :func:`rpt_core.tasks.upstream.upstream_scores` computes it from the same
records, so both numbers are on record. This module holds the shared scoring pieces (F1, balanced
accuracy); each scorer lives in its benchmark's declaration.

Predictions are the verifier's extracted answers (``None``: no answer, which counts against
recall, as PIXIU's "missing"). Scores are in [0, 1].
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from ..items import Item

NO_ANSWER = "(no answer)"   # a missing prediction, as a class of its own where the label set is the union


def balanced_accuracy(golds: list, predictions: list) -> float:
    """Mean recall over the classes present in ``golds`` (sklearn's ``balanced_accuracy_score``)."""
    hits, totals = defaultdict(int), defaultdict(int)
    for gold, predicted in zip(golds, predictions):
        totals[gold] += 1
        hits[gold] += gold == predicted
    return sum(hits[c] / totals[c] for c in totals) / len(totals)


def f1(golds: list, predictions: list, average: str = "weighted", union: bool = False) -> float:
    """F1 over the classes present in ``golds``, ``"weighted"`` by their support or ``"macro"``
    (sklearn's ``f1_score(..., labels=set(golds))``); other predictions only lower recall. With
    ``union``, over the classes of ``golds`` and ``predictions`` together (sklearn's default
    ``labels=None``): a predicted class absent from the gold labels counts, with F1 0."""
    classes = sorted(set(golds) | (set(predictions) if union else set()), key=str)
    scores, support = [], []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(golds, predictions))
        fp = sum(g != c and p == c for g, p in zip(golds, predictions))
        fn = sum(g == c and p != c for g, p in zip(golds, predictions))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        support.append(sum(g == c for g in golds))
    if average == "macro":
        return sum(scores) / len(scores)
    return sum(s * n for s, n in zip(scores, support)) / sum(support)


def gold(item: Item) -> str:
    """The item's gold answer, lower-cased."""
    return str(item.reference["answer"]).lower()


def predicted(extracted) -> str | None:
    """An extracted answer, lower-cased; ``None`` for no answer."""
    return None if extracted is None or extracted == "None" else str(extracted).lower()


def item_mean(group: pd.DataFrame, column: str) -> float:
    """Mean over items of each item's mean over its samples (pass@1 for ``correct``)."""
    return float(group.groupby("item_id")[column].mean().mean())
