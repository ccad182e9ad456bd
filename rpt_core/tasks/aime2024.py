"""AIME 2024 (Maxwell-Jia/AIME_2024, train): 30 problems, each sampled 16 times."""

from __future__ import annotations

from .prompting import MATH, render
from .rows import answer_text, item
from .task import Source, Task


def normalize(task, rows):
    """Maxwell-Jia/AIME_2024: ID ("2024-II-4"), Problem, Solution, Answer (int)."""
    return [item(task, r["ID"], render(task.prompt, problem=r["Problem"]), "math",
                 {"answer": answer_text(r["Answer"])}) for r in rows]


TASK = Task("aime2024", "math", Source("hub", "Maxwell-Jia/AIME_2024", split="train"), 30, 16, MATH, "math",
            normalize, module=__name__)
