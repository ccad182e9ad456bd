"""MedQA (GBaker/MedQA-USMLE-4-options, test): 1,273 USMLE questions answered by option letter."""

from __future__ import annotations

from .prompting import CHOICE, render
from .rows import item
from .task import Source, Task


def normalize(task, rows):
    """GBaker/MedQA-USMLE-4-options: question, answer (text), options ({"A": ..., ...}), meta_info,
    answer_idx ("A".."E"), metamap_phrases. 4 or 5 options both work."""
    items = []
    for i, r in enumerate(rows):
        options = {k: v for k, v in sorted(r["options"].items()) if v is not None}
        text = render(task.prompt, question=r["question"], options="\n".join(f"{k}. {v}" for k, v in options.items()))
        items.append(item(task, i, text, "choice", {"answer": r["answer_idx"], "options": list(options)},
                          meta_info=r.get("meta_info")))
    return items


TASK = Task("medqa", "knowledge", Source("hub", "GBaker/MedQA-USMLE-4-options"), 1273, 1, CHOICE, "choice",
            normalize, module=__name__, notes="4-option USMLE English test set")
