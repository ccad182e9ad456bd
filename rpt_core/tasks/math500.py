"""MATH-500 (HuggingFaceH4/MATH-500, test): the 500-problem MATH subset, graded as math answers."""

from __future__ import annotations

from .prompting import MATH, render
from .rows import item
from .task import Source, Task


def normalize(task, rows):
    """HuggingFaceH4/MATH-500: problem, solution, answer, subject, level, unique_id."""
    return [item(task, r["unique_id"], render(task.prompt, problem=r["problem"]), "math",
                 {"answer": str(r["answer"])}, subject=r.get("subject"), level=r.get("level"))
            for r in rows]


TASK = Task("math500", "math", Source("hub", "HuggingFaceH4/MATH-500"), 500, 1, MATH, "math", normalize,
            notes="paper: zwhe99/MATH split math500 or HuggingFaceH4/MATH-500 (same 500 problems)", module=__name__)
