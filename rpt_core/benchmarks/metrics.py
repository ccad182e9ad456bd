"""Each benchmark's own headline metric, next to the paper's.

The paper scores every benchmark by accuracy (pass@1, averaged over repeats): that is what the
statistics use. Several benchmarks' own harnesses report something else; :func:`upstream_scores`
computes it from the same records, so both numbers are on record:

=============  ===============================================================================
legalbench     balanced accuracy per task (LegalBench ``evaluation.py``), averaged over tasks
finben         PIXIU: weighted F1 per classification subset; for headlines the weighted F1 per
               label type, averaged; exact match of the final answer string for FinQA, TAT-QA
               and ConvFinQA; then the mean over subsets
pubmedqa       macro-F1 over the gold and predicted labels (the official ``evaluation.py``, beside accuracy)
polyglot       pass_rate_2: right on the first or the second try (Aider)
=============  ===============================================================================

Predictions are the verifier's extracted answers (``None``: no answer, which counts against
recall, as PIXIU's "missing"). Scores are in [0, 1].
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from ..items import Item
from ..rewards.extract import math_answer
from ..rewards.verdict import graded

UPSTREAM_METRICS = {
    "legalbench": "balanced accuracy (mean over tasks)",
    "finben": "PIXIU F1 / exact match (mean over subsets)",
    "pubmedqa": "macro-F1",
    "polyglot": "pass_rate_2",
}


def balanced_accuracy(golds: list, predictions: list) -> float:
    """Mean recall over the classes present in ``golds`` (sklearn's ``balanced_accuracy_score``)."""
    hits, totals = defaultdict(int), defaultdict(int)
    for gold, predicted in zip(golds, predictions):
        totals[gold] += 1
        hits[gold] += gold == predicted
    return sum(hits[c] / totals[c] for c in totals) / len(totals)


NO_ANSWER = "(no answer)"   # a missing prediction, as a class of its own where the label set is the union


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


def _gold(item: Item):
    return str(item.reference["answer"]).lower()


def _predicted(extracted) -> str | None:
    return None if extracted is None or extracted == "None" else str(extracted).lower()


def _finben(rows: list[tuple[Item, pd.Series]]) -> float:
    by_subset: dict[str, list] = defaultdict(list)
    for item, row in rows:
        by_subset[item.metadata["subset"]].append((item, row))
    scores = []
    for subset, pairs in by_subset.items():
        if pairs[0][0].kind in ("numeric", "text"):   # QA subsets: numbers and text spans
            answers = [math_answer(row["completion"]) for _, row in pairs]
            scores.append(sum(a is not None and a.strip() == item.metadata["answer_text"]
                              for a, (item, _) in zip(answers, pairs)) / len(pairs))
        elif subset == "flare-headlines":
            by_type: dict[str, list] = defaultdict(list)
            for item, row in pairs:
                by_type[item.metadata.get("label_type")].append((_gold(item), _predicted(row["extracted"])))
            scores.append(sum(f1(*zip(*v)) for v in by_type.values()) / len(by_type))
        else:
            scores.append(f1([_gold(i) for i, _ in pairs], [_predicted(r["extracted"]) for _, r in pairs]))
    return sum(scores) / len(scores)


def _legalbench(rows: list[tuple[Item, pd.Series]]) -> float:
    by_task: dict[str, list] = defaultdict(list)
    for item, row in rows:
        by_task[item.metadata["task"]].append((_gold(item), _predicted(row["extracted"])))
    return sum(balanced_accuracy(*zip(*v)) for v in by_task.values()) / len(by_task)


def _pubmedqa(rows: list[tuple[Item, pd.Series]]) -> float:
    """The official evaluation.py: sklearn's macro-F1 with its default label set, the union of gold
    and predicted labels; a missing answer is one more predicted label (:data:`NO_ANSWER`)."""
    predictions = [_predicted(r["extracted"]) or NO_ANSWER for _, r in rows]
    return f1([_gold(i) for i, _ in rows], predictions, average="macro", union=True)


def item_mean(group: pd.DataFrame, column: str) -> float:
    """Mean over items of each item's mean over its samples (pass@1 for ``correct``)."""
    return float(group.groupby("item_id")[column].mean().mean())


def _polyglot(rows: list[tuple[Item, pd.Series]]) -> float:
    return item_mean(pd.DataFrame([row for _, row in rows]), "correct_2")


_SCORERS = {"legalbench": _legalbench, "finben": _finben, "pubmedqa": _pubmedqa, "polyglot": _polyglot}


def upstream_scores(records: pd.DataFrame, items: dict[str, list[Item]]) -> pd.DataFrame:
    """Per model x benchmark with an upstream metric of its own: ``upstream_metric`` (its name) and
    ``upstream_score``. ``items`` maps benchmark -> its items (as :func:`rpt_core.evaluate.load_suite`
    returns them); benchmarks without their own metric are left out. Harness errors are not
    predictions: those samples are left out, as from pass@1 (:func:`rpt_core.rewards.verdict.graded`)."""
    out = []
    for (model, benchmark), group in graded(records).groupby(["model", "benchmark"], sort=True):
        if benchmark not in _SCORERS or benchmark not in items:
            continue
        by_id = {item.id: item for item in items[benchmark]}
        rows = [(by_id[row["item_id"]], row) for _, row in group.iterrows()]
        out.append({"model": model, "benchmark": benchmark, "upstream_metric": UPSTREAM_METRICS[benchmark],
                    "upstream_score": float(_SCORERS[benchmark](rows))})
    return pd.DataFrame(out, columns=["model", "benchmark", "upstream_metric", "upstream_score"])
