"""FinBen (TheFinAI FLARE subsets): financial classification (label/choice) and numeric QA
(numeric, or text for span answers); upstream's own number is PIXIU's F1 / exact match."""

from __future__ import annotations

import re
from collections import defaultdict

from ..rewards.extract import math_answer
from .metrics import f1, gold, predicted
from .prompting import LABEL, NUMERIC, render
from .rows import LETTERS, item, parse_number
from .task import Metric, Source, Task

CLASSIFICATION = ("flare-fpb", "flare-fiqasa", "finben-fomc", "flare-headlines", "flare-german")
NUMERIC_SUBSETS = ("flare-finqa", "flare-tatqa", "flare-convfinqa")


def normalize(task, rows):
    """TheFinAI FinBen (FLARE) subsets. Classification (flare-fpb, flare-fiqasa, finben-fomc,
    flare-headlines, flare-german): id, query (the FLARE prompt with the input), answer, choices,
    gold (index into choices), plus text (not in headlines) and label_type (headlines) -> ``label``
    (``choice`` when the choices are option letters). Numeric QA (flare-finqa, flare-tatqa,
    flare-convfinqa: id, query, answer, text | turn, dialogue_id) -> ``numeric`` with 1% relative
    tolerance; a percentage may be answered as a percent or a fraction (``6.84%`` = 0.0684). An
    answer that is not a number (TAT-QA spans) is a ``text`` item, matched as text (PIXIU scores
    these subsets by exact match). The gold text is kept in metadata for PIXIU's exact-match score."""
    items = []
    for i, r in enumerate(rows):
        subset, item_id = r["_subset"], f"{r['_subset']}/{r.get('id', i)}"
        if subset in NUMERIC_SUBSETS:
            value = parse_number(r["answer"])
            if value is None:
                items.append(item(task, item_id, render(NUMERIC, text=r["query"]), "text",
                                  {"answer": str(r["answer"])}, subset=subset, answer_text=str(r["answer"])))
                continue
            percent = str(r["answer"]).strip().endswith("%")
            asks_percent = re.search(r"(?i)percent|percentage", r["query"].rsplit("Question:", 1)[-1]) is not None
            reference = {"answer": value, "rel_tol": 0.01}
            if percent or asks_percent:
                reference["alternatives"] = [value / 100] if percent else [value / 100, value * 100]
            items.append(item(task, item_id, render(NUMERIC, text=r["query"]), "numeric",
                              reference, subset=subset, answer_text=str(r["answer"])))
            continue
        choices = [str(c) for c in r["choices"]]
        answer = choices[int(r["gold"])]
        if all(len(c) == 1 and c.upper() in LETTERS for c in choices):
            reference, kind = {"answer": answer.upper(), "options": [c.upper() for c in choices]}, "choice"
        else:
            reference, kind = {"answer": answer, "labels": choices}, "label"
        text = render(task.prompt, text=r["query"], labels=", ".join(choices))
        items.append(item(task, item_id, text, kind, reference, subset=subset, label_type=r.get("label_type")))
    return items


def pixiu(rows) -> float:
    """PIXIU: weighted F1 per classification subset; for headlines the weighted F1 per label type,
    averaged; exact match of the final answer string for FinQA, TAT-QA and ConvFinQA; then the mean
    over subsets."""
    by_subset: dict[str, list] = defaultdict(list)
    for it, row in rows:
        by_subset[it.metadata["subset"]].append((it, row))
    scores = []
    for subset, pairs in by_subset.items():
        if pairs[0][0].kind in ("numeric", "text"):   # QA subsets: numbers and text spans
            answers = [math_answer(row["completion"]) for _, row in pairs]
            scores.append(sum(a is not None and a.strip() == it.metadata["answer_text"]
                              for a, (it, _) in zip(answers, pairs)) / len(pairs))
        elif subset == "flare-headlines":
            by_type: dict[str, list] = defaultdict(list)
            for it, row in pairs:
                by_type[it.metadata.get("label_type")].append((gold(it), predicted(row["extracted"])))
            scores.append(sum(f1(*zip(*v)) for v in by_type.values()) / len(by_type))
        else:
            scores.append(f1([gold(i) for i, _ in pairs], [predicted(r["extracted"]) for _, r in pairs]))
    return sum(scores) / len(scores)


TASK = Task("finben", "knowledge",
            Source("hub", "TheFinAI/{subset}", subsets=CLASSIFICATION + NUMERIC_SUBSETS,
                   aliases={"finben-fomc": ("flare-fomc",)},
                   layout="one folder or file per subset named after its hub dataset, e.g. "
                          "<data_dir>/finben/flare-fpb/test.parquet (finben-fomc may keep its former name "
                          "flare-fomc); a missing subset is dropped with a warning"),
            None, 1, LABEL, "label/choice/numeric/text", normalize, gated=("flare-fpb", "flare-fiqasa", "flare-finqa"),
            upstream=Metric("PIXIU F1 / exact match (mean over subsets)", pixiu), module=__name__,
            notes="classification subsets (choices/gold) -> label; FinQA/TAT-QA/ConvFinQA -> numeric with 1% "
                  "tolerance, a non-numeric answer (TAT-QA spans) -> text (PIXIU: exact string match, "
                  "recorded as the upstream metric); FOMC moved to "
                  "TheFinAI/finben-fomc; flare-fpb, flare-fiqasa and flare-finqa are gated on the hub")
